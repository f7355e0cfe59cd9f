/**
 * Live capture benchmark (root, Linux): `netmon run` on veth pairs in benchmark-made network
 * namespaces, fed by tcpreplay from inside the namespaces with minimum-size frames at top speed and
 * at fixed rates. For each run: frames sent (tcpreplay's count and rate), frames counted by netmon,
 * capture drops, netmon CPU time per packet (utime+stime from /proc/PID/stat around the push) and RSS,
 * with and without /metrics scraped 4 times a second while `flows` flow series are exported
 * (flows.max_series = flows, every frame of the push belongs to one of those flows).
 *
 *   node dist/bench/live-capture.js [--quick]        prints a table and the figures as JSON
 *
 * Everything it creates (namespaces, veths, files) is deleted before it returns.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVethNs, liveSkipReason } from '../test/support/netns';
import type { VethNs } from '../test/support/netns';
import { ScrapeLoop, cpuSeconds, rssBytes, sampleValue, sleep, startLiveNetmon } from './live-netmon';
import type { LiveNetmon, ScrapeFigures } from './live-netmon';
import { writeFlowTraffic } from './live-traffic';

export interface LiveRunSpec {
  /** Number of veth pairs captured at once, each with its own tcpreplay. */
  interfaces: number;
  /** tcpreplay pacing per interface: top speed or packets per second. */
  rate: 'topspeed' | number;
  /** Frames pushed per interface. */
  packets: number;
  /** Scrape /metrics 4 times a second during the push. */
  scrape: boolean;
  /** tcpreplay processes per interface sending the same file at once (default 1). */
  senders?: number;
  /** capture.buffer_size_mb (kernel ring per interface; default netmon's 64). */
  bufferMb?: number;
}

export interface LiveRun extends LiveRunSpec {
  /** Aggregate rate tcpreplay reported (sum over interfaces), packets/s. */
  sendPps: number;
  sent: number;
  counted: number;
  /** Kernel (ring full) + interface drops during the push. */
  dropped: number;
  /** From the last tcpreplay exit until everything was counted (or counting stopped), ms (±100). */
  drainMs: number;
  /** netmon CPU (user + system) over the push, microseconds per counted packet. */
  cpuUsPerPacket: number;
  /** netmon CPU seconds / wall seconds from push start to drained. */
  cpuShare: number;
  rssStartMiB: number;
  rssEndMiB: number;
  /** Flow series exported when the push started. */
  flowSeries: number;
  scrapes?: ScrapeFigures;
  /** sent === counted and dropped === 0. */
  lossFree: boolean;
}

export interface LiveCaptureFigures {
  flowsPerInterface: number;
  runs: LiveRun[];
  /** Highest tcpreplay rate with every packet counted, one interface, default ring, without / with scraping (0: none). */
  maxLossFreePps: number;
  maxLossFreePpsScraping: number;
  /** Same over two interfaces at once (aggregate). */
  maxLossFreePpsTwoInterfaces: number;
}

export interface LiveBenchOptions {
  /** Flows per interface; each run's max_series is flows x its interfaces. */
  flows: number;
  runs: LiveRunSpec[];
}

export const DEFAULT_RUNS: LiveRunSpec[] = [
  ...[false, true].flatMap((scrape) => [
    { interfaces: 1, rate: 100_000, packets: 300_000, scrape },
    { interfaces: 1, rate: 250_000, packets: 750_000, scrape },
    { interfaces: 1, rate: 400_000, packets: 1_000_000, scrape },
    { interfaces: 1, rate: 'topspeed' as const, packets: 1_000_000, scrape },
    { interfaces: 1, rate: 'topspeed' as const, packets: 500_000, scrape, senders: 2 },
    { interfaces: 2, rate: 'topspeed' as const, packets: 500_000, scrape },
  ]),
  // Ring headroom: the JS thread does not read the ring while it renders a scrape.
  { interfaces: 1, rate: 'topspeed', packets: 1_000_000, scrape: true, bufferMb: 8 },
  { interfaces: 1, rate: 'topspeed', packets: 1_000_000, scrape: true, bufferMb: 2 },
];

/** Why the benchmark cannot run here, or undefined. */
export function liveBenchSkipReason(): string | undefined {
  return liveSkipReason();
}

interface Pair {
  v: VethNs;
  push: Map<number, string>;
  warm: string;
}

