/**
 * Called synchronously once per captured frame. `buf` and the range
 * [offset, offset + capLen) are only valid during the call: the capture backend reuses the buffer.
 *
 * @param wireLen original length of the frame on the wire (pcap orig_len)
 * @param ts packet timestamp, seconds since the epoch (microsecond precision)
 * @param linkType pcap LINKTYPE_* of the frame
 */
export type PacketCallback = (
  buf: Buffer,
  offset: number,
  capLen: number,
  wireLen: number,
  ts: number,
  linkType: number,
) => void;
