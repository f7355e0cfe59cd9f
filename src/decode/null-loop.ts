import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeNetwork } from './network';
import { decodePpp } from './ppp';

const ERR_NULL = DecodeLayer.NULL;

/**
 * Maps a BSD address family to an EtherType: AF_INET is 2 everywhere; AF_INET6 is 24 on
 * NetBSD/OpenBSD/BSD/OS, 28 on FreeBSD, 30 on Darwin (LINKTYPE_NULL definition). 0 when unknown.
 */
function afToEtherType(af: number): number {
  if (af === 2) return 0x0800;
  if (af === 24 || af === 28 || af === 30) return 0x86dd;
  return 0;
}

/**
 * LINKTYPE_NULL (0): 4-byte address family in the byte order of the host that captured it, read as
 * Wireshark reads it (packet-null.c, on a little-endian host as the tests' tshark runs): FF 03 is PPP
 * in HDLC-like framing; a value with its high half set is big-endian, or IRIX's 16-bit family in the
 * high half when that is a small number (3rd byte < 6, 4th zero); a low half 00 0x (x < 6) is a
 * 16-bit family written big-endian; a value above 1 500 is an EtherType (its low 16 bits: some
 * captures hold 0x0800 in the family's place). LINKTYPE_LOOP (108) is always big-endian.
 */
export function decodeNullLoop(buf: Buffer, p: number, bigEndianOnly: boolean, out: DecodedPacket): number {
  if (p + 4 > out.capEnd) return ERR_NULL;
  const b0 = buf[p]!, b1 = buf[p + 1]!, b2 = buf[p + 2]!, b3 = buf[p + 3]!;
  let etherType: number;
  if (bigEndianOnly) {
    etherType = b0 === 0 && b1 === 0 ? afToEtherType((b2 << 8) | b3) : 0; // a family >= 2^16 does not exist: unknown
  } else {
    if (b0 === 0xff && b1 === 0x03) return decodePpp(buf, p, out);
    let h: number;
    if ((b2 | b3) !== 0) h = b3 === 0 && b2 < 6 ? b2 : (b0 * 0x1000000) + ((b1 << 16) | (b2 << 8) | b3);
    else h = b0 === 0 && b1 < 6 ? b1 : (b1 << 8) | b0;
    etherType = h > 1500 ? h & 0xffff : afToEtherType(h);
  }
  if (etherType === 0) return DECODE_OK; // a family we do not decode: no network layer, not an error
  return decodeNetwork(buf, p + 4, etherType, out);
}
