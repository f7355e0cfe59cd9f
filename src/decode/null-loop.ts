import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeNetwork } from './network';

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
 * LINKTYPE_NULL (0): 4-byte address family in the byte order of the host that captured it.
 * Families are small numbers, so a value with a zero low half and a non-zero high half was written
 * little-endian (the same heuristic Wireshark uses). LINKTYPE_LOOP (108) is always big-endian.
 */
export function decodeNullLoop(buf: Buffer, p: number, bigEndianOnly: boolean, out: DecodedPacket): number {
  if (p + 4 > out.capEnd) return ERR_NULL;
  const hi = (buf[p] << 8) | buf[p + 1];
  const lo = (buf[p + 2] << 8) | buf[p + 3];
  let af: number;
  if (bigEndianOnly) af = hi === 0 ? lo : 0x10000; // a family >= 2^16 does not exist: unknown
  else if (hi === 0) af = lo;
  else if (lo === 0) af = buf[p] | (buf[p + 1] << 8);
  else af = 0x10000;
  const etherType = afToEtherType(af);
  if (etherType === 0) return DECODE_OK; // a family we do not decode: no network layer, not an error
  return decodeNetwork(buf, p + 4, etherType, out);
}
