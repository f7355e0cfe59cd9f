/**
 * Flow filters (src/flow/flow-filter.ts) against tcpdump: traffic of many flows (IPv4 and IPv6;
 * TCP, UDP, SCTP, ICMP, ICMPv6; several packets per flow with varied flags and sizes) is written
 * to a capture, tcpdump selects packets with each expression, and the flow filter must select
 * exactly the flows of those packets (and tcpdump must select all packets of a flow or none: the
 * expressions only read what a flow key holds). Expressions reading anything else are refused.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FilterError } from '../../src/filter/compile-filter';
import { compileFlowFilter, FlowFilterError } from '../../src/flow/flow-filter';
import { FlowKeyProjection } from '../../src/flow/flow-key';
import { resolveFlowOptions } from '../../src/flow/flow-options';
import type { FlowTableOptions } from '../../src/flow/flow-options';
import { FlowTable } from '../../src/flow/flow-table';
import { FlowRecordBatchBuilder, flowRecordAt } from '../../src/flow/flow-record-batch';
import { TopN } from '../../src/flow/top-n';
import { ETH, ethernet, icmp, icmpv6, ipv4, ipv6, prng, PROTO, sctp, tcp, udp } from '../support/frames';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';
import { feed } from '../support/flow-feed';

const HAVE_TCPDUMP = spawnSync('tcpdump', ['--version']).status === 0;
const V4 = ['10.0.0.1', '10.1.2.3', '10.1.2.200', '192.168.1.1', '192.168.7.9', '172.16.5.4', '8.8.8.8'];
const V6 = ['2001:db8::1', '2001:db8:0:1::2', 'fe80::1', '2001:db8::abcd:1'];
const PORTS = [22, 53, 80, 443, 8080, 1024, 65535];
const PROTOS_V4 = [PROTO.TCP, PROTO.TCP, PROTO.UDP, PROTO.UDP, PROTO.SCTP, PROTO.ICMP];
const PROTOS_V6 = [PROTO.TCP, PROTO.UDP, PROTO.SCTP, PROTO.ICMPV6];

interface Flow {
  v6: boolean;
  src: string;
  dst: string;
  proto: number;
  sport: number;
  dport: number;
}

type Rand = () => number;
const pick = <T>(r: Rand, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;

function buildFlows(r: Rand, n: number): Flow[] {
  const seen = new Set<string>();
  const out: Flow[] = [];
  while (out.length < n) {
    const v6 = r() < 0.35;
    const proto = pick(r, v6 ? PROTOS_V6 : PROTOS_V4);
    const ports = proto === PROTO.TCP || proto === PROTO.UDP || proto === PROTO.SCTP;
    const f: Flow = { v6, src: pick(r, v6 ? V6 : V4), dst: pick(r, v6 ? V6 : V4), proto, sport: ports ? pick(r, PORTS) : 0, dport: ports ? pick(r, PORTS) : 0 };
    const k = JSON.stringify(f);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(f);
  }
  return out;
}

function packetOf(r: Rand, f: Flow): Buffer {
  const pay = Buffer.alloc(pick(r, [0, 10, 300]), 0x61);
  const l4 = f.proto === PROTO.TCP ? tcp({ sport: f.sport, dport: f.dport, flags: pick(r, [0x02, 0x12, 0x10, 0x18, 0x11]), seq: Math.floor(r() * 2 ** 32) }, pay)
    : f.proto === PROTO.UDP ? udp({ sport: f.sport, dport: f.dport }, pay)
      : f.proto === PROTO.SCTP ? sctp({ sport: f.sport, dport: f.dport }, pay)
        : f.proto === PROTO.ICMP ? icmp({ type: pick(r, [8, 0, 3]), code: 0 }, pay)
          : icmpv6({ type: pick(r, [128, 129, 135]), code: 0 }, pay);
  return f.v6
    ? ethernet({ etherType: ETH.IPV6 }, ipv6({ src: f.src, dst: f.dst, nextHeader: f.proto, hopLimit: pick(r, [64, 1]) }, l4))
    : ethernet({ etherType: ETH.IPV4 }, ipv4({ src: f.src, dst: f.dst, proto: f.proto, ttl: pick(r, [64, 1, 255]) }, l4));
}

function genPrim(r: Rand): string {
  const dir = (): string => pick(r, ['', '', 'src ', 'dst ', 'src or dst ', 'src and dst ']);
  switch (Math.floor(r() * 13)) {
    case 0: return `${dir()}host ${pick(r, [...V4, ...V6])}`;
    case 1: return `${dir()}net ${pick(r, ['10.0.0.0/8', '10.1.2.0/24', '192.168', '172.16.0.0/12', '2001:db8::/32', 'fe80::/10', '10.1.2.128/25'])}`;
    case 2: return `${pick(r, ['', 'tcp ', 'udp ', 'sctp '])}${dir()}port ${pick(r, PORTS)}`;
    case 3: return `${pick(r, ['', 'tcp ', 'udp '])}${dir()}portrange ${pick(r, ['1-1024', '80-443', '8000-9000', '1024-65535'])}`;
    case 4: return pick(r, ['tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'ip', 'ip6']);
    case 5: return pick(r, ['ip proto 17', 'ip6 proto 6', 'proto 132', 'ip proto \\icmp', 'ip6 proto 58']);
    case 6: return pick(r, ['ip[9] = 6', 'ip[12:4] = 0x0a010203', 'ip[16] & 0xf0 = 0xc0', 'ip6[6] = 17', 'ip6[8:2] = 0x2001']);
    case 7: return pick(r, ['tcp[0:2] = 80', 'udp[2:2] > 1000', 'tcp[2:2] & 0xff00 = 0x1f00', 'sctp[0:2] < 1024']);
    case 8: return `${pick(r, ['ip ', 'ip6 ', ''])}${dir()}host ${pick(r, [...V4, ...V6])}`.replace(/^ip (\S+ )*host (\S*:\S*)$/, 'ip6 host $2').replace(/^ip6 (\S+ )*host (\d+\.\S+)$/, 'ip host $2');
    case 9: return `${dir()}port ${pick(r, PORTS)} and ${pick(r, ['tcp', 'udp', 'ip6'])}`;
    case 10: return `not ${pick(r, ['tcp', 'udp', 'ip6', 'icmp'])}`;
    case 11: return `${dir()}net ${pick(r, ['10.1.2.0 mask 255.255.255.0', '192.168.0.0/16'])}`;
    default: return 'ip or ip6';
  }
}

function genExpr(r: Rand, depth = 0): string {
  if (depth >= 2 || r() < 0.35) return genPrim(r);
  const a = genExpr(r, depth + 1);
  const b = genExpr(r, depth + 1);
  const op = pick(r, ['and', 'or', '&&', '||']);
  return r() < 0.3 ? `not (${a}) ${op} ${b}` : `(${a}) ${op} (${b})`;
}

const proj = (o: Partial<FlowTableOptions> = {}) => new FlowKeyProjection(resolveFlowOptions(o));

/** Key words of a flow, as the flow table holds them with every label kept. */
function keyOf(f: Flow): Int32Array {
  const t = new FlowTable({ maxSeries: 10 });
  feed(t, f.src, f.dst, f.proto, f.sport, f.dport, 60, 1);
  const b = new FlowRecordBatchBuilder(1);
  t.selectActive(new TopN(1), false, null, b);
  return b.take().keys;
}

