import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowTable } from '../../src/flow/flow-table';
import type { FlowRecord, FlowTableOptions } from '../../src/flow/flow-table';
import { feed } from '../support/flow-feed';


function table(opts: Partial<FlowTableOptions>): { t: FlowTable; records: FlowRecord[] } {
  const records: FlowRecord[] = [];
  return { t: new FlowTable(opts, (r) => records.push(r)), records };
}

const brief = (r: FlowRecord) => `${r.srcIp}:${r.srcPort}>${r.dstIp}:${r.dstPort}/${r.proto} ${r.packets}p ${r.bytes}B ${r.firstSeen}-${r.lastSeen} ${r.endReason}`;

test('idle timeout ends a flow once idleTimeout seconds passed since its last packet', () => {
  const { t, records } = table({ idleTimeout: 10, activeTimeout: 300 });
  feed(t, '10.0.0.1', '10.0.0.2', 6, 1000, 80, 100, 0);
  feed(t, '10.0.0.1', '10.0.0.2', 6, 1000, 80, 200, 1);
  feed(t, '10.0.0.1', '10.0.0.2', 6, 1000, 80, 300, 2);
  feed(t, '10.0.0.3', '10.0.0.4', 17, 53, 5353, 70, 0.5);
  t.advance(10.4);
  assert.equal(records.length, 0, 'nothing idle for 10 s yet');
  t.advance(10.5);
  assert.deepEqual(records.map(brief), ['10.0.0.3:53>10.0.0.4:5353/17 1p 70B 0.5-0.5 idle']);
  t.advance(11.9);
  assert.equal(records.length, 1);
  t.advance(12);
  assert.deepEqual(records.map(brief).slice(1), ['10.0.0.1:1000>10.0.0.2:80/6 3p 600B 0-2 idle']);
  assert.equal(t.stats.evictionsIdle, 2);
  assert.equal(t.stats.activeFlows, 0);
  // The same 5-tuple later is a new flow with its own record.
  feed(t, '10.0.0.1', '10.0.0.2', 6, 1000, 80, 50, 30);
  t.endAll();
  assert.deepEqual(records.map(brief).slice(2), ['10.0.0.1:1000>10.0.0.2:80/6 1p 50B 30-30 end']);
});

test('observe() expires by packet time on its own (replay without ticks)', () => {
  const { t, records } = table({ idleTimeout: 5, activeTimeout: 300 });
  feed(t, '192.0.2.1', '192.0.2.2', 6, 1, 2, 60, 100);
  feed(t, '192.0.2.9', '192.0.2.2', 6, 1, 2, 60, 106); // 6 s later: the first flow is idle
  assert.deepEqual(records.map(brief), ['192.0.2.1:1>192.0.2.2:2/6 1p 60B 100-100 idle']);
});

test('active timeout cuts a long flow into records; the flow and its series continue', () => {
  const { t, records } = table({ idleTimeout: 100, activeTimeout: 5 });
  let total = 0;
  for (let s = 0; s <= 12; s++) {
    feed(t, '10.1.1.1', '10.2.2.2', 17, 4000, 4001, 100 + s, s);
    total += 100 + s;
  }
  // Hand oracle: cut at t=5 (records 0..4) and t=10 (5..9); 10..12 ends at endAll.
  const sum = (a: number, b: number) => { let x = 0; for (let s = a; s <= b; s++) x += 100 + s; return x; };
  const text = t.renderFlowFamilies().toString();
  assert.match(text, /netmon_flow_packets_total\{src_ip="10\.1\.1\.1",dst_ip="10\.2\.2\.2",proto="udp",src_port="4000",dst_port="4001"\} 13\n/);
  assert.ok(text.includes(`dst_port="4001"} ${total}\n`), 'byte series continues across cuts');
  t.endAll();
  assert.deepEqual(records.map(brief), [
    `10.1.1.1:4000>10.2.2.2:4001/17 5p ${sum(0, 4)}B 0-4 active`,
    `10.1.1.1:4000>10.2.2.2:4001/17 5p ${sum(5, 9)}B 5-9 active`,
    `10.1.1.1:4000>10.2.2.2:4001/17 3p ${sum(10, 12)}B 10-12 end`,
  ]);
  assert.equal(t.stats.evictionsActive, 2);
});

test('a cut flow with no further packet ends silently at idle (no empty record)', () => {
  const { t, records } = table({ idleTimeout: 20, activeTimeout: 5 });
  feed(t, '10.0.0.1', '10.0.0.2', 6, 1, 2, 60, 0);
  feed(t, '10.0.0.1', '10.0.0.2', 6, 1, 2, 60, 1);
  t.advance(5);
  t.advance(30);
  assert.deepEqual(records.map((r) => `${r.packets} ${r.endReason}`), ['2 active']);
  assert.equal(t.stats.activeFlows, 0);
});

