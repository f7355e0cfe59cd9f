/**
 * Memory soak (root, Linux): `netmon run` on a benchmark-made veth for `minutes` at a steady `pps`
 * over 10 000 flows, /metrics scraped 4 times a second; RSS sampled every 10 s. A leak shows as RSS
 * still climbing after the warm-up; flat means the flow table, render buffers and heap settled.
 *
 *   node dist/bench/live-soak.js [--minutes 10] [--pps 50000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVethNs, liveSkipReason } from '../test/support/netns';
import { rssBytes, sampleValue, ScrapeLoop, sleep, startLiveNetmon } from './live-netmon';
import { writeFlowTraffic } from './live-traffic';

export interface SoakFigures {
  minutes: number;
  pps: number;
  /** RSS after the first minute (warm-up) and at the end, MiB. */
  rssAfterWarmupMiB: number;
  rssEndMiB: number;
  rssMaxMiB: number;
  counted: number;
  dropped: number;
  scrapes: number;
  samples: Array<{ second: number; rssMiB: number }>;
}

const FLOWS = 10_000;
const MiB = 1024 * 1024;

export async function liveSoak(cli: string, minutes: number, pps: number): Promise<SoakFigures> {
  const skip = liveSkipReason();
  if (skip !== undefined) throw new Error(skip);
  const dir = mkdtempSync(join(tmpdir(), 'netmon-soak-'));
  const v = createVethNs();
  try {
    const file = join(dir, 'minute.pcap');
    writeFlowTraffic(file, { packets: pps * 60, flows: FLOWS, src: v.peerAddr, dst: v.hostAddr });
    const config = join(dir, 'soak.yaml');
    writeFileSync(config, `flows:\n  max_series: ${FLOWS}\n`);
    const netmon = await startLiveNetmon(cli, ['--interface', v.host, '--config', config]);
    const sender = spawn('ip', ['netns', 'exec', v.ns, 'tcpreplay', '-K', '-i', v.peer, `--pps=${pps}`, `--loop=${minutes}`, file], { stdio: 'ignore' });
    const scrapes = new ScrapeLoop(netmon, 4);
    scrapes.start();
    const samples: SoakFigures['samples'] = [];
    const t0 = Date.now();
    const end = t0 + minutes * 60_000;
    try {
      while (Date.now() < end && sender.exitCode === null) {
        await sleep(10_000);
        samples.push({ second: Math.round((Date.now() - t0) / 1000), rssMiB: rssBytes(netmon.pid) / MiB });
      }
    } finally {
      sender.kill('SIGTERM');
    }
    const s = await scrapes.stop();
    await sleep(1500);
    const text = await netmon.scrape();
    await netmon.stop();
    const warm = samples.find((x) => x.second >= 60) ?? samples[0]!;
    return {
      minutes,
      pps,
      rssAfterWarmupMiB: warm.rssMiB,
      rssEndMiB: samples[samples.length - 1]!.rssMiB,
      rssMaxMiB: Math.max(...samples.map((x) => x.rssMiB)),
      counted: sampleValue(text, `netmon_packets_total{interface="${v.host}"}`) ?? 0,
      dropped:
        (sampleValue(text, `netmon_capture_dropped_packets_total{interface="${v.host}",reason="kernel"}`) ?? 0) +
        (sampleValue(text, `netmon_capture_dropped_packets_total{interface="${v.host}",reason="interface"}`) ?? 0),
      scrapes: s.scrapes,
      samples,
    };
  } finally {
    v.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
  };
  liveSoak(require('node:path').join(__dirname, '..', '..', 'bin', 'netmon.js'), arg('minutes', 10), arg('pps', 50_000)).then(
    (f) => process.stdout.write(`${JSON.stringify(f, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`soak failed: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
