import { DecodedPacket } from '../../src/decode/packet';
import type { FlowTable } from '../../src/flow/flow-table';
import { ipToWords } from './frames';

const pkt = new DecodedPacket();

/** Feeds one packet of the given flow to the table through the reused DecodedPacket, as the pipeline does. */
export function feed(t: FlowTable, src: string, dst: string, proto: number, sport: number, dport: number, len: number, ts: number, tcpFlags = 0): void {
  pkt.reset();
  pkt.ipVersion = src.includes(':') ? 6 : 4;
  const s = ipToWords(src);
  const d = ipToWords(dst);
  for (let i = 0; i < 4; i++) {
    pkt.addrs[i] = s[i]!;
    pkt.addrs[4 + i] = d[i]!;
  }
  pkt.ipProto = proto;
  pkt.srcPort = sport;
  pkt.dstPort = dport;
  pkt.tcpFlags = tcpFlags;
  pkt.wireLen = len;
  pkt.ts = ts;
  t.observe(pkt);
}