/** Runs the benchmark with `netmonCli` (bin/netmon.js). Throws if it cannot run (see liveBenchSkipReason). */
export async function liveCaptureBench(netmonCli: string, options: Partial<LiveBenchOptions> = {}): Promise<LiveCaptureFigures> {
  const skip = liveBenchSkipReason();
  if (skip !== undefined) throw new Error(skip);
  const flows = options.flows ?? 10_000;
  const specs = options.runs ?? DEFAULT_RUNS;
  const maxIfaces = Math.max(...specs.map((s) => s.interfaces));
  const dir = mkdtempSync(join(tmpdir(), 'netmon-live-bench-'));
  const pairs: Pair[] = [];
  try {
    for (let i = 0; i < maxIfaces; i++) {
      const v = createVethNs();
      const warm = join(dir, `warm-${i}.pcap`);
      writeFlowTraffic(warm, { packets: flows, flows, src: v.peerAddr, dst: v.hostAddr });
      pairs.push({ v, push: new Map(), warm });
    }
    const runs: LiveRun[] = [];
    for (const spec of specs) {
      const used = pairs.slice(0, spec.interfaces);
      for (const [i, p] of used.entries()) {
        if (p.push.has(spec.packets)) continue;
        const file = join(dir, `push-${i}-${spec.packets}.pcap`);
        writeFlowTraffic(file, { packets: spec.packets, flows, src: p.v.peerAddr, dst: p.v.hostAddr });
        p.push.set(spec.packets, file);
      }
      const config = join(dir, `netmon-${spec.interfaces}-${spec.bufferMb ?? 64}.yaml`);
      const ring = spec.bufferMb !== undefined ? `capture:\n  buffer_size_mb: ${spec.bufferMb}\n` : '';
      writeFileSync(config, `${ring}flows:\n  max_series: ${flows * spec.interfaces}\n`);
      runs.push(await oneRun(netmonCli, config, used, flows, spec));
    }
    const best = (f: (r: LiveRun) => boolean) =>
      Math.max(0, ...runs.filter((r) => r.lossFree && r.bufferMb === undefined && f(r)).map((r) => r.sendPps));
    return {
      flowsPerInterface: flows,
      runs,
      maxLossFreePps: best((r) => r.interfaces === 1 && !r.scrape),
      maxLossFreePpsScraping: best((r) => r.interfaces === 1 && r.scrape),
      maxLossFreePpsTwoInterfaces: best((r) => r.interfaces === 2),
    };
  } finally {
    for (const p of pairs) p.v.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** tcpreplay from inside the namespace; resolves with its "Actual: N packets ... sent in S seconds". */
async function tcpreplay(v: VethNs, file: string, rate: 'topspeed' | number): Promise<{ sent: number; seconds: number }> {
  const pace = rate === 'topspeed' ? '--topspeed' : `--pps=${rate}`;
  const child = spawn('ip', ['netns', 'exec', v.ns, 'tcpreplay', '-K', '-i', v.peer, pace, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const t = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(t);
  const m = /Actual: (\d+) packets \(\d+ bytes\) sent in ([\d.]+) seconds/.exec(out);
  if (code !== 0 || m === null) throw new Error(`tcpreplay failed (${code}): ${out.slice(-1000)}`);
  return { sent: Number(m[1]), seconds: Number(m[2]) };
}

interface Counters {
  packets: number;
  dropped: number;
}

function counters(text: string, ifaces: readonly string[]): Counters {
  let packets = 0;
  let dropped = 0;
  for (const i of ifaces) {
    packets += sampleValue(text, `netmon_packets_total{interface="${i}"}`) ?? NaN;
    dropped += sampleValue(text, `netmon_capture_dropped_packets_total{interface="${i}",reason="kernel"}`) ?? NaN;
    dropped += sampleValue(text, `netmon_capture_dropped_packets_total{interface="${i}",reason="interface"}`) ?? NaN;
  }
  return { packets, dropped };
}

async function waitCounted(netmon: LiveNetmon, ifaces: readonly string[], want: number, ms: number): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const text = await netmon.scrape();
    if (counters(text, ifaces).packets >= want || Date.now() > end) return text;
    await sleep(100);
  }
}

async function oneRun(cli: string, config: string, pairs: readonly Pair[], flows: number, spec: LiveRunSpec): Promise<LiveRun> {
  const ifaces = pairs.map((p) => p.v.host);
  const netmon = await startLiveNetmon(cli, ['--config', config, ...ifaces.flatMap((i) => ['--interface', i])]);
  try {
    // Warm-up: one frame per flow, then one scrape so that every flow has its series.
    await Promise.all(pairs.map((p) => tcpreplay(p.v, p.warm, 'topspeed')));
    await waitCounted(netmon, ifaces, flows * pairs.length, 20_000);
    const before = await netmon.scrape();
    const base = counters(before, ifaces);
    const flowSeries = sampleValue(before, 'netmon_flow_series') ?? 0;

    const rssStart = rssBytes(netmon.pid);
    const cpu0 = cpuSeconds(netmon.pid);
    const t0 = performance.now();
    const loop = spec.scrape ? new ScrapeLoop(netmon, 4) : undefined;
    loop?.start();
    const senders = pairs.flatMap((p) => Array.from({ length: spec.senders ?? 1 }, () => p));
    const sends = await Promise.all(senders.map((p) => tcpreplay(p.v, p.push.get(spec.packets)!, spec.rate)));
    const tSent = performance.now();
    const sent = sends.reduce((n, s) => n + s.sent, 0);
    const want = base.packets + sent;

    // Drained: everything counted, or counting stopped (then the rest was dropped). Without scraping
    // that is read from netmon's CPU time (idle for 300 ms), so no scrape adds load; with scraping
    // from the loop's own scrapes.
    let tDone = tSent;
    let idleFor = 0;
    let lastCpu = cpuSeconds(netmon.pid);
    let lastCount = -1;
    let lastChange = tSent;
    const limit = tSent + 60_000;
    while (performance.now() < limit) {
      await sleep(100);
      if (loop === undefined) {
        const cpu = cpuSeconds(netmon.pid);
        idleFor = cpu - lastCpu <= 0.01 ? idleFor + 100 : 0;
        lastCpu = cpu;
        if (idleFor >= 300) break;
        if (idleFor === 0) tDone = performance.now();
      } else if (loop.lastText !== undefined) {
        const c = counters(loop.lastText, ifaces).packets;
        if (c >= want) {
          tDone = loop.lastAt;
          break;
        }
        if (c !== lastCount) {
          lastCount = c;
          lastChange = loop.lastAt;
          tDone = loop.lastAt;
        } else if (performance.now() - lastChange > 1500) break;
      }
    }
    const cpu1 = cpuSeconds(netmon.pid);
    const scrapes = await loop?.stop();
    const after = counters(await netmon.scrape(), ifaces);
    const rssEnd = rssBytes(netmon.pid);
    const counted = after.packets - base.packets;
    const dropped = after.dropped - base.dropped;
    const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
    const code = await netmon.stop();
    if (code !== 0) throw new Error(`netmon exited ${code}: ${netmon.stderr()}`);
    return {
      ...spec,
      sendPps: Math.round(sends.reduce((n, s) => n + s.sent / s.seconds, 0)),
      sent,
      counted,
      dropped,
      drainMs: Math.round(Math.max(0, tDone - tSent)),
      cpuUsPerPacket: counted > 0 ? ((cpu1 - cpu0) / counted) * 1e6 : NaN,
      cpuShare: (cpu1 - cpu0) / ((tDone - t0) / 1000),
      rssStartMiB: mib(rssStart),
      rssEndMiB: mib(rssEnd),
      flowSeries,
      ...(scrapes !== undefined ? { scrapes } : {}),
      lossFree: counted === sent && dropped === 0,
    };
  } finally {
    await netmon.stop();
  }
}

/** One markdown line per run. */
export function formatLiveRuns(f: LiveCaptureFigures): string {
  const lines = [
    '| ifaces x senders | ring | pacing | scrape 4/s | sent | tcpreplay rate | counted | dropped | drain ms | netmon CPU/pkt | CPU share | RSS start→end | scrape p50/max |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of f.runs) {
    const pace = r.rate === 'topspeed' ? 'topspeed' : `${r.rate / 1000}k pps`;
    const sc = r.scrapes === undefined ? '-' : `${r.scrapes.p50Ms.toFixed(0)}/${r.scrapes.maxMs.toFixed(0)} ms (${r.scrapes.scrapes}, ${(r.scrapes.bytes / 1e6).toFixed(1)} MB)`;
    lines.push(
      `| ${r.interfaces} x ${r.senders ?? 1} | ${r.bufferMb ?? 64} MiB | ${pace} | ${r.scrape ? 'yes' : 'no'} | ${r.sent} | ${(r.sendPps / 1000).toFixed(0)}k pps | ${r.counted} | ${r.dropped} | ${r.drainMs} | ${r.cpuUsPerPacket.toFixed(2)} µs | ${(r.cpuShare * 100).toFixed(0)}% | ${r.rssStartMiB}→${r.rssEndMiB} MiB | ${sc} |`,
    );
  }
  lines.push('', `flow series exported during the pushes: ${f.runs.map((r) => r.flowSeries).join(', ')}`);
  lines.push(`highest loss-free rate, 1 interface: ${f.maxLossFreePps} pps; with scraping: ${f.maxLossFreePpsScraping} pps; 2 interfaces: ${f.maxLossFreePpsTwoInterfaces} pps`);
  return lines.join('\n');
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  const cli = join(__dirname, '..', '..', 'bin', 'netmon.js');
  const runs = quick ? DEFAULT_RUNS.filter((r) => r.rate === 'topspeed' && r.bufferMb === undefined).map((r) => ({ ...r, packets: 200_000 })) : DEFAULT_RUNS;
  liveCaptureBench(cli, { runs }).then(
    (f) => {
      process.stdout.write(`${formatLiveRuns(f)}\n\n${JSON.stringify(f)}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`live capture benchmark: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