describe('flow filters select the flows whose packets tcpdump selects', { skip: HAVE_TCPDUMP ? undefined : 'tcpdump is not installed' }, () => {
  let dir: string;
  let file: string;
  let flows: Flow[];
  let flowOfPacket: number[];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nmt-flowfilter-'));
    const r = prng(1313);
    flows = buildFlows(r, 160);
    flowOfPacket = [];
    const packets: { data: Buffer; ts: number }[] = [];
    flows.forEach((f, i) => {
      const n = 1 + Math.floor(r() * 3);
      for (let k = 0; k < n; k++) {
        packets.push({ data: packetOf(r, f), ts: 1000 + packets.length });
        flowOfPacket.push(i);
      }
    });
    file = join(dir, 'flows.pcap');
    writePcap(file, packets, { linkType: LINKTYPE_ETHERNET });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const tcpdumpFlows = (expr: string): Set<number> => {
    const run = spawnSync('tcpdump', ['-r', file, '-nn', '-tt', expr], { encoding: 'utf8' });
    // libpcap refuses an expression that can match nothing ("tcp and udp"): that selects no flow.
    if (run.status !== 0 && /rejects all packets/.test(run.stderr)) return new Set();
    assert.equal(run.status, 0, `tcpdump ${expr}: ${run.stderr}`);
    const out = run.stdout;
    const perFlow = new Map<number, number>();
    for (const line of out.split('\n')) {
      const m = /^(\d+)\./.exec(line);
      if (m === null) continue;
      const f = flowOfPacket[Number(m[1]) - 1000]!;
      perFlow.set(f, (perFlow.get(f) ?? 0) + 1);
    }
    for (const [f, n] of perFlow) assert.equal(n, flowOfPacket.filter((x) => x === f).length, `${expr}: tcpdump selects only some packets of flow ${JSON.stringify(flows[f])}`);
    return new Set(perFlow.keys());
  };

  it('hand-picked and 150 seeded random expressions', () => {
    const p = proj();
    const keys = flows.map(keyOf);
    const r = prng(77);
    const exprs = ['', 'host 10.1.2.3', 'src net 10.1.2.0/24 and tcp', 'port 80 or port 443', 'udp dst portrange 1-1024', 'icmp or icmp6', 'ip6 and not tcp',
      'sctp', 'tcp[0:2] = 22', 'ip[9] = 17', 'ip6 proto 58', 'dst host 2001:db8::1 and udp', 'not ip', ...Array.from({ length: 150 }, () => genExpr(r))];
    let nonTrivial = 0;
    for (const expr of exprs) {
      const want = tcpdumpFlows(expr);
      const match = compileFlowFilter(expr, p);
      const got = new Set(flows.map((_, i) => i).filter((i) => match(keys[i]!, 0)));
      assert.deepEqual([...got].sort((a, b) => a - b), [...want].sort((a, b) => a - b), expr);
      if (want.size > 0 && want.size < flows.length) nonTrivial++;
    }
    assert.ok(nonTrivial > 100, `only ${nonTrivial} expressions split the flows`);
  });
});

