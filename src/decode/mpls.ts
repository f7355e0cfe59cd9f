import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';

const ERR_MPLS = DecodeLayer.MPLS;

/**
 * An MPLS label stack (EtherType 0x8847 unicast, 0x8848 multicast; RFC 3032) at `p`: 4-byte label
 * entries up to the one with the bottom-of-stack bit, any number of them. MPLS does not say what
 * follows; like Wireshark, netmon reads the first nibble after the stack: 4 is IPv4, 6 is IPv6
 * (decoded as after EtherType 0x0800 / 0x86dd: etherType and l3Offset name the inner packet).
 * Anything else (a pseudowire's control word or Ethernet frame...) is not decoded and not an error.
 */
export function decodeMpls(buf: Buffer, p: number, out: DecodedPacket): number {
  const end = out.capEnd;
  for (;;) {
    if (p + 4 > end) return ERR_MPLS;
    const bottom = buf[p + 2]! & 1;
    p += 4;
    if (bottom !== 0) break;
  }
  if (p >= end) return DECODE_OK;
  const version = buf[p]! >> 4;
  if (version === 4) {
    out.etherType = 0x0800;
    out.l3Offset = p;
    return decodeIpv4(buf, p, out);
  }
  if (version === 6) {
    out.etherType = 0x86dd;
    out.l3Offset = p;
    return decodeIpv6(buf, p, out);
  }
  return DECODE_OK;
}
