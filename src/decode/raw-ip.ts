import type { DecodedPacket } from './packet';
import { decodeNetwork } from './network';

/**
 * Raw IP (LINKTYPE_RAW 101, DLT_RAW 12/14, LINKTYPE_IPV4 228, LINKTYPE_IPV6 229): no link header.
 * The version nibble picks IPv4 or IPv6; when it is neither (or the frame is empty) `defaultEtherType`
 * is used and that IP decoder reports the bad version / truncation as its own error.
 */
export function decodeRawIp(buf: Buffer, p: number, defaultEtherType: number, out: DecodedPacket): number {
  let etherType = defaultEtherType;
  if (p < out.capEnd) {
    const v = buf[p] >>> 4;
    if (v === 4) etherType = 0x0800;
    else if (v === 6) etherType = 0x86dd;
  }
  return decodeNetwork(buf, p, etherType, out);
}
