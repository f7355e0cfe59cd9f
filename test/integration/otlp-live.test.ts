/**
 * OTLP from `netmon run` on a veth pair in a test-made network namespace (root only), into a real
 * receiver in this process (OTLP/protobuf decoded by protobufjs with the spec's definitions):
 *  - while traffic flows and /metrics is scraped, every export equals one /metrics response (the
 *    export reuses the snapshot of the latest scrape), its counters never go down from one export
 *    to the next, and the packet total ends equal to the frames sent;
 *  - a flow that ended (idle timeout) is gone from the next export, as from /metrics;
 *  - a flood of one-packet flows stays within the series budget over OTLP too, with the same
 *    series as /metrics
 * (the collector outage: otlp-outage.test.ts).
 * Frames are sent with tcpreplay from inside the namespace; their destination MAC is not the host
 * veth's, so the host kernel never answers and the counts are exact (see run-live.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TCP_FLAGS, ethIpv4Tcp, ethIpv4Udp } from '../support/frames';
import { liveSkipReason } from '../support/netns';
import { sampleKey, translateToPrometheus } from '../support/otlp-receiver';
import type { ReceivedExport } from '../support/otlp-receiver';
import { scrape, scrapeUntil, send, startLive, stopLive } from '../support/otlp-live-netmon';
import type { Live } from '../support/otlp-live-netmon';

const skip = liveSkipReason() ?? (spawnSync('tcpreplay', ['--version']).status === 0 ? undefined : 'tcpreplay is not installed');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Samples that come from the capture snapshot (prom-client's process metrics and the export's own counters are read when each is made). */
const fromSnapshot = (key: string) => key.startsWith('netmon_') && !key.startsWith('netmon_otlp_') && !key.startsWith('netmon_process_') && !key.startsWith('netmon_nodejs_');
const snapshotPart = (m: Map<string, number>) => new Map([...m].filter(([k]) => fromSnapshot(k)));
const flowKeys = (m: Map<string, number>) => [...m.keys()].filter((k) => k.startsWith('netmon_flow_packets_total{')).sort();

