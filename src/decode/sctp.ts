import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';

const ERR_SCTP = DecodeLayer.SCTP;

/** SCTP (RFC 9260 section 3.1): 12-byte common header with the ports; chunks are not decoded. */
export function decodeSctp(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 12 > out.capEnd) return ERR_SCTP;
  out.l4Offset = p;
  out.srcPort = (buf[p] << 8) | buf[p + 1];
  out.dstPort = (buf[p + 2] << 8) | buf[p + 3];
  return DECODE_OK;
}
