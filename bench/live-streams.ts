/**
 * Cost of the flow stream (root, Linux): `netmon run` on a veth fed by tcpreplay at top speed with
 * minimum-size frames, flows.idle_timeout 2s so that every flow of a push ends (and is streamed)
 * about two seconds after it; netmon's CPU (both processes, /proc) from the push's start until every
 * client has every record and netmon is idle, per packet counted. Two variants in alternating
 * rounds of the same run: no client (the flow table writes no record at all), and 50 clients
 * reading /api/v1/flows/stream, each after a warm-up push of one frame per flow (whose records are
 * streamed too) so that, as in a long-running netmon, the stream's code is compiled already. Two traffic shapes: the live benchmark's (1M frames over 10k
 * flows: 100 frames per record) and the acceptance test's (300k frames over 50k flows: 6 per record).
 *
 *   node dist/bench/live-streams.js          prints the figures as JSON
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVethNs, liveSkipReason } from '../test/support/netns';
import { countingClient } from '../test/support/stream-client';
import type { Counter } from '../test/support/stream-client';
import { cpuSeconds, sampleValue, sleep, startLiveNetmon } from './live-netmon';
import { writeFlowTraffic } from './live-traffic';

export interface StreamShape {
  readonly packets: number;
  readonly flows: number;
}

export interface StreamBenchFigures {
  readonly shape: StreamShape;
  readonly clients: number;
  /** Median over rounds of µs CPU per packet, without clients and with them. */
  readonly noneUs: number;
  readonly clientsUs: number;
  /** Median of the within-round ratios clients / none. */
  readonly ratio: number;
  readonly rounds: number;
  readonly dropped: number;
  readonly sendPps: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function liveStreamsSkipReason(): string | undefined {
  return liveSkipReason();
}

/** One push; returns netmon's CPU µs per packet, capture drops and tcpreplay's rate. */
async function oneRun(cli: string, dir: string, shape: StreamShape, clients: number, v: ReturnType<typeof createVethNs>, file: string, warm: string): Promise<{ us: number; dropped: number; pps: number }> {
  const config = join(dir, 'netmon.yml');
  writeFileSync(config, 'flows:\n  idle_timeout: 2s\n');
  const netmon = await startLiveNetmon(cli, ['--config', config, '--interface', v.host]);
  const readers: Counter[] = [];
  try {
    for (let i = 0; i < clients; i++) readers.push(await countingClient(`${netmon.base}/api/v1/flows/stream`));
    await sleep(500);
    // Warm-up, as in a long-running netmon: one frame per flow, streamed once those flows end, so
    // the measured push does not pay for compiling the stream's code.
    v.exec(['tcpreplay', '-K', '-i', v.peer, '--topspeed', warm], 120_000);
    const warmEnd = Date.now() + 20_000;
    while (Date.now() < warmEnd && !readers.every((r) => r.packets >= shape.flows)) await sleep(100);
    await sleep(clients === 0 ? 3500 : 300);
    const base = shape.flows;
    const cpu0 = cpuSeconds(netmon.pid);
    const out = v.exec(['tcpreplay', '-K', '-i', v.peer, '--topspeed', file], 120_000);
    const m = /Actual: (\d+) packets .* sent in ([\d.]+) seconds/.exec(out);
    const pps = m === null ? 0 : Number(m[1]) / Number(m[2]);
    // Done: every flow ended (2 s idle, then the 1 s flow clock tick) and every client has every
    // record, and netmon has been idle (< 10 ms CPU per 100 ms) for 300 ms.
    const end = Date.now() + 60_000;
    let idleFor = 0;
    let last = cpuSeconds(netmon.pid);
    const t0 = Date.now();
    while (Date.now() < end) {
      await sleep(100);
      const cpu = cpuSeconds(netmon.pid);
      idleFor = cpu - last <= 0.01 ? idleFor + 100 : 0;
      last = cpu;
      const delivered = readers.every((r) => r.packets >= base + shape.packets);
      if (Date.now() - t0 > 3500 && delivered && idleFor >= 300) break;
    }
    const cpu1 = cpuSeconds(netmon.pid);
    const text = await netmon.scrape();
    const counted = (sampleValue(text, `netmon_packets_total{interface="${v.host}"}`) ?? NaN) - base;
    const dropped = (sampleValue(text, `netmon_capture_dropped_packets_total{interface="${v.host}",reason="kernel"}`) ?? 0) + (sampleValue(text, `netmon_flow_records_dropped_total`) ?? 0);
    const short = readers.filter((r) => r.packets !== base + shape.packets);
    if (short.length > 0) {
      const cut = text.split('\n').filter((l) => l.startsWith('netmon_stream_clients_dropped_total') && !l.endsWith(' 0')).join('; ');
      throw new Error(`${short.length} of ${clients} clients did not get every record of ${shape.packets} packets over ${shape.flows} flows: ${short.map((r) => `${r.records} records, ${r.packets} packets, ${r.lost} lost lines${r.ended ? ', ended' : ''}`).join('; ')} (${cut})`);
    }
    return { us: ((cpu1 - cpu0) / counted) * 1e6, dropped, pps };
  } finally {
    for (const r of readers) r.close();
    await netmon.stop();
  }
}

export async function liveStreamsBench(cli: string, opts: { rounds?: number; clients?: number; shapes?: StreamShape[] } = {}): Promise<StreamBenchFigures[]> {
  const skip = liveStreamsSkipReason();
  if (skip !== undefined) throw new Error(skip);
  const rounds = opts.rounds ?? 3;
  const clients = opts.clients ?? 50;
  const shapes = opts.shapes ?? [{ packets: 1_000_000, flows: 10_000 }, { packets: 300_000, flows: 50_000 }];
  const dir = mkdtempSync(join(tmpdir(), 'netmon-stream-bench-'));
  const v = createVethNs();
  try {
    const out: StreamBenchFigures[] = [];
    for (const shape of shapes) {
      const file = join(dir, `push-${shape.packets}-${shape.flows}.pcap`);
      writeFlowTraffic(file, { packets: shape.packets, flows: shape.flows, src: v.peerAddr, dst: v.hostAddr });
      const warm = join(dir, `warm-${shape.flows}.pcap`);
      writeFlowTraffic(warm, { packets: shape.flows, flows: shape.flows, src: v.peerAddr, dst: v.hostAddr });
      const none: number[] = [];
      const withClients: number[] = [];
      const ratios: number[] = [];
      let dropped = 0;
      const pps: number[] = [];
      for (let r = 0; r < rounds; r++) {
        // Alternate the order within rounds so a slow spell of the machine does not favour one variant.
        const order = r % 2 === 0 ? [0, clients] : [clients, 0];
        const res: Record<number, number> = {};
        for (const n of order) {
          const x = await oneRun(cli, dir, shape, n, v, file, warm);
          res[n] = x.us;
          dropped += x.dropped;
          pps.push(x.pps);
        }
        none.push(res[0]!);
        withClients.push(res[clients]!);
        ratios.push(res[clients]! / res[0]!);
      }
      out.push({ shape, clients, noneUs: median(none), clientsUs: median(withClients), ratio: median(ratios), rounds, dropped, sendPps: median(pps) });
    }
    return out;
  } finally {
    v.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const cli = join(__dirname, '..', '..', 'bin', 'netmon.js');
  liveStreamsBench(cli, { rounds: Number(process.env['BENCH_RUNS'] ?? 3) }).then(
    (f) => process.stdout.write(`${JSON.stringify(f, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`live streams benchmark: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
