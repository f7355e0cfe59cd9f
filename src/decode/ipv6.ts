import { DECODE_OK, DecodeLayer } from './decode-layer';
import { ipv6Options, ipv6RoutingHeader } from './ipv6-endpoints';
import type { DecodedPacket } from './packet';
import { decodeTransport } from './transport';

const ERR_IPV6 = DecodeLayer.IPV6;

/**
 * IPv6 (RFC 8200). Walks the extension-header chain to the upper-layer protocol:
 * hop-by-hop (0), routing (43), destination options (60), mobility (135, RFC 6275) are
 * (len + 1) * 8 bytes; AH (51, RFC 4302) is (len + 2) * 4 bytes; fragment (44) is 8 bytes.
 * ESP (50) and No Next Header (59) end the walk with that value as ipProto. A non-first fragment
 * ends it with the fragment header's Next Header and no transport header. A routing header or a
 * Home Address option replaces the destination or source in out.addrs as Wireshark reads them
 * (ipv6-endpoints.ts); one Wireshark throws on ends the frame at IPv6.
 */
export function decodeIpv6(buf: Buffer, p: number, out: DecodedPacket): number {
  const end = out.capEnd;
  if (p + 40 > end) return ERR_IPV6;
  if (buf[p] >>> 4 !== 6) return ERR_IPV6;
  const a = out.addrs;
  for (let i = 0; i < 8; i++) {
    const q = p + 8 + (i << 2);
    a[i] = (buf[q] << 24) | (buf[q + 1] << 16) | (buf[q + 2] << 8) | buf[q + 3];
  }
  out.ipVersion = 6;
  out.ipHeaderLen = 40;
  let nh = buf[p + 6];
  let q = p + 40;
  // Every step advances q by at least 8 bytes and is checked against end, so the loop is bounded.
  for (;;) {
    if (nh === 0 || nh === 43 || nh === 60 || nh === 135) {
      if (q + 2 > end) return ERR_IPV6;
      const len = (buf[q + 1] + 1) << 3;
      if (q + len > end) return ERR_IPV6;
      if (nh === 43) {
        if (ipv6RoutingHeader(buf, q, a)) return ERR_IPV6;
      } else if (nh !== 135) {
        const plen = (buf[p + 4] << 8) | buf[p + 5];
        const last = plen !== 0 && p + 40 + plen < end ? p + 40 + plen : end;
        if (ipv6Options(buf, q, len, last, a)) return ERR_IPV6;
      }
      nh = buf[q];
      q += len;
    } else if (nh === 51) {
      if (q + 2 > end) return ERR_IPV6;
      const len = (buf[q + 1] + 2) << 2;
      if (q + len > end) return ERR_IPV6;
      nh = buf[q];
      q += len;
    } else if (nh === 44) {
      if (q + 8 > end) return ERR_IPV6;
      const fragOffset = ((buf[q + 2] << 8) | buf[q + 3]) & 0xfff8;
      out.fragMore = (buf[q + 3] & 1) !== 0;
      nh = buf[q];
      q += 8;
      out.isFragment = true;
      out.fragOffset = fragOffset;
      if (fragOffset !== 0) {
        // The headers after this one are only in the first fragment (RFC 8200 section 4.5).
        out.ipProto = nh;
        out.ipHeaderLen = q - p;
        return DECODE_OK;
      }
    } else {
      break;
    }
  }
  out.ipProto = nh;
  out.ipHeaderLen = q - p;
  if (nh === 50 || nh === 59) return DECODE_OK;
  return decodeTransport(buf, q, nh, out);
}
