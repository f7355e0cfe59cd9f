import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';

const ERR_ICMPV6 = DecodeLayer.ICMPV6;

/**
 * ICMPv6 (RFC 4443 section 2.1): type(1) code(1) checksum(2), then a type-specific body, so only
 * those 4 bytes are required.
 */
export function decodeIcmpv6(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 4 > out.capEnd) return ERR_ICMPV6;
  out.l4Offset = p;
  out.icmpType = buf[p];
  out.icmpCode = buf[p + 1];
  return DECODE_OK;
}
