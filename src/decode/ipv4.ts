import { DECODE_OK, DecodeLayer } from './decode-layer';
import { ipv4Options, IPV4_OPTIONS_DST, IPV4_OPTIONS_MALFORMED } from './ipv4-options';
import type { DecodedPacket } from './packet';
import { decodeTransport } from './transport';

const ERR_IPV4 = DecodeLayer.IPV4;

/**
 * IPv4 (RFC 791). Fills version, addresses, protocol, header length and fragment fields as soon as
 * the fixed 20-byte header is present and sane, so a packet whose options or transport header are
 * cut short can still be attributed to its address pair. With a source route whose pointer is still
 * inside it, the destination address is the route's last one (as Wireshark reads it); filters still
 * see the header's bytes.
 */
export function decodeIpv4(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 20 > out.capEnd) return ERR_IPV4;
  const b0 = buf[p];
  if (b0 >>> 4 !== 4) return ERR_IPV4;
  const hlen = (b0 & 0x0f) << 2;
  if (hlen < 20) return ERR_IPV4;
  const a = out.addrs;
  a[0] = (buf[p + 12] << 24) | (buf[p + 13] << 16) | (buf[p + 14] << 8) | buf[p + 15];
  a[4] = (buf[p + 16] << 24) | (buf[p + 17] << 16) | (buf[p + 18] << 8) | buf[p + 19];
  const proto = buf[p + 9];
  out.ipVersion = 4;
  out.ipProto = proto;
  out.ipHeaderLen = hlen;
  const frag = (buf[p + 6] << 8) | buf[p + 7];
  const fragOffset = (frag & 0x1fff) << 3;
  out.fragOffset = fragOffset;
  out.fragMore = (frag & 0x2000) !== 0;
  out.isFragment = out.fragMore || fragOffset !== 0;
  // Total length must cover the header. Zero is accepted: Linux captures of outgoing TSO/GSO
  // segments carry 0 there (the NIC fills it in), as Wireshark also assumes.
  const totalLen = (buf[p + 2] << 8) | buf[p + 3];
  if (totalLen < hlen && totalLen !== 0) return ERR_IPV4;
  if (p + hlen > out.capEnd) return ERR_IPV4; // options cut short by the snap length
  if (hlen > 20) {
    // A source route's final destination is the packet's (Wireshark's conversation, stream and
    // exchange); options Wireshark throws on end the frame at IPv4 (ipv4-options.ts).
    const r = ipv4Options(buf, p, hlen);
    const d = r & IPV4_OPTIONS_DST;
    if (d !== 0) a[4] = (buf[p + d] << 24) | (buf[p + d + 1] << 16) | (buf[p + d + 2] << 8) | buf[p + d + 3];
    if ((r & IPV4_OPTIONS_MALFORMED) !== 0) return ERR_IPV4;
  }
  // Only the first fragment carries the transport header (RFC 791 section 2.3).
  if (fragOffset !== 0) return DECODE_OK;
  return decodeTransport(buf, p + hlen, proto, out);
}
