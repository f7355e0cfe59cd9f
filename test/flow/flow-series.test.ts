import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { FlowTable } from '../../src/flow/flow-table';
import type { FlowRecord, FlowTableOptions } from '../../src/flow/flow-table';
import { feed } from '../support/flow-feed';


interface Parsed {
  help: Map<string, string>;
  type: Map<string, string>;
  /** family -> label text (as rendered, canonical order) -> value */
  samples: Map<string, Map<string, number>>;
}

/** Test-side parser of the text format: checks syntax and rejects duplicate series. */
function parse(text: string): Parsed {
  const out: Parsed = { help: new Map(), type: new Map(), samples: new Map() };
  assert.ok(text.endsWith('\n'));
  for (const line of text.slice(0, -1).split('\n')) {
    let m = /^# HELP (\w+) (.+)$/.exec(line);
    if (m) { out.help.set(m[1]!, m[2]!); continue; }
    m = /^# TYPE (\w+) (counter|gauge)$/.exec(line);
    if (m) { out.type.set(m[1]!, m[2]!); continue; }
    m = /^(\w+)\{((?:\w+="(?:[^"\\\n]|\\[\\"n])*",?)*)\} (\d+)$/.exec(line);
    assert.ok(m, `bad sample line: ${line}`);
    const fam = out.samples.get(m[1]!) ?? new Map<string, number>();
    out.samples.set(m[1]!, fam);
    assert.ok(!fam.has(m[2]!), `duplicate series ${line}`);
    fam.set(m[2]!, Number(m[3]));
  }
  return out;
}

const OTHER5 = 'src_ip="other",dst_ip="other",proto="other",src_port="other",dst_port="other"';
const lbl = (s: string, d: string, p: string, sp: number, dp: number) => `src_ip="${s}",dst_ip="${d}",proto="${p}",src_port="${sp}",dst_port="${dp}"`;

test('under budget every flow has its own exact series; HELP/TYPE present; promtool accepts the text', () => {
  const t = new FlowTable({ maxSeries: 100 });
  feed(t, '10.0.0.1', '10.0.0.2', 6, 40000, 443, 1514, 1);
  feed(t, '10.0.0.1', '10.0.0.2', 6, 40000, 443, 60, 2);
  feed(t, '2001:db8::1', '2001:db8:0:0:1:0:0:1', 17, 5353, 53, 90, 2);
  feed(t, '10.0.0.3', '10.0.0.4', 1, 0, 0, 98, 3);
  const text = t.renderFlowFamilies().toString();
  const p = parse(text);
  assert.equal(p.type.get('netmon_flow_packets_total'), 'counter');
  assert.equal(p.type.get('netmon_flow_bytes_total'), 'counter');
  assert.ok(p.help.has('netmon_flow_packets_total') && p.help.has('netmon_flow_bytes_total'));
  const pk = p.samples.get('netmon_flow_packets_total')!;
  const by = p.samples.get('netmon_flow_bytes_total')!;
  assert.deepEqual([...pk.entries()].sort(), [
    [lbl('10.0.0.1', '10.0.0.2', 'tcp', 40000, 443), 2],
    [lbl('10.0.0.3', '10.0.0.4', 'icmp', 0, 0), 1],
    [lbl('2001:db8::1', '2001:db8::1:0:0:1', 'udp', 5353, 53), 1],
    [OTHER5, 0],
  ].sort());
  assert.equal(by.get(lbl('10.0.0.1', '10.0.0.2', 'tcp', 40000, 443)), 1574);
  assert.equal(t.stats.seriesExported, 3);
  if (existsSync('/usr/bin/promtool')) execFileSync('promtool', ['check', 'metrics'], { input: text });
});

test('admission favours heavy flows; one-packet flows stay in the overflow series; sums are exact', () => {
  const t = new FlowTable({ maxSeries: 2 });
  let total = 0;
  let totalBytes = 0;
  const f = (s: string, len: number, ts: number, dp = 80) => { feed(t, s, '10.9.9.9', 6, 1234, dp, len, ts); total++; totalBytes += len; };
  for (let i = 0; i < 200; i++) f(`172.16.0.${i}`, 60, 0.001 * i); // one-packet flows, all before the heavy ones
  for (let i = 0; i < 10; i++) { f('10.0.0.1', 1500, 1 + i); f('10.0.0.2', 1000, 1 + i); f('10.0.0.3', 100, 1 + i); }
  const p = parse(t.renderFlowFamilies().toString());
  const pk = p.samples.get('netmon_flow_packets_total')!;
  assert.equal(pk.get(lbl('10.0.0.1', '10.9.9.9', 'tcp', 1234, 80)), 10);
  assert.equal(pk.get(lbl('10.0.0.2', '10.9.9.9', 'tcp', 1234, 80)), 10);
  assert.equal(pk.size, 3);
  assert.equal(pk.get(OTHER5), 200 + 10);
  const by = p.samples.get('netmon_flow_bytes_total')!;
  assert.equal([...by.values()].reduce((a, b) => a + b, 0), totalBytes);
  assert.equal([...pk.values()].reduce((a, b) => a + b, 0), total);
  assert.equal(t.stats.overflowPackets, 210);
});

