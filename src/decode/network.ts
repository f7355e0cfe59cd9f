import { DECODE_OK } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeArp } from './arp';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';

/**
 * Decodes the network layer at `p` named by `etherType`. Sets etherType and l3Offset for every
 * EtherType, known or not: an unknown EtherType is not an error, there is just nothing more to decode.
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
      return DECODE_OK;
  }
}