test('capacity eviction: one-packet flows first (oldest first), then least recently seen', () => {
  const { t, records } = table({ maxFlows: 4, idleTimeout: 1000, activeTimeout: 1000 });
  feed(t, '10.0.0.1', '10.9.9.9', 6, 1, 1, 60, 1); // A: 2 packets
  feed(t, '10.0.0.2', '10.9.9.9', 6, 1, 1, 60, 2); // B: 1 packet
  feed(t, '10.0.0.3', '10.9.9.9', 6, 1, 1, 60, 3); // C: 1 packet
  feed(t, '10.0.0.1', '10.9.9.9', 6, 1, 1, 60, 4);
  feed(t, '10.0.0.4', '10.9.9.9', 6, 1, 1, 60, 5); // D: 2 packets
  feed(t, '10.0.0.4', '10.9.9.9', 6, 1, 1, 60, 6);
  feed(t, '10.0.0.5', '10.9.9.9', 6, 1, 1, 60, 7); // E evicts B
  feed(t, '10.0.0.6', '10.9.9.9', 6, 1, 1, 60, 8); // F evicts C
  feed(t, '10.0.0.7', '10.9.9.9', 6, 1, 1, 60, 9); // G evicts E
  assert.deepEqual(records.map((r) => `${r.srcIp} ${r.endReason}`), ['10.0.0.2 capacity', '10.0.0.3 capacity', '10.0.0.5 capacity']);
  assert.equal(t.stats.evictionsCapacity, 3);
  assert.equal(t.stats.activeFlows, 4);
  const live: string[] = [];
  t.forEachActive((r) => live.push(`${r.srcIp} ${r.packets}`));
  assert.deepEqual(live.sort(), ['10.0.0.1 2', '10.0.0.4 2', '10.0.0.6 1', '10.0.0.7 1']);
});

test('capacity eviction: when established flows fill the table, the least recently seen one goes', () => {
  const { t, records } = table({ maxFlows: 4, idleTimeout: 1000, activeTimeout: 1000 });
  let ts = 0;
  for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) {
    feed(t, ip, '10.9.9.9', 6, 1, 1, 60, ++ts);
    feed(t, ip, '10.9.9.9', 6, 1, 1, 60, ++ts);
  }
  feed(t, '10.0.0.1', '10.9.9.9', 6, 1, 1, 60, ++ts); // 10.0.0.1 recent again: 10.0.0.2 is the LRU one
  feed(t, '10.0.0.5', '10.9.9.9', 6, 1, 1, 60, ++ts);
  assert.deepEqual(records.map((r) => `${r.srcIp} ${r.packets} ${r.endReason}`), ['10.0.0.2 2 capacity']);
});

test('hash deletion keeps every other flow reachable (many evictions and re-lookups)', () => {
  const t = new FlowTable({ maxFlows: 64, idleTimeout: 1e9, activeTimeout: 1e9, maxSeries: 1000 });
  const expect = new Map<number, number>();
  // 40 established flows, then 5000 one-packet flows churning through the other 24 slots.
  for (let round = 0; round < 3; round++) {
    for (let f = 0; f < 40; f++) {
      feed(t, `10.0.${f}.1`, '10.255.0.1', 17, 1, 1, 100, round);
      expect.set(f, (expect.get(f) ?? 0) + 1);
    }
  }
  for (let i = 0; i < 5000; i++) feed(t, `172.16.${i >> 8}.${i & 255}`, '10.255.0.1', 6, 2, 2, 60, 3);
  for (let f = 0; f < 40; f++) feed(t, `10.0.${f}.1`, '10.255.0.1', 17, 1, 1, 100, 4);
  const seen = new Map<string, number>();
  t.forEachActive((r) => seen.set(r.srcIp, r.packets));
  for (let f = 0; f < 40; f++) assert.equal(seen.get(`10.0.${f}.1`), expect.get(f)! + 1, `flow ${f}`);
  assert.equal(t.stats.activeFlows, 64);
});

test('a throwing record hook is counted, not propagated', () => {
  const t = new FlowTable({ idleTimeout: 1 }, () => { throw new Error('sink down'); });
  feed(t, '10.0.0.1', '10.0.0.2', 6, 1, 2, 60, 0);
  feed(t, '10.0.0.3', '10.0.0.2', 6, 1, 2, 60, 5);
  assert.equal(t.stats.hookErrors, 1);
});

test('options are validated', () => {
  assert.throws(() => new FlowTable({ labels: [] }), RangeError);
  assert.throws(() => new FlowTable({ maxFlows: 0 }), RangeError);
  assert.throws(() => new FlowTable({ idleTimeout: 0 }), RangeError);
  assert.throws(() => new FlowTable({ aggregate: { src_ip: { ipv4: 33 } } }), RangeError);
});

