import { DECODE_OK, DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeLlcSnap } from './llc-snap';
import { decodeNetwork } from './network';

const ERR_VLAN = DecodeLayer.VLAN;
/** Link-layer headers (802.3 LLC/SNAP, 802.1ah) followed inside one frame at most; deeper ones are not decoded. */
export const MAX_LINK_NESTING = 4;

/**
 * Continues after a link header whose type field held `etherType` and whose payload starts at `p`:
 * strips 802.1Q (0x8100), 802.1ad (0x88a8) and legacy QinQ (0x9100) tags, any number of them
 * (each tag is TCI(2) + next EtherType(2), IEEE 802.1Q 9.3), then decodes the network layer.
 * Shared by Ethernet and the Linux cooked headers (libpcap re-inserts stripped VLAN tags there too).
 */
export function decodeEtherPayload(buf: Buffer, etherType: number, p: number, out: DecodedPacket): number {
  const end = out.capEnd;
  while (etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100) {
    if (p + 4 > end) return ERR_VLAN;
    if (out.vlanDepth === 0) out.vlanId = ((buf[p] << 8) | buf[p + 1]) & 0x0fff;
    out.vlanDepth++;
    etherType = (buf[p + 2] << 8) | buf[p + 3];
    p += 4;
  }
  // Values below 0x0600 are an IEEE 802.3 length (an 802.2 LLC header follows), not an EtherType
  // (IEEE 802.3 3.2.6): its SNAP header, when it has one (RFC 1042), names the network layer, as in
  // Wireshark; any other LLC payload (spanning tree, NetBIOS...) is none, and not an error.
  if (etherType < 0x0600) return ++out.linkNesting > MAX_LINK_NESTING ? DECODE_OK : decodeLlcSnap(buf, p, DecodeLayer.ETHERNET, out);
  return decodeNetwork(buf, p, etherType, out);
}
