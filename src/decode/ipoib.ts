import { DECODE_OK, DecodeLayer } from './decode-layer';
import { decodeNetwork } from './network';
import type { DecodedPacket } from './packet';

const ERR_IPOIB = DecodeLayer.IPOIB;
/** The pseudo header (a Global Route Header, or zeros and the destination address) before the IPoIB header. */
const PSEUDO_HEADER = 40;

/**
 * LINKTYPE_IPOIB (242), IP over InfiniBand (RFC 4391) as Linux captures it: a 40-byte pseudo header,
 * then RFC 4391's 4-byte header (an EtherType and 2 reserved bytes), then the packet, as Wireshark
 * dissects it (packet-ipoib.c: IPv4, IPv6, ARP; any other type carries nothing it dissects).
 */
export function decodeIpoib(buf: Buffer, p: number, out: DecodedPacket): number {
  const q = p + PSEUDO_HEADER;
  if (q + 4 > out.capEnd) return ERR_IPOIB;
  const type = (buf[q]! << 8) | buf[q + 1]!;
  if (type !== 0x0800 && type !== 0x86dd && type !== 0x0806) return DECODE_OK;
  return decodeNetwork(buf, q + 4, type, out);
}
