import { DECODE_OK } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';

/** PPP protocol numbers (RFC 1332, RFC 5072). */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/**
 * The PPP protocol field at `q`, 2 bytes or 1 when compressed (its low bit set, RFC 1661 section
 * 6.5; Wireshark accepts both), then the datagram: IPv4 and IPv6 ones are decoded as if they followed
 * an EtherType of 0x0800 / 0x86dd (etherType and l3Offset name them); other protocols (LCP, IPCP...)
 * carry no network layer netmon decodes, which is not an error. `err` is the layer a protocol field
 * cut short is counted in.
 */
export function decodePppProtocol(buf: Buffer, q: number, err: number, out: DecodedPacket): number {
  const end = out.capEnd;
  if (q + 1 > end) return err;
  let proto = buf[q]!;
  let d = q + 1;
  if ((proto & 1) === 0) {
    if (q + 2 > end) return err;
    proto = (proto << 8) | buf[q + 1]!;
    d = q + 2;
  }
  if (proto === PPP_IPV4) {
    out.etherType = 0x0800;
    out.l3Offset = d;
    return decodeIpv4(buf, d, out);
  }
  if (proto === PPP_IPV6) {
    out.etherType = 0x86dd;
    out.l3Offset = d;
    return decodeIpv6(buf, d, out);
  }
  return DECODE_OK;
}
