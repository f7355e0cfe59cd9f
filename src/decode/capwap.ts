import { DECODE_OK, DecodeLayer } from './decode-layer';
import { decodeEthernet } from './ethernet';
import { decodeIeee80211Fc } from './ieee80211';
import type { DecodedPacket } from './packet';

const ERR_CAPWAP = DecodeLayer.CAPWAP;
const ERR_80211 = DecodeLayer.IEEE80211;

/** Header flags (the low 9 bits of the header's first word). */
const FLAG_T = 0x100;
const FLAG_F = 0x80;
const FLAG_K = 0x08;
/** Wireless binding id of IEEE 802.11. */
const WBID_IEEE80211 = 1;

/**
 * A CAPWAP data channel message (RFC 5415 section 4.3: the UDP port 5247 between access points and
 * their controller, carrying the clients' frames) at `p`, as Wireshark dissects it by default
 * (packet-capwap.c): the preamble's type 1 is DTLS (encrypted: nothing to decode); otherwise HLEN
 * (4-byte words, the preamble and the optional radio MAC and wireless headers included) gives where
 * the frame starts. With the T flag clear it is an IEEE 802.3 (Ethernet) frame; with it set and
 * binding 1 an IEEE 802.11 frame whose frame control field is byte-swapped, as Cisco's access points
 * send it (Wireshark's capwap.swap_frame_control, on by default). Keep-alives carry no frame;
 * fragments (the F flag) are not reassembled here (Wireshark reassembles them): not decoded. What
 * carries no frame netmon decodes returns DECODE_OK with no IP (decodeTunnel makes it TUNNEL_EMPTY).
 */
export function decodeCapwap(buf: Buffer, p: number, end: number, inner: DecodedPacket): number {
  if (p + 1 > end) return ERR_CAPWAP;
  if ((buf[p]! & 0x0f) === 1) return DECODE_OK;
  if (p + 8 > end) return ERR_CAPWAP;
  const w = (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
  const hlen = (w >>> 19) << 2;
  if (hlen < 8 || p + hlen > end) return ERR_CAPWAP;
  if ((w & (FLAG_F | FLAG_K)) !== 0) return DECODE_OK;
  const q = p + hlen;
  if ((w & FLAG_T) === 0) return decodeEthernet(buf, q, inner);
  if (((w >>> 9) & 31) !== WBID_IEEE80211) return DECODE_OK;
  if (q + 2 > end) return ERR_80211;
  return decodeIeee80211Fc(buf, q, buf[q + 1]!, buf[q]!, false, inner);
}
