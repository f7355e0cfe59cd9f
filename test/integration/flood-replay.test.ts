import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateCapture } from '../../bench/capture-generator';
import type { GeneratedFlow } from '../../bench/capture-generator';
import { flowsByKey, parseExposition, runNetmon } from '../support/netmon-cli';

const dir = mkdtempSync(join(tmpdir(), 'netmon-flood-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const PROTO: Record<number, string> = { 6: 'tcp', 17: 'udp' };
const series = (f: GeneratedFlow) =>
  `{src_ip="${f.srcIp}",dst_ip="${f.dstIp}",proto="${PROTO[f.proto]}",src_port="${f.srcPort}",dst_port="${f.dstPort}"}`;
const OTHER = '{src_ip="other",dst_ip="other",proto="other",src_port="other",dst_port="other"}';

function sumFamily(m: Map<string, number>, family: string): { series: number; total: number } {
  let n = 0;
  let total = 0;
  for (const [k, v] of m) {
    if (!k.startsWith(`${family}{`)) continue;
    n++;
    total += v;
  }
  return { series: n, total };
}

// 1 000 000 SYNs from random sources to random ports, interleaved with 500 normal flows
// (Zipf-weighted: a few heavy flows carry most of their 200 000 packets). The generator records what
// it wrote for each normal flow: that is the oracle.
const flood = join(dir, 'flood.pcap');
const generated = generateCapture(flood, { packets: 200_000, flows: 500, floodPackets: 1_000_000, seed: 7, snaplen: 128 });
const heaviest = [...generated.flows].sort((a, b) => b.packets - a.packets).slice(0, 10);

test('a 1M random-source SYN flood stays within the series and memory budgets, heavy flows keep their series', () => {
  const r = runNetmon(['replay', flood, '--log-level', 'debug'], 120_000);
  assert.equal(r.code, 0, r.stderr);
  const m = parseExposition(r.stdout);
  const packets = sumFamily(m, 'netmon_flow_packets_total');
  assert.ok(packets.series <= 5001, `at most max_series (5000) + the overflow series, got ${packets.series}`);
  assert.ok(m.has(`netmon_flow_packets_total${OTHER}`), 'the overflow series is exported');
  for (const f of heaviest) {
    const got = m.get(`netmon_flow_packets_total${series(f)}`);
    assert.ok(got !== undefined, `heavy flow ${series(f)} (${f.packets} packets) has its own series`);
    assert.ok(got >= 0.9 * f.packets && got <= f.packets, `heavy flow ${series(f)}: ${got} of ${f.packets} packets`);
  }
  const finished = JSON.parse(r.stderr.split('\n').find((l) => l.includes('replay finished'))!) as { max_rss_bytes: number };
  assert.ok(finished.max_rss_bytes < 250 * 1024 * 1024, `peak RSS ${(finished.max_rss_bytes / 1048576).toFixed(0)} MiB is within 250 MiB`);
  assert.ok((m.get('netmon_flow_evictions_total{reason="capacity"}') ?? 0) > 0, 'the flood filled the table and capacity evictions were counted');
});

test('flows-json accounts for every packet of every normal flow exactly, through evictions', () => {
  const r = runNetmon(['replay', flood, '--format', 'flows-json', '--log-level', 'silent'], 180_000);
  assert.equal(r.code, 0, r.stderr);
  const got = flowsByKey(r.stdout);
  let total = 0;
  for (const v of got.values()) total += v.packets;
  assert.equal(total, generated.packets, 'every IP packet is in exactly one flow record');
  for (const f of generated.flows) {
    assert.deepEqual(got.get(`${f.srcIp} ${f.dstIp} ${f.proto} ${f.srcPort} ${f.dstPort}`), { packets: f.packets, bytes: f.bytes });
  }
});

test('within budget (a 2000-flow scan plus normal traffic) the flow series and overflow sum exactly to the IP packets', () => {
  const file = join(dir, 'scan.pcap');
  const g = generateCapture(file, { packets: 3_000, flows: 50, floodPackets: 2_000, seed: 9, snaplen: 128 });
  const r = runNetmon(['replay', file, '--log-level', 'silent']);
  assert.equal(r.code, 0, r.stderr);
  const m = parseExposition(r.stdout);
  assert.equal(sumFamily(m, 'netmon_flow_packets_total').total, g.packets);
  assert.equal(m.get('netmon_packets_total{interface="scan.pcap"}'), g.packets);
  for (const f of g.flows) assert.equal(m.get(`netmon_flow_packets_total${series(f)}`), f.packets);
});
