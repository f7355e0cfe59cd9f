import { DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeEtherPayload } from './vlan';

const ERR_SLL2 = DecodeLayer.SLL2;

/**
 * Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276, https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html):
 * protocol(2) reserved(2) ifindex(4) ARPHRD type(2) packet type(1) addr len(1) addr(8).
 */
export function decodeSll2(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 20 > out.capEnd) return ERR_SLL2;
  return decodeEtherPayload(buf, (buf[p] << 8) | buf[p + 1], p + 20, out);
}
