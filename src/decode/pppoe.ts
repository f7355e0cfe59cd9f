import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';

const ERR_PPPOE = DecodeLayer.PPPOE;
/** PPP protocol numbers (RFC 1332, RFC 5072). */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/**
 * A PPPoE session frame (EtherType 0x8864, RFC 2516 section 5.4) at `p`: ver/type(1) code(1)
 * session(2) length(2), then the PPP protocol field, 2 bytes or 1 when compressed (its low bit set,
 * RFC 1661 section 6.5; Wireshark accepts both), then the datagram. IPv4 and IPv6 datagrams are
 * decoded as if they followed an EtherType of 0x0800 / 0x86dd (etherType and l3Offset name the inner
 * packet, as Wireshark dissects it); other PPP protocols (LCP, IPCP...) carry no network layer
 * netmon decodes, which is not an error.
 */
export function decodePppoeSession(buf: Buffer, p: number, out: DecodedPacket): number {
  const end = out.capEnd;
  if (p + 7 > end) return ERR_PPPOE;
  let proto = buf[p + 6]!;
  let q = p + 7;
  if ((proto & 1) === 0) {
    if (p + 8 > end) return ERR_PPPOE;
    proto = (proto << 8) | buf[p + 7]!;
    q = p + 8;
  }
  if (proto === PPP_IPV4) {
    out.etherType = 0x0800;
    out.l3Offset = q;
    return decodeIpv4(buf, q, out);
  }
  if (proto === PPP_IPV6) {
    out.etherType = 0x86dd;
    out.l3Offset = q;
    return decodeIpv6(buf, q, out);
  }
  return DECODE_OK;
}
