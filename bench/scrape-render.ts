/**
 * Scrape render time: `netmon replay FILE --serve` holding N flows with flows.max_series = N, then
 * /metrics fetched repeatedly from another process (this one); the median and worst wall time of a
 * scrape (request to last byte) at 1k, 10k and 100k flow series.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCapture } from './capture-generator';
import { freePort, sampleValue, sleep } from './live-netmon';

export interface ScrapeFigures {
  series: number;
  medianMs: number;
  maxMs: number;
  bytes: number;
}

async function measure(cli: string, outDir: string, n: number, scrapes: number): Promise<ScrapeFigures> {
  const file = join(outDir, `flows-${n}.pcap`);
  // Two packets per flow on average, every flow equally likely: nearly every flow is active.
  if (!existsSync(file)) generateCapture(file, { packets: n * 4, flows: n, floodPackets: 0, seed: 5, snaplen: 128, uniform: true });
  const cfg = join(outDir, `series-${n}.yaml`);
  writeFileSync(cfg, `flows:\n  max_series: ${n}\n`);
  const port = await freePort();
  const child = spawn(process.execPath, [cli, 'replay', file, '--serve', '--config', cfg, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    const get = async () => (await fetch(url, { signal: AbortSignal.timeout(30_000) })).text();
    // Wait until the replay is done and the series are admitted (the first scrapes build label text).
    const deadline = Date.now() + 60_000;
    let text = '';
    for (;;) {
      await sleep(200);
      try {
        text = await get();
      } catch {
        if (Date.now() > deadline) throw new Error('netmon replay --serve did not answer');
        continue;
      }
      const active = sampleValue(text, 'netmon_flows_active') ?? 0;
      if (active > 0 && sampleValue(text, 'netmon_flow_series') === active) break;
      if (Date.now() > deadline) throw new Error('series never settled');
    }
    const times: number[] = [];
    for (let i = 0; i < scrapes; i++) {
      const t0 = performance.now();
      text = await get();
      times.push(performance.now() - t0);
      await sleep(20);
    }
    times.sort((a, b) => a - b);
    return { series: sampleValue(text, 'netmon_flow_series') ?? 0, medianMs: times[times.length >> 1]!, maxMs: times[times.length - 1]!, bytes: text.length };
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

export async function scrapeRender(cli: string, outDir: string): Promise<ScrapeFigures[]> {
  mkdirSync(outDir, { recursive: true });
  const out: ScrapeFigures[] = [];
  for (const n of [1_000, 10_000, 100_000]) out.push(await measure(cli, outDir, n, n >= 100_000 ? 10 : 30));
  return out;
}
