/**
 * Hand-built FlowRecordBatch columns for sink tests: each record's key words laid out as the flow
 * table lays them (src/flow/flow-key.ts), so a test knows every value it expects back.
 */
import { KEY_WORDS } from '../../src/flow/flow-key';
import { END_REASON_CODE } from '../../src/flow/flow-record-batch';
import type { FlowRecordBatch } from '../../src/flow/flow-record-batch';
import type { FlowEndReason } from '../../src/flow/flow-record';
import { ipToWords } from './frames';

export interface TestRecord {
  readonly src: string;
  readonly dst: string;
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
  readonly packets: number;
  readonly bytes: number;
  /** Seconds since the epoch. */
  readonly first: number;
  readonly last: number;
  readonly reason: FlowEndReason;
  readonly iface: number;
  /** OR of the TCP flags seen (default 0). */
  readonly tcpFlags?: number;
  /** Handshake RTT in seconds (default none) and retransmitted segments (default 0). */
  readonly tcpHandshakeRtt?: number;
  readonly tcpRetransmissions?: number;
}

export function flowBatch(recs: readonly TestRecord[]): FlowRecordBatch {
  const n = recs.length;
  const keys = new Int32Array(n * KEY_WORDS);
  recs.forEach((r, i) => {
    const o = i * KEY_WORDS;
    const s = ipToWords(r.src);
    const d = ipToWords(r.dst);
    for (let w = 0; w < 4; w++) {
      keys[o + w] = s[w]! | 0;
      keys[o + 4 + w] = d[w]! | 0;
    }
    keys[o + 8] = ((r.src.includes(':') ? 6 : 4) << 8) | r.proto;
    keys[o + 9] = (r.sport << 16) | r.dport;
  });
  return {
    count: n,
    keys,
    packets: Float64Array.from(recs, (r) => r.packets),
    bytes: Float64Array.from(recs, (r) => r.bytes),
    firstSeen: Float64Array.from(recs, (r) => r.first),
    lastSeen: Float64Array.from(recs, (r) => r.last),
    endReasons: Uint8Array.from(recs, (r) => END_REASON_CODE[r.reason]),
    tcpFlags: Uint8Array.from(recs, (r) => r.tcpFlags ?? 0),
    interfaces: Uint8Array.from(recs, (r) => r.iface),
    tcpHandshakeRtt: Float64Array.from(recs, (r) => r.tcpHandshakeRtt ?? NaN),
    tcpRetransmissions: Uint32Array.from(recs, (r) => r.tcpRetransmissions ?? 0),
  };
}

/** `n` distinct IPv4 UDP records starting at `base` (keys never repeat across bases 10 000 apart). */
export function manyRecords(base: number, n: number, t: number): TestRecord[] {
  return Array.from({ length: n }, (_, j) => {
    const i = base + j;
    return {
      src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      dst: '192.0.2.1',
      proto: 17,
      sport: 1000 + (i % 50000),
      dport: 53,
      packets: 1 + (i % 7),
      bytes: 60 * (1 + (i % 7)),
      first: t + j * 1e-3,
      last: t + j * 1e-3 + 0.5,
      reason: 'idle' as const,
      iface: 0,
    };
  });
}