test('the hash table grows with the flows and every flow keeps its exact count', () => {
  const t = new FlowTable({ maxFlows: 50_000, idleTimeout: 1e9, activeTimeout: 1e9 });
  // Flow i gets (i % 3) + 1 packets, interleaved so lookups happen across growth steps.
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 20_000; i++) {
      if (i % 3 >= round) feed(t, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, '10.255.0.1', 17, 7, 7, 100 + (i % 50), round);
    }
  }
  let n = 0;
  t.forEachActive((r) => {
    const [, b, c, d] = r.srcIp.split('.').map(Number) as [number, number, number, number];
    const i = (b << 16) | (c << 8) | d;
    assert.equal(r.packets, (i % 3) + 1, r.srcIp);
    assert.equal(r.bytes, ((i % 3) + 1) * (100 + (i % 50)), r.srcIp);
    n++;
  });
  assert.equal(n, 20_000);
  assert.equal(t.stats.activeFlows, 20_000);
});

test('a record never spans an idle gap, even when expiry lags behind (coarse LRU moves)', () => {
  const { t, records } = table({ idleTimeout: 10, activeTimeout: 1000 });
  // H: moved to the protected LRU tail at 0.5, then a packet at 0.9 that does not move it again.
  feed(t, '10.0.0.1', '10.0.0.9', 6, 1, 1, 60, 0);
  feed(t, '10.0.0.1', '10.0.0.9', 6, 1, 1, 60, 0.5);
  feed(t, '10.0.0.2', '10.0.0.9', 6, 1, 1, 70, 0.6); // X: two packets at 0.6
  feed(t, '10.0.0.2', '10.0.0.9', 6, 1, 1, 70, 0.6);
  feed(t, '10.0.0.1', '10.0.0.9', 6, 1, 1, 60, 0.9);
  // At 10.7 X has been idle for 10.1 s (> 10): its next packet must start a new record.
  feed(t, '10.0.0.2', '10.0.0.9', 6, 1, 1, 70, 10.7);
  t.endAll();
  assert.deepEqual(records.map(brief).sort(), [
    '10.0.0.1:1>10.0.0.9:1/6 3p 180B 0-0.9 end',
    '10.0.0.2:1>10.0.0.9:1/6 1p 70B 10.7-10.7 end',
    '10.0.0.2:1>10.0.0.9:1/6 2p 140B 0.6-0.6 idle',
  ]);
});

test('tcpFlags of a record is the OR of its packets\' flags bytes; every new record starts from 0', () => {
  const { t, records } = table({ idleTimeout: 10, activeTimeout: 20, maxFlows: 2 });
  const SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01, RST = 0x04, ECE_CWR = 0xc0;
  const flags = (r: FlowRecord) => `${r.srcPort}>${r.dstPort}/${r.proto} ${r.packets}p ${r.tcpFlags} ${r.endReason}`;
  feed(t, '10.0.0.1', '10.0.0.2', 6, 1000, 80, 60, 0, SYN);
  feed(t, '10.0.0.1', '10.0.0.2', 6, 1000, 80, 60, 5, ACK);
  feed(t, '10.0.0.1', '10.0.0.2', 6, 1000, 80, 60, 12, ACK | PSH);
  feed(t, '10.0.0.3', '10.0.0.4', 17, 53, 5353, 70, 10);
  // t=20: the UDP flow idles out, the TCP record is cut (active timeout); the next record of the
  // same flow has only the flags seen after the cut.
  feed(t, '10.0.0.1', '10.0.0.2', 6, 1000, 80, 60, 20, ACK | FIN);
  assert.deepEqual(records.map(flags), ['53>5353/17 1p 0 idle', `1000>80/6 3p ${SYN | ACK | PSH} active`]);
  // t=35: idle, ended; the same 5-tuple again is a new flow whose flags start from 0.
  feed(t, '10.0.0.1', '10.0.0.2', 6, 1000, 80, 60, 35, RST);
  feed(t, '10.0.0.5', '10.0.0.6', 6, 2000, 443, 60, 35, SYN | ECE_CWR);
  // A third flow evicts the oldest one-packet flow (capacity 2), which carries its own flags.
  feed(t, '10.0.0.7', '10.0.0.8', 6, 3000, 443, 60, 36, SYN);
  assert.deepEqual(records.map(flags).slice(2), [`1000>80/6 1p ${ACK | FIN} idle`, `1000>80/6 1p ${RST} capacity`]);
  t.endAll();
  assert.deepEqual(records.map(flags).slice(4).sort(), [`2000>443/6 1p ${SYN | ECE_CWR} end`, `3000>443/6 1p ${SYN} end`]);
});