test('hysteresis: a slightly heavier challenger does not take a series, a much heavier one does; values never go down', () => {
  const t = new FlowTable({ maxSeries: 1 });
  const A = lbl('10.0.0.1', '10.9.9.9', 'udp', 1, 1);
  const B = lbl('10.0.0.2', '10.9.9.9', 'udp', 1, 1);
  const send = (src: string, n: number, len: number, ts: number) => { for (let i = 0; i < n; i++) feed(t, src, '10.9.9.9', 17, 1, 1, len, ts); };
  send('10.0.0.1', 10, 1000, 1);
  send('10.0.0.2', 2, 100, 1);
  let pk = parse(t.renderFlowFamilies().toString()).samples.get('netmon_flow_packets_total')!;
  assert.deepEqual([pk.get(A), pk.get(B), pk.get(OTHER5)], [10, undefined, 2]);
  // Window 2: B a bit heavier than A (A's score 5000+10000, B's 16000 < 2 x 15000): A keeps its series.
  send('10.0.0.1', 10, 1000, 2);
  send('10.0.0.2', 16, 1000, 2);
  pk = parse(t.renderFlowFamilies().toString()).samples.get('netmon_flow_packets_total')!;
  assert.deepEqual([pk.get(A), pk.get(B), pk.get(OTHER5)], [20, undefined, 18]);
  // Window 3: A silent, B heavy: B takes the series at this render. Its traffic so far was counted
  // while it had no series, so it stays in overflow and B's series starts at 0.
  send('10.0.0.2', 40, 1000, 3);
  pk = parse(t.renderFlowFamilies().toString()).samples.get('netmon_flow_packets_total')!;
  assert.deepEqual([pk.get(A), pk.get(B), pk.get(OTHER5)], [undefined, 0, 58]);
  send('10.0.0.2', 3, 1000, 3.5);
  // Window 4: A comes back heavy, B stops: A regains its series, continuing from 20, not 0; its
  // window-4 packets were sent while it had no series, so they are in overflow. B loses its series,
  // which froze at the 0 last shown: its 3 packets since went to overflow.
  send('10.0.0.1', 100, 1500, 4);
  pk = parse(t.renderFlowFamilies().toString()).samples.get('netmon_flow_packets_total')!;
  assert.deepEqual([pk.get(A), pk.get(B), pk.get(OTHER5)], [20, undefined, 161]);
  send('10.0.0.1', 5, 1500, 5);
  pk = parse(t.renderFlowFamilies().toString()).samples.get('netmon_flow_packets_total')!;
  assert.deepEqual([pk.get(A), pk.get(B), pk.get(OTHER5)], [25, undefined, 161]);
  assert.equal(t.stats.seriesDemoted, 2);
});

test('randomised: every packet is counted exactly once across series; no series ever goes down', () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / (1 << 24);
  const t = new FlowTable({ maxSeries: 20, idleTimeout: 1e6, activeTimeout: 30 });
  const last = new Map<string, number>(); // label text -> last value seen (packets)
  let total = 0;
  let ts = 0;
  for (let round = 0; round < 60; round++) {
    for (let i = 0; i < 500; i++) {
      // Zipf-like: a few heavy flows, a long tail; heaviness drifts with the round.
      const f = Math.floor(Math.pow(rnd(), 3) * 100 + round) % 100;
      feed(t, `10.0.${f}.1`, '10.255.0.1', 6, 1000 + f, 443, 100, (ts += 0.01));
      total++;
    }
    const pk = parse(t.renderFlowFamilies().toString()).samples.get('netmon_flow_packets_total')!;
    assert.ok(pk.size <= 21);
    for (const [k, v] of pk) {
      const prev = last.get(k);
      assert.ok(prev === undefined || v >= prev, `series ${k} went down: ${prev} -> ${v}`);
      last.set(k, v);
    }
    // No flow ended (huge idle timeout), so the last values of all series ever shown add up to the
    // traffic sent, provided nothing is still pending (a render just ran).
    assert.equal([...last.values()].reduce((a, b) => a + b, 0), total, `round ${round}`);
  }
  assert.ok(t.stats.seriesAdmitted > 20, 'the exported set did change');
});

