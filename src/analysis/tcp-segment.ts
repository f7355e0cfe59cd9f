import type { DecodedPacket } from '../decode/packet';

/**
 * Payload length of the TCP segment in `pkt` (which has a decoded TCP header at l4Offset), from the
 * IP length fields as Wireshark computes tcp.len: the IP payload the header declares, but no more
 * than the frame holds on the wire past the TCP header (to pkt.wireEnd: a PPPoE payload length
 * bounds it too), minus the TCP header. A total or payload
 * length of 0 (TSO/GSO segments captured before the NIC fills it in, jumbograms) means the frame's
 * length. Returns -1 when that is shorter than the TCP header (Wireshark's "short segment").
 */
export function tcpPayloadLength(buf: Buffer, pkt: DecodedPacket): number {
  const l3 = pkt.l3Offset;
  const l4 = pkt.l4Offset;
  let ipPayload: number;
  if (pkt.ipVersion === 4) {
    const total = (buf[l3 + 2]! << 8) | buf[l3 + 3]!;
    ipPayload = total === 0 ? Infinity : total - pkt.ipHeaderLen;
  } else {
    const plen = (buf[l3 + 4]! << 8) | buf[l3 + 5]!;
    ipPayload = plen === 0 ? Infinity : plen + 40 - pkt.ipHeaderLen;
  }
  const onWire = pkt.wireEnd - l4;
  const reported = ipPayload < onWire ? ipPayload : onWire;
  const len = reported - ((buf[l4 + 12]! >>> 4) << 2);
  return len >= 0 ? len : -1;
}
