/**
 * Ended flow records in columns (flow-record-batch.ts) through the bounded channel
 * (flow-record-channel.ts): every record the table ends arrives once, with the counts the test fed,
 * or is counted as dropped; memory is bounded by the builder pool.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowRecordChannel } from '../../src/engine/flow-record-channel';
import { FlowKeyProjection } from '../../src/flow/flow-key';
import { flowRecordAt } from '../../src/flow/flow-record-batch';
import type { FlowRecordBatch } from '../../src/flow/flow-record-batch';
import type { FlowRecord } from '../../src/flow/flow-record';
import { FlowTable } from '../../src/flow/flow-table';
import { prng } from '../support/frames';
import { feed } from '../support/flow-feed';

const LABELS = ['src_ip', 'dst_ip', 'proto', 'src_port', 'dst_port'] as const;

interface Fed {
  key: string;
  packets: number;
  bytes: number;
  first: number;
  last: number;
  tcpFlags: number;
}

/** Feeds `n` flows of 1..6 packets each between t0 and t0 + 1 s, returns what was fed per flow. */
function feedFlows(t: FlowTable, n: number, seed: number, t0: number): Map<string, Fed> {
  const rand = prng(seed);
  const fed = new Map<string, Fed>();
  for (let i = 0; i < n; i++) {
    const src = `10.${(i >> 8) & 255}.${i & 255}.1`;
    const dst = i % 3 === 0 ? '2001:db8::1' : '192.0.2.7';
    const srcV = dst.includes(':') ? `2001:db8:1::${(i + 1).toString(16)}` : src;
    const proto = i % 2 === 0 ? 6 : 17;
    const sport = 1024 + (i % 60000);
    const k = 1 + Math.floor(rand() * 6);
    const key = `${srcV} ${dst} ${proto} ${sport} 443`;
    let bytes = 0;
    let first = Infinity;
    let last = -Infinity;
    // A flow's packets come in time order (the record's first_seen is its first packet's time).
    const times = Array.from({ length: k }, () => t0 + rand()).sort((a, b) => a - b);
    let flagsOr = 0;
    for (const ts of times) {
      const len = 60 + Math.floor(rand() * 1400);
      const flags = proto === 6 ? [0x02, 0x10, 0x18, 0x11, 0x04][Math.floor(rand() * 5)]! : 0;
      flagsOr |= flags;
      feed(t, srcV, dst, proto, sport, 443, len, ts, flags);
      bytes += len;
      first = Math.min(first, ts);
      last = Math.max(last, ts);
    }
    fed.set(key, { key, packets: k, bytes, first, last, tcpFlags: flagsOr });
  }
  return fed;
}

function records(batches: readonly FlowRecordBatch[]): FlowRecord[] {
  const proj = new FlowKeyProjection({ labels: [...LABELS], aggregate: {} });
  return batches.flatMap((b) => Array.from({ length: b.count }, (_, i) => flowRecordAt(b, i, proj)));
}

const keyOf = (r: FlowRecord) => `${r.srcIp} ${r.dstIp} ${r.proto} ${r.srcPort} ${r.dstPort}`;

