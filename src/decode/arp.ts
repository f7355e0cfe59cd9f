import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';

const ERR_ARP = DecodeLayer.ARP;

/**
 * ARP (RFC 826): htype(2) ptype(2) hlen(1) plen(1) op(2) sha(hlen) spa(plen) tha(hlen) tpa(plen).
 * For IPv4 protocol addresses (ptype 0x0800, plen 4) the sender address goes to addrs[0] and the
 * target to addrs[4], whatever the hardware type. ipVersion stays 0: this is not an IP packet.
 * Other protocol types are valid ARP we do not extract addresses from.
 */
export function decodeArp(buf: Buffer, p: number, out: DecodedPacket): number {
  const end = out.capEnd;
  if (p + 8 > end) return ERR_ARP;
  const ptype = (buf[p + 2] << 8) | buf[p + 3];
  const hlen = buf[p + 4];
  const plen = buf[p + 5];
  if (p + 8 + 2 * (hlen + plen) > end) return ERR_ARP;
  if (ptype !== 0x0800 || plen !== 4) return DECODE_OK;
  const s = p + 8 + hlen;
  const t = s + 4 + hlen;
  out.addrs[0] = (buf[s] << 24) | (buf[s + 1] << 16) | (buf[s + 2] << 8) | buf[s + 3];
  out.addrs[4] = (buf[t] << 24) | (buf[t + 1] << 16) | (buf[t + 2] << 8) | buf[t + 3];
  return DECODE_OK;
}
