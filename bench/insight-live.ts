/**
 * Live cost of the DNS and TCP analysers (root, Linux): `netmon run` on a veth fed by tcpreplay from
 * inside a benchmark-made namespace with the analysers' benchmark traffic (bench/insight-capture.ts:
 * TCP connections with handshakes and real sequence numbers, 4% DNS), at a fixed rate below the
 * loss-free limit, with the analysers on (the defaults) and off (`dns.enabled: false`,
 * `tcp.enabled: false`), alternating within rounds. Per push: netmon's CPU (both processes, /proc)
 * from the push's start until it is idle, per packet counted, and the drops.
 *
 *   node dist/bench/insight-live.js [--packets N] [--pps N] [--rounds N]    prints the figures as JSON
 *
 * Everything it creates (namespace, veth, files) is deleted before it returns.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVethNs, liveSkipReason } from '../test/support/netns';
import type { VethNs } from '../test/support/netns';
import { generateInsightCapture } from './insight-capture';
import { cpuSeconds, sampleValue, sleep, startLiveNetmon } from './live-netmon';
import { median } from './timing';

export interface InsightLiveFigures {
  packets: number;
  pps: number;
  rounds: number;
  /** Median µs of CPU per packet counted, analysers on and off. */
  onUs: number;
  offUs: number;
  /** Median of the within-round ratios on / off. */
  ratio: number;
  /** Capture drops summed over every push (0: every packet counted). */
  dropped: number;
  /** Packets sent but not counted, summed over every push. */
  missing: number;
}

export function insightLiveSkipReason(): string | undefined {
  return liveSkipReason();
}

async function onePush(cli: string, config: string, v: VethNs, file: string, packets: number, pps: number): Promise<{ us: number; dropped: number; missing: number }> {
  const netmon = await startLiveNetmon(cli, ['--config', config, '--interface', v.host]);
  try {
    const cpu0 = cpuSeconds(netmon.pid);
    const out = v.exec(['tcpreplay', '-K', '-i', v.peer, `--pps=${pps}`, file], 120_000);
    const m = /Actual: (\d+) packets/.exec(out);
    const sent = m === null ? packets : Number(m[1]);
    // Drained: netmon idle (< 10 ms CPU per 100 ms) for 300 ms, within a deadline.
    const end = Date.now() + 60_000;
    let idleFor = 0;
    let last = cpuSeconds(netmon.pid);
    while (Date.now() < end && idleFor < 300) {
      await sleep(100);
      const cpu = cpuSeconds(netmon.pid);
      idleFor = cpu - last <= 0.01 ? idleFor + 100 : 0;
      last = cpu;
    }
    const cpu1 = cpuSeconds(netmon.pid);
    const text = await netmon.scrape();
    const counted = sampleValue(text, `netmon_packets_total{interface="${v.host}"}`) ?? 0;
    const dropped = (sampleValue(text, `netmon_capture_dropped_packets_total{interface="${v.host}",reason="kernel"}`) ?? 0) + (sampleValue(text, `netmon_capture_dropped_packets_total{interface="${v.host}",reason="interface"}`) ?? 0);
    return { us: ((cpu1 - cpu0) / Math.max(1, counted)) * 1e6, dropped, missing: Math.max(0, sent - counted) };
  } finally {
    await netmon.stop();
  }
}

export async function insightLiveBench(cli: string, opts: { packets?: number; pps?: number; rounds?: number } = {}): Promise<InsightLiveFigures> {
  const skip = insightLiveSkipReason();
  if (skip !== undefined) throw new Error(skip);
  const packets = opts.packets ?? 500_000;
  const pps = opts.pps ?? 200_000;
  const rounds = opts.rounds ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'netmon-insight-live-'));
  const v = createVethNs();
  try {
    const file = join(dir, 'insight.pcap');
    generateInsightCapture(file, { packets, flows: 800, seed: 1, snaplen: 256, dnsShare: 0.04, connectionPackets: 40 });
    const on = join(dir, 'on.yaml');
    const off = join(dir, 'off.yaml');
    writeFileSync(on, 'log:\n  level: warn\n');
    writeFileSync(off, 'log:\n  level: warn\ndns: {enabled: false}\ntcp: {enabled: false}\n');
    const onUs: number[] = [];
    const offUs: number[] = [];
    const ratios: number[] = [];
    let dropped = 0;
    let missing = 0;
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [on, off] : [off, on];
      const res = new Map<string, number>();
      for (const config of order) {
        const x = await onePush(cli, config, v, file, packets, pps);
        res.set(config, x.us);
        dropped += x.dropped;
        missing += x.missing;
      }
      onUs.push(res.get(on)!);
      offUs.push(res.get(off)!);
      ratios.push(res.get(on)! / res.get(off)!);
    }
    return { packets, pps, rounds, onUs: median(onUs), offUs: median(offUs), ratio: median(ratios), dropped, missing };
  } finally {
    v.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? dflt : Number(process.argv[i + 1]);
  };
  const cli = join(__dirname, '..', '..', 'bin', 'netmon.js');
  insightLiveBench(cli, { packets: arg('--packets', 500_000), pps: arg('--pps', 200_000), rounds: arg('--rounds', 3) }).then(
    (f) => process.stdout.write(`${JSON.stringify(f, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`insight live benchmark: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
