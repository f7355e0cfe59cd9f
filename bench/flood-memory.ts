/**
 * Peak RSS and series count of `netmon replay` on a 1M random-source SYN flood mixed with 500 normal
 * flows, with the default configuration (the budgets users get out of the box).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateCapture } from './capture-generator';

export interface FloodFigures {
  packets: number;
  peakRssBytes: number;
  seconds: number;
  flowSeries: number;
}

export function floodMemory(cli: string, outDir: string): FloodFigures {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'flood-1m.pcap');
  if (!existsSync(file)) generateCapture(file, { packets: 200_000, flows: 500, floodPackets: 1_000_000, seed: 2, snaplen: 128 });
  const r = spawnSync(process.execPath, [cli, 'replay', file, '--log-level', 'debug'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`netmon replay exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  const done = JSON.parse(r.stderr.split('\n').find((l) => l.includes('replay finished'))!) as { packets: number; max_rss_bytes: number; seconds: number };
  const flowSeries = r.stdout.split('\n').filter((l) => l.startsWith('netmon_flow_packets_total{')).length;
  return { packets: done.packets, peakRssBytes: done.max_rss_bytes, seconds: done.seconds, flowSeries };
}
