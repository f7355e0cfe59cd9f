/**
 * The decoded view of one frame. One instance is reused for every packet (the per-packet path
 * allocates nothing): decoders overwrite its fields, consumers read them before the next packet.
 *
 * All offsets are absolute offsets into the buffer the frame was decoded from, so consumers
 * (the flow table, named filters) can read header bytes directly without slicing.
 */
export class DecodedPacket {
  /** Link type of the frame (pcap LINKTYPE_* value). */
  linkType = 0;
  /** Offset of the first byte of the frame in the buffer. */
  frameOffset = 0;
  /** Offset one past the last captured byte of the frame (frameOffset + captured length). */
  capEnd = 0;
  /** Original length of the frame on the wire (pcap orig_len), link header included. */
  wireLen = 0;
  /**
   * Offset one past the frame's last byte as the lengths that bound it say: frameOffset + wireLen,
   * lowered by a PPPoE session header's payload length (Wireshark hands PPP no more than it; a
   * TCP segment's length is computed within it, tcp-segment.ts). Beyond capEnd when the capture cut
   * the frame.
   */
  wireEnd = 0;
  /** Packet timestamp in seconds since the epoch (microsecond precision). */
  ts = 0;
  /**
   * Index of the interface the frame was captured on (capture order; in a replay, the file order),
   * set by the pipeline with the timestamp, not by the decoders.
   */
  ifIndex = 0;

  /** Number of 802.1Q / 802.1ad tags that were stripped. */
  vlanDepth = 0;
  /** Outermost VLAN id, or -1 when untagged. */
  vlanId = -1;
  /**
   * Link-layer encapsulations followed inside the frame (802.3 LLC/SNAP, 802.1ah): bounded, so that
   * a frame of nested headers cannot recurse deeper than MAX_LINK_NESTING.
   */
  linkNesting = 0;
  /**
   * EtherType of the network layer after link header and VLAN tags (0x0800 IPv4, 0x86dd IPv6,
   * 0x0806 ARP, ...), or 0 when the link layer does not name one.
   */
  etherType = 0;
  /** Offset of the network-layer header (IP, ARP), or -1 when there is none. */
  l3Offset = -1;

  /** 4 or 6 for IP packets, 0 otherwise. */
  ipVersion = 0;
  /**
   * Addresses: words 0..3 are the source, 4..7 the destination, each as big-endian 32-bit words.
   * IPv4 (and ARP sender/target protocol addresses) use words 0 and 4 only; the rest are 0.
   */
  readonly addrs = new Uint32Array(8);
  /**
   * Upper-layer protocol: IPv4 protocol field, or for IPv6 the protocol after the extension-header
   * chain (for fragments, the one the fragment header names). -1 when not IP.
   */
  ipProto = -1;
  /** IPv4 header length in bytes, or 40 plus extension headers for IPv6; 0 when not IP. */
  ipHeaderLen = 0;
  /** True when the packet is a fragment (IPv4 MF or offset != 0; IPv6 fragment header present). */
  isFragment = false;
  /** Fragment offset in bytes (0 for the first fragment and for unfragmented packets). */
  fragOffset = 0;
  /** More fragments follow (IPv4 MF, IPv6 M): false for an IPv6 atomic fragment (offset 0), a whole datagram. */
  fragMore = false;

  /**
   * Offset of the transport header (TCP, UDP, SCTP, ICMP, ICMPv6), or -1 when absent: not IP,
   * a non-first fragment, an unknown protocol, or a header truncated by the snap length.
   */
  l4Offset = -1;
  /**
   * Source and destination ports for TCP, UDP, SCTP, also when the header is cut short after them
   * (l4Offset is then -1 and the decoder returns the transport layer's error); 0 otherwise and for
   * non-first fragments.
   */
  srcPort = 0;
  dstPort = 0;
  /** TCP flags byte (FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80). */
  tcpFlags = 0;
  /** ICMP / ICMPv6 type and code, -1 when not ICMP. */
  icmpType = -1;
  icmpCode = -1;

  /**
   * Resets this packet to decode a packet carried inside `outer` (a tunnel's, an ICMP error's quote):
   * the frame's offset, captured end, wire length, time and interface are the outer frame's.
   */
  resetInside(outer: DecodedPacket): void {
    this.reset();
    this.linkType = outer.linkType;
    this.frameOffset = outer.frameOffset;
    this.capEnd = outer.capEnd;
    this.wireLen = outer.wireLen;
    this.wireEnd = outer.wireEnd;
    this.ts = outer.ts;
    this.ifIndex = outer.ifIndex;
  }

  /** Reset all per-packet fields before decoding a new frame. */
  reset(): void {
    this.vlanDepth = 0;
    this.vlanId = -1;
    this.linkNesting = 0;
    this.etherType = 0;
    this.l3Offset = -1;
    this.ipVersion = 0;
    const a = this.addrs;
    a[0] = 0; a[1] = 0; a[2] = 0; a[3] = 0; a[4] = 0; a[5] = 0; a[6] = 0; a[7] = 0;
    this.ipProto = -1;
    this.ipHeaderLen = 0;
    this.isFragment = false;
    this.fragOffset = 0;
    this.fragMore = false;
    this.l4Offset = -1;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
  }
}
