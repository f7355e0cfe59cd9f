import { DECODE_OK, DecodeLayer } from './decode-layer';
import { decodeLlcSnap } from './llc-snap';
import type { DecodedPacket } from './packet';

const ERR_FDDI = DecodeLayer.FDDI;
/** Frame control, destination and source addresses. */
const FDDI_HEADER = 13;

/**
 * LINKTYPE_FDDI (10): a frame control byte and two 6-byte addresses, then, in asynchronous LLC
 * frames (frame control 0x50 to 0x5f), an 802.2 LLC header (decodeLlcSnap), as Wireshark dissects
 * them (packet-fddi.c, without its off-by-default 3-byte padding). Other frames (tokens, SMT, MAC,
 * synchronous LLC) carry nothing netmon decodes.
 */
export function decodeFddi(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + FDDI_HEADER > out.capEnd) return ERR_FDDI;
  if ((buf[p]! & 0xf0) !== 0x50) return DECODE_OK;
  return decodeLlcSnap(buf, p + FDDI_HEADER, ERR_FDDI, out);
}