test('an ended flow loses its series without being folded into overflow', () => {
  const t = new FlowTable({ maxSeries: 1, idleTimeout: 10 });
  for (let i = 0; i < 5; i++) feed(t, '10.0.0.1', '10.0.0.9', 6, 1, 2, 100, i);
  feed(t, '10.0.0.2', '10.0.0.9', 6, 1, 2, 100, 4);
  feed(t, '10.0.0.2', '10.0.0.9', 6, 1, 2, 100, 4);
  let pk = parse(t.renderFlowFamilies().toString()).samples.get('netmon_flow_packets_total')!;
  assert.deepEqual([...pk.entries()].sort(), [[lbl('10.0.0.1', '10.0.0.9', 'tcp', 1, 2), 5], [OTHER5, 2]].sort());
  t.advance(20);
  pk = parse(t.renderFlowFamilies().toString()).samples.get('netmon_flow_packets_total')!;
  assert.deepEqual([...pk.entries()], [[OTHER5, 2]]);
});

test('aggregation: labels drop fields at the key level (fewer flows), prefixes become label text', () => {
  const records: FlowRecord[] = [];
  const opts: Partial<FlowTableOptions> = {
    labels: ['src_ip', 'dst_ip', 'dst_port'],
    aggregate: { src_ip: { ipv4: 24, ipv6: 48 }, dst_ip: { ipv4: 32 } },
  };
  const t = new FlowTable(opts, (r) => records.push(r));
  feed(t, '10.1.2.3', '192.0.2.1', 6, 1111, 443, 100, 1);
  feed(t, '10.1.2.200', '192.0.2.1', 6, 2222, 443, 200, 1); // same /24, other port: same flow
  feed(t, '10.1.2.7', '192.0.2.1', 17, 3333, 443, 300, 1); // udp: proto is not a label, same flow
  feed(t, '10.1.3.7', '192.0.2.1', 6, 1111, 443, 50, 1);
  feed(t, '2001:db8:abcd:12::1', '2001:db8::2', 6, 1, 443, 80, 1);
  feed(t, '2001:db8:abcd:ffff::9', '2001:db8::2', 6, 2, 443, 80, 1);
  assert.equal(t.stats.activeFlows, 3);
  const by = parse(t.renderFlowFamilies().toString()).samples.get('netmon_flow_bytes_total')!;
  assert.deepEqual([...by.entries()].sort(), [
    ['src_ip="10.1.2.0/24",dst_ip="192.0.2.1",dst_port="443"', 600],
    ['src_ip="10.1.3.0/24",dst_ip="192.0.2.1",dst_port="443"', 50],
    ['src_ip="2001:db8:abcd::/48",dst_ip="2001:db8::2",dst_port="443"', 160],
    ['src_ip="other",dst_ip="other",dst_port="other"', 0],
  ].sort());
  t.endAll();
  const r = records.find((x) => x.srcIp === '10.1.2.0/24')!;
  assert.deepEqual({ ...r }, { ipVersion: 4, srcIp: '10.1.2.0/24', dstIp: '192.0.2.1', proto: -1, srcPort: 0, dstPort: 443, packets: 3, bytes: 600, firstSeen: 1, lastSeen: 1, tcpFlags: 0, tcpHandshakeRtt: null, tcpRetransmissions: 0, endReason: 'end' });
});

test('aggregation without address labels merges IPv4 and IPv6 (no duplicate label sets)', () => {
  const t = new FlowTable({ labels: ['proto', 'dst_port'] });
  feed(t, '10.0.0.1', '10.0.0.2', 6, 5, 443, 100, 1);
  feed(t, '2001:db8::1', '2001:db8::2', 6, 6, 443, 100, 1);
  feed(t, '2001:db8::1', '2001:db8::2', 17, 6, 443, 100, 1);
  const pk = parse(t.renderFlowFamilies().toString()).samples.get('netmon_flow_packets_total')!;
  assert.deepEqual([...pk.entries()].sort(), [
    ['proto="other",dst_port="other"', 0],
    ['proto="tcp",dst_port="443"', 2],
    ['proto="udp",dst_port="443"', 1],
  ]);
});