describe('OTLP from netmon run on a veth pair', { skip, timeout: 120_000 }, () => {
  let l: Live;
  const packetsKey = () => sampleKey('netmon_packets_total', { interface: l.v.host });
  before(async () => {
    l = await startLive('run', '  interval: 500ms\n  timeout: 400ms\n', '  idle_timeout: 2s\n  max_series: 40\n');
  });
  after(() => stopLive(l));

  it('each export equals a /metrics response of the same snapshot, and its counters never go down', async () => {
    const scrapes: Array<Map<string, number>> = [];
    let sending = true;
    let sent = 0;
    const loop = (async () => {
      while (sending) {
        scrapes.push(snapshotPart(await scrape(l)));
        await sleep(60);
      }
    })();
    const firstExport = l.receiver.exports.length;
    const t0 = Date.now();
    // Six bursts, 1.2 s apart: some flows continue, some are new; 30 flows in all, within the budget.
    for (let burst = 0; burst < 6; burst++) {
      const frames: Buffer[] = [];
      for (let f = 0; f < 5 * (burst + 1); f++) {
        for (let k = 0; k < 3; k++) frames.push(ethIpv4Tcp({ src: l.v.peerAddr, dst: l.v.hostAddr, sport: 20_000 + f, dport: 80, flags: TCP_FLAGS.ACK }, Buffer.alloc(10 + f * 7 + k, 1)));
      }
      send(l, `burst-${burst}.pcap`, frames);
      sent += frames.length;
      await sleep(1200);
    }
    await scrapeUntil(l, (m) => m.get(packetsKey()) === sent, 10_000, `${sent} packets counted`);
    await l.receiver.waitFor(l.receiver.exports.length + 2, 10_000);
    sending = false;
    await loop;
    const exports = l.receiver.exports.slice(firstExport).filter((e) => e.receivedAtMs > t0 + 300);
    assert.ok(exports.length >= 8, `${exports.length} exports while traffic flowed`);
    const scraped = scrapes.map((m) => JSON.stringify([...m].sort()));
    let matched = 0;
    let previous: Map<string, number> | undefined;
    for (const e of exports) {
      const got = snapshotPart(translateToPrometheus(e));
      if (scraped.includes(JSON.stringify([...got].sort()))) matched++;
      if (previous !== undefined) {
        for (const [k, v] of got) {
          const name = k.split('{')[0]!;
          const counter = /_total$|_bucket$|_count$|_sum$/.test(name);
          if (counter && previous.has(k)) assert.ok(v >= previous.get(k)!, `${k} went down from ${previous.get(k)} to ${v}`);
        }
      }
      previous = got;
    }
    // Every export reused the snapshot of a scrape (scrapes ran ~every 100 ms, exports every 500 ms).
    assert.equal(matched, exports.length, `${matched} of ${exports.length} exports equal a /metrics response`);
    const last = translateToPrometheus(l.receiver.exports.at(-1)!);
    assert.equal(last.get(packetsKey()), sent, 'the last export counted every frame sent');
  });

  it('an ended flow is gone from the next export', async () => {
    const frames = [0, 1, 2].map(() => ethIpv4Udp({ src: l.v.peerAddr, dst: '198.19.9.9', sport: 33333, dport: 9999 }, Buffer.alloc(30)));
    const key = sampleKey('netmon_flow_packets_total', { src_ip: l.v.peerAddr, dst_ip: '198.19.9.9', proto: 'udp', src_port: '33333', dst_port: '9999' });
    send(l, 'ending.pcap', frames);
    await scrapeUntil(l, (m) => m.get(key) === 3, 5000, 'the flow on /metrics');
    const n = l.receiver.exports.length;
    await l.receiver.waitFor(n + 2, 5000);
    assert.equal(translateToPrometheus(l.receiver.exports.at(-1)!).get(key), 3, 'the flow is exported');
    // idle_timeout is 2 s: the flow ends, its series leaves /metrics...
    await scrapeUntil(l, (m) => !m.has(key), 10_000, 'the flow gone from /metrics');
    const after = l.receiver.exports.length;
    await l.receiver.waitFor(after + 2, 5000);
    // ...and every export made after that scrape lacks it (the one in flight at that moment may still have it).
    for (const e of l.receiver.exports.slice(after + 1)) assert.ok(!translateToPrometheus(e).has(key), 'an ended flow lingers in an export');
  });

  it('a flood of one-packet flows stays within the series budget over OTLP, with the series /metrics shows', async () => {
    const heavy: Buffer[] = [];
    for (let f = 0; f < 5; f++) for (let k = 0; k < 20; k++) heavy.push(ethIpv4Tcp({ src: l.v.peerAddr, dst: l.v.hostAddr, sport: 30_000 + f, dport: 80, flags: TCP_FLAGS.ACK }, Buffer.alloc(1000, 2)));
    const flood: Buffer[] = [];
    for (let i = 0; i < 3000; i++) flood.push(ethIpv4Tcp({ src: `198.18.${100 + (i >> 8)}.${i & 255}`, dst: l.v.hostAddr, sport: 1024 + i, dport: 443, flags: TCP_FLAGS.SYN }, Buffer.alloc(0)));
    const before = (await scrape(l)).get(packetsKey())!;
    send(l, 'heavy.pcap', heavy);
    send(l, 'flood.pcap', flood);
    await scrapeUntil(l, (m) => m.get(packetsKey()) === before + heavy.length + flood.length, 10_000, 'the flood counted');
    // Scrape, then take the next export: it reuses that scrape's snapshot.
    let pairs = 0;
    for (let round = 0; round < 4; round++) {
      const m = await scrape(l);
      const n = l.receiver.exports.length;
      await l.receiver.waitFor(n + 1, 5000);
      const e: ReceivedExport = l.receiver.exports[n]!;
      const got = translateToPrometheus(e);
      const series = e.metrics.find((x) => x.name === 'netmon_flow_packets')!.points;
      assert.ok(series.length <= 40 + 1, `${series.length} flow series over OTLP, budget 40 + overflow`);
      assert.ok(got.has(sampleKey('netmon_flow_packets_total', { src_ip: 'other', dst_ip: 'other', proto: 'other', src_port: 'other', dst_port: 'other' })));
      assert.ok(!series.some((p) => 'otel.metric.overflow' in p.attributes));
      if (JSON.stringify(flowKeys(got)) === JSON.stringify(flowKeys(m))) pairs++;
      for (let f = 0; f < 5; f++) {
        const k = sampleKey('netmon_flow_packets_total', { src_ip: l.v.peerAddr, dst_ip: l.v.hostAddr, proto: 'tcp', src_port: String(30_000 + f), dst_port: '80' });
        assert.equal(got.get(k), 20, `heavy flow ${f} keeps its series through the flood`);
      }
    }
    assert.ok(pairs >= 3, `${pairs} of 4 exports carried exactly the flow series of the scrape before them`);
  });
});

