import { DECODE_OK } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeArp } from './arp';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';
import { decodeEthernet } from './ethernet';
import { MAX_LINK_NESTING } from './vlan';
import { decodeMpls } from './mpls';
import { decodePppoeSession } from './pppoe';

/**
 * Decodes the network layer at `p` named by `etherType`. Sets etherType and l3Offset for every
 * EtherType, known or not: an unknown EtherType is not an error, there is just nothing more to decode.
 * Under PPPoE sessions and MPLS label stacks the IPv4 or IPv6 packet they carry is decoded (and named
 * by etherType and l3Offset), as Wireshark does.
 */
export function decodeNetwork(buf: Buffer, p: number, etherType: number, out: DecodedPacket): number {
  out.etherType = etherType;
  out.l3Offset = p;
  switch (etherType) {
    case 0x0800:
      return decodeIpv4(buf, p, out);
    case 0x86dd:
      return decodeIpv6(buf, p, out);
    case 0x0806:
      return decodeArp(buf, p, out);
    default:
      return decodeEncapsulated(buf, p, etherType, out);
  }
}

/**
 * The rarer EtherTypes, out of the common path's switch: PPPoE session, MPLS, IEEE 802.1ah provider
 * backbone (MAC-in-MAC: a 4-byte I-TAG, then the customer's Ethernet header and payload, as
 * Wireshark's ieee8021ah dissector reads it); others are not decoded.
 */
function decodeEncapsulated(buf: Buffer, p: number, etherType: number, out: DecodedPacket): number {
  if (etherType === 0x8864) return decodePppoeSession(buf, p, out);
  if (etherType === 0x8847 || etherType === 0x8848) return decodeMpls(buf, p, out);
  if (etherType === 0x88e7) return ++out.linkNesting > MAX_LINK_NESTING ? DECODE_OK : decodeEthernet(buf, p + 4, out);
  return DECODE_OK;
}
