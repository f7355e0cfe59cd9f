import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';

const ERR_UDP = DecodeLayer.UDP;

/**
 * UDP (RFC 768): 8-byte header. The length field is not checked: 0 is legal for IPv6 jumbograms
 * (RFC 2675) and a wrong value does not change which flow the datagram belongs to. A header cut
 * short after the ports is an error that keeps the ports (as Wireshark does), with l4Offset -1.
 */
export function decodeUdp(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 4 > out.capEnd) return ERR_UDP;
  out.srcPort = (buf[p] << 8) | buf[p + 1];
  out.dstPort = (buf[p + 2] << 8) | buf[p + 3];
  if (p + 8 > out.capEnd) return ERR_UDP;
  out.l4Offset = p;
  return DECODE_OK;
}
