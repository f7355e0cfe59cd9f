import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';

const ERR_ICMP = DecodeLayer.ICMP;

/** ICMP (RFC 792): every message starts with an 8-byte header type(1) code(1) checksum(2) rest(4). */
export function decodeIcmp(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 8 > out.capEnd) return ERR_ICMP;
  out.l4Offset = p;
  out.icmpType = buf[p];
  out.icmpCode = buf[p + 1];
  return DECODE_OK;
}
