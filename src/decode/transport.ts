import { DECODE_OK } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeIcmp } from './icmp';
import { decodeIcmpv6 } from './icmpv6';
import { decodeSctp } from './sctp';
import { decodeTcp } from './tcp';
import { decodeUdp } from './udp';

/** Decodes the transport header at `p` for IP protocol `proto`; unknown protocols are not errors. */
export function decodeTransport(buf: Buffer, p: number, proto: number, out: DecodedPacket): number {
  switch (proto) {
    case 6:
      return decodeTcp(buf, p, out);
    case 17:
      return decodeUdp(buf, p, out);
    case 1:
      return decodeIcmp(buf, p, out);
    case 58:
      return decodeIcmpv6(buf, p, out);
    case 132:
      return decodeSctp(buf, p, out);
    default:
      return DECODE_OK;
  }
}
