import { DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeEtherPayload } from './vlan';

const ERR_SLL = DecodeLayer.SLL;

/**
 * Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113, https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html):
 * packet type(2) ARPHRD type(2) addr len(2) addr(8) protocol(2). The protocol is an EtherType when
 * >= 0x0600; smaller values (802.2 LLC, CAN, ...) name no network layer we decode.
 */
export function decodeSll(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 16 > out.capEnd) return ERR_SLL;
  return decodeEtherPayload(buf, (buf[p + 14] << 8) | buf[p + 15], p + 16, out);
}
