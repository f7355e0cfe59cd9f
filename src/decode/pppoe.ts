import { DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodePppProtocol } from './ppp-protocol';

const ERR_PPPOE = DecodeLayer.PPPOE;

/**
 * A PPPoE session frame (EtherType 0x8864, RFC 2516 section 5.4) at `p`: ver/type(1) code(1)
 * session(2) length(2), then the PPP protocol field and the datagram (decodePppProtocol: IPv4 and
 * IPv6 are decoded, named by etherType and l3Offset as Wireshark dissects them). As in Wireshark
 * (packet-pppoe.c), the payload length bounds what PPP is handed: a frame reaching past it (Ethernet
 * padding, a bogus IP length) ends there for the TCP segment's length (out.wireEnd).
 */
export function decodePppoeSession(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 6 > out.capEnd) return ERR_PPPOE;
  const end = p + 6 + ((buf[p + 4]! << 8) | buf[p + 5]!);
  if (end < out.wireEnd) out.wireEnd = end;
  return decodePppProtocol(buf, p + 6, ERR_PPPOE, out);
}
