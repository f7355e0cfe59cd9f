import { DecodeLayer } from './decode-layer';
import type { DecodedPacket } from './packet';
import { decodeEtherPayload } from './vlan';

const ERR_ETHERNET = DecodeLayer.ETHERNET;

/** Ethernet II (LINKTYPE_ETHERNET 1): dst(6) src(6) type(2), no FCS in pcap captures. */
export function decodeEthernet(buf: Buffer, p: number, out: DecodedPacket): number {
  if (p + 14 > out.capEnd) return ERR_ETHERNET;
  return decodeEtherPayload(buf, (buf[p + 12] << 8) | buf[p + 13], p + 14, out);
}
