/**
 * Peak RSS and series count of `netmon replay` on a 1M random-source SYN flood mixed with 500 normal
 * flows, with the default configuration (the budgets users get out of the box, detectors on), the
 * flood's target as the detectors name it, and the peak RSS of the same replay without detectors.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCapture } from './capture-generator';

export interface FloodFigures {
  packets: number;
  peakRssBytes: number;
  seconds: number;
  flowSeries: number;
  /** The top netmon_detect_syn_unanswered line: the detectors' view of the flood's target. */
  topSynTarget: string | undefined;
  /** The same replay with the detectors off. */
  peakRssBytesNoDetectors: number;
  secondsNoDetectors: number;
}

function replayFlood(cli: string, file: string, args: readonly string[]): { stdout: string; done: { packets: number; max_rss_bytes: number; seconds: number } } {
  const r = spawnSync(process.execPath, [cli, 'replay', file, ...args, '--log-level', 'debug'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`netmon replay exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return { stdout: r.stdout, done: JSON.parse(r.stderr.split('\n').find((l) => l.includes('replay finished'))!) };
}

export function floodMemory(cli: string, outDir: string): FloodFigures {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'flood-1m.pcap');
  if (!existsSync(file)) generateCapture(file, { packets: 200_000, flows: 500, floodPackets: 1_000_000, seed: 2, snaplen: 128 });
  const { stdout, done } = replayFlood(cli, file, []);
  const flowSeries = stdout.split('\n').filter((l) => l.startsWith('netmon_flow_packets_total{')).length;
  // The capture generator floods 198.18.0.1 on random ports: the detectors should name it (port "*").
  const topSynTarget = stdout.split('\n').find((l) => l.startsWith('netmon_detect_syn_unanswered{'));
  const off = join(outDir, 'detect-off-flood.yaml');
  writeFileSync(off, 'detect:\n  enabled: false\n');
  const noDetectors = replayFlood(cli, file, ['--config', off]);
  return { packets: done.packets, peakRssBytes: done.max_rss_bytes, seconds: done.seconds, flowSeries, topSynTarget, peakRssBytesNoDetectors: noDetectors.done.max_rss_bytes, secondsNoDetectors: noDetectors.done.seconds };
}
