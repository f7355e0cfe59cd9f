import { DECODE_OK } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeEtherPayload } from './vlan';

/**
 * An IEEE 802.2 LLC header at `q` (after an 802.11 or FDDI MAC header): when it is SNAP (AA AA 03)
 * with the RFC 1042 or 802.1H OUI (000000, 0000F8), the EtherType after it is decoded as after an
 * Ethernet header, as Wireshark's SNAP dissector does. Any other LLC payload has no network layer
 * netmon decodes (not an error); a SNAP header cut short is the error `errLayer`.
 */
export function decodeLlcSnap(buf: Buffer, q: number, errLayer: number, out: DecodedPacket): number {
  const end = out.capEnd;
  if (q + 3 > end || buf[q] !== 0xaa || buf[q + 1] !== 0xaa || buf[q + 2] !== 0x03) return DECODE_OK;
  if (q + 8 > end) return errLayer;
  if (buf[q + 3] !== 0 || buf[q + 4] !== 0 || (buf[q + 5] !== 0 && buf[q + 5] !== 0xf8)) return DECODE_OK;
  return decodeEtherPayload(buf, (buf[q + 6]! << 8) | buf[q + 7]!, q + 8, out);
}