describe('flow filters refuse what a flow does not have', () => {
  const refused = (expr: string, o?: Partial<FlowTableOptions>) => assert.throws(() => compileFlowFilter(expr, proj(o)), FlowFilterError, expr);
  it('lengths, flags, TTL, ICMP types, computed offsets', () => {
    for (const e of ['len > 100', 'less 64', 'greater 1000', 'tcp[13] & 2 != 0', 'tcp[tcpflags] & tcp-syn != 0', 'ip[8] = 64', 'icmp[icmptype] = icmp-echo',
      'tcp[tcp[12] >> 4] = 0', 'ip6[7] = 64', 'ip[6:2] & 0x1fff != 0', 'udp[4:2] > 10', 'icmp6[icmp6type] = 128', 'ip[0] & 0xf > 5', 'port 80 and len > 60']) refused(e);
    assert.throws(() => compileFlowFilter('tcp[13] &', proj()), FilterError);
    assert.match((() => { try { compileFlowFilter('tcp[13] & 2 != 0', proj()); } catch (e) { return (e as Error).message; } return ''; })(), /transport header byte 13/);
  });
  it('fields aggregated away by flows.labels and flows.aggregate', () => {
    refused('port 80', { labels: ['src_ip', 'dst_ip', 'proto'] });
    refused('tcp', { labels: ['src_ip', 'dst_ip', 'src_port', 'dst_port'] });
    refused('src host 10.1.2.3', { aggregate: { src_ip: { ipv4: 24 } } });
    refused('ip', { labels: ['proto', 'dst_port'] });
    const p = proj({ aggregate: { src_ip: { ipv4: 24 } } });
    const m = compileFlowFilter('src net 10.1.2.0/24 and dst host 10.0.0.1', p);
    const t = new FlowTable({ maxSeries: 10, aggregate: { src_ip: { ipv4: 24 } } });
    feed(t, '10.1.2.77', '10.0.0.1', 6, 1, 2, 60, 1);
    feed(t, '10.1.3.77', '10.0.0.1', 6, 1, 2, 60, 1);
    const b = new FlowRecordBatchBuilder(2);
    assert.equal(t.selectActive(new TopN(2), false, m, b), 1);
    const batch = b.take();
    assert.equal(flowRecordAt(batch, 0, p).srcIp, '10.1.2.0/24');
  });
});

describe('FlowTable.selectActive', () => {
  it('returns the top N by bytes or packets among the matching flows, best first', () => {
    const t = new FlowTable({ maxSeries: 10 });
    const r = prng(5);
    const want = new Map<string, { packets: number; bytes: number; port: number }>();
    for (let i = 0; i < 3000; i++) {
      const port = 1 + Math.floor(r() * 500);
      const len = 60 + Math.floor(r() * 1400);
      feed(t, '10.0.0.1', '10.0.0.2', 17, port, port % 7 === 0 ? 53 : 80, len, 1 + i / 1000);
      const k = `${port}`;
      const w = want.get(k) ?? { packets: 0, bytes: 0, port };
      w.packets++;
      w.bytes += len;
      want.set(k, w);
    }
    const p = proj();
    for (const by of ['bytes', 'packets'] as const) {
      for (const filter of [null, 'udp dst port 53']) {
        const b = new FlowRecordBatchBuilder(10);
        const m = filter === null ? null : compileFlowFilter(filter, p);
        const matched = t.selectActive(new TopN(10), by === 'packets', m, b);
        const batch = b.take();
        const got = Array.from({ length: batch.count }, (_, i) => flowRecordAt(batch, i, p));
        const pool = [...want.values()].filter((w) => filter === null || w.port % 7 === 0);
        assert.equal(matched, pool.length);
        const best = pool.map((w) => w[by]).sort((a, b) => b - a).slice(0, 10);
        assert.deepEqual(got.map((x) => x[by]), best);
        for (const g of got) assert.deepEqual({ packets: g.packets, bytes: g.bytes }, { packets: want.get(`${g.srcPort}`)!.packets, bytes: want.get(`${g.srcPort}`)!.bytes });
      }
    }
  });
});