describe('flow record channel', () => {
  it('delivers every ended record once, with the fed counts and times', () => {
    const batches: FlowRecordBatch[] = [];
    const scheduled: (() => void)[] = [];
    const ch = new FlowRecordChannel((b) => (batches.push(b), true), { batchRecords: 512, maxBatches: 8, schedule: (fn) => scheduled.push(fn) });
    const t = new FlowTable({ idleTimeout: 10, activeTimeout: 300, maxFlows: 100_000 });
    t.setRecordOutput(ch);
    const fed = feedFlows(t, 3000, 1, 1_700_000_000);
    assert.equal(batches.length, 0, 'nothing ends before the idle timeout');
    t.advance(1_700_000_000 + 20);
    // 3000 records fill 5 builders of 512 (one flush scheduled) and part of a sixth.
    assert.equal(scheduled.length, 1);
    for (const fn of scheduled.splice(0)) fn();
    ch.flush();
    const got = records(batches);
    assert.equal(got.length, 3000);
    assert.equal(ch.delivered, 3000);
    assert.equal(ch.droppedRecords, 0);
    const seen = new Set<string>();
    for (const r of got) {
      const k = keyOf(r);
      assert.ok(!seen.has(k), `record ${k} delivered twice`);
      seen.add(k);
      const want = fed.get(k);
      assert.ok(want !== undefined, `unexpected record ${k}`);
      assert.equal(r.packets, want.packets, k);
      assert.equal(r.bytes, want.bytes, k);
      assert.equal(r.firstSeen, want.first, k);
      assert.equal(r.lastSeen, want.last, k);
      assert.equal(r.tcpFlags, want.tcpFlags, k);
      assert.equal(r.endReason, 'idle');
    }
  });

  it('drops and counts what a full pool cannot hold, and holds at most the pool', () => {
    const batches: FlowRecordBatch[] = [];
    const ch = new FlowRecordChannel((b) => (batches.push(b), true), { batchRecords: 100, maxBatches: 3, schedule: () => {} });
    const t = new FlowTable({ idleTimeout: 10, maxFlows: 10_000 });
    t.setRecordOutput(ch);
    feedFlows(t, 1000, 2, 1_700_000_000);
    t.advance(1_700_000_000 + 20);
    assert.equal(t.stats.evictionsIdle, 1000);
    assert.equal(ch.pending, 300, 'three builders of 100 held, no more');
    assert.equal(ch.droppedRecords, 700);
    ch.flush();
    assert.equal(records(batches).length, 300);
    assert.equal(ch.delivered + ch.droppedRecords, 1000);
  });

  it('counts the records of a batch the consumer refuses', () => {
    let accept = false;
    const ch = new FlowRecordChannel(() => accept, { batchRecords: 64, maxBatches: 4, schedule: () => {} });
    const t = new FlowTable({ idleTimeout: 10 });
    t.setRecordOutput(ch);
    feedFlows(t, 50, 3, 1_700_000_000);
    t.advance(1_700_000_000 + 20);
    ch.flush();
    assert.equal(ch.droppedRecords, 50);
    accept = true;
    feedFlows(t, 20, 4, 1_700_000_100);
    t.advance(1_700_000_200);
    ch.flush();
    assert.equal(ch.delivered, 20);
  });

  it('in synchronous mode delivers full pools on the spot instead of dropping (end of capture)', () => {
    const batches: FlowRecordBatch[] = [];
    const ch = new FlowRecordChannel((b) => (batches.push(b), true), { batchRecords: 10, maxBatches: 2, schedule: () => {} });
    ch.setSynchronous(true);
    const t = new FlowTable({ idleTimeout: 10 });
    t.setRecordOutput(ch);
    const fed = feedFlows(t, 777, 5, 1_700_000_000);
    t.endAll();
    ch.flush();
    const got = records(batches);
    assert.equal(ch.droppedRecords, 0);
    assert.equal(got.length, 777);
    assert.ok(got.every((r) => r.endReason === 'end'));
    assert.equal(got.reduce((n, r) => n + r.packets, 0), [...fed.values()].reduce((n, f) => n + f.packets, 0));
  });

  it('sends nothing once the output is removed, and the object hook still works beside it', () => {
    const batches: FlowRecordBatch[] = [];
    const hooked: FlowRecord[] = [];
    const ch = new FlowRecordChannel((b) => (batches.push(b), true), { batchRecords: 64, maxBatches: 4, schedule: () => {} });
    const t = new FlowTable({ idleTimeout: 10 }, (r) => hooked.push(r));
    t.setRecordOutput(ch);
    feedFlows(t, 30, 6, 1_700_000_000);
    t.advance(1_700_000_020);
    t.setRecordOutput(null);
    feedFlows(t, 40, 7, 1_700_000_100);
    t.advance(1_700_000_200);
    ch.flush();
    assert.equal(records(batches).length, 30);
    assert.equal(hooked.length, 70);
  });
});
