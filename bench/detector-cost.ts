/**
 * What the detectors and the shipped filter set cost in a replay: `netmon replay` of the same
 * generated 1M-packet capture as replay-throughput.ts with the detectors on (the default) and off
 * (`detect.enabled: false`), and with the shipped config.yaml against the same file without its
 * named filters. Whole-process wall times and the replay loop alone; each round runs every variant
 * once in alternating order, and the ratios are medians over rounds of the ratio within a round.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { generateCapture } from './capture-generator';
import { bestOf, median } from './timing';

type Variant = 'on' | 'off' | 'shipped' | 'shippedNoFilters' | 'loopOn' | 'loopOff' | 'loopShipped' | 'loopShippedNoFilters';

export interface DetectorCostFigures {
  seconds: Record<Variant, number>;
  /** Detectors on / off: whole process, loop alone. */
  detectors: number;
  detectorsLoop: number;
  /** The shipped config.yaml / the same without filters: whole process, loop alone. */
  shippedFilters: number;
  shippedFiltersLoop: number;
  filterNames: string[];
}

function loopSeconds(cli: string, args: readonly string[]): number {
  const r = spawnSync(process.execPath, [cli, ...args, '--log-level', 'debug'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const line = r.stderr.split('\n').find((l) => l.includes('"replay finished"'));
  if (r.status !== 0 || line === undefined) throw new Error(`netmon ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return (JSON.parse(line) as { seconds: number }).seconds;
}

export function detectorCost(root: string, outDir: string, cli: string, rounds: number): DetectorCostFigures {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'mixed-1m.pcap');
  if (!existsSync(file)) generateCapture(file, { packets: 1_000_000, flows: 800, floodPackets: 0, seed: 1, snaplen: 256 });
  const off = join(outDir, 'detect-off.yaml');
  writeFileSync(off, 'log:\n  level: warn\ndetect:\n  enabled: false\n');
  const shipped = parse(readFileSync(join(root, 'config.yaml'), 'utf8')) as { filters: Record<string, unknown>; log: { level: string } };
  shipped.log.level = 'warn';
  const shippedFile = join(outDir, 'shipped.yaml');
  writeFileSync(shippedFile, stringify(shipped));
  const noFiltersFile = join(outDir, 'shipped-no-filters.yaml');
  writeFileSync(noFiltersFile, stringify({ ...shipped, filters: {} }));
  const replay = (...args: string[]) => [cli, 'replay', file, ...args];
  const variants: Record<Variant, () => number> = {
    on: () => bestOf(1, process.execPath, replay('--log-level', 'warn')),
    off: () => bestOf(1, process.execPath, replay('--config', off)),
    shipped: () => bestOf(1, process.execPath, replay('--config', shippedFile)),
    shippedNoFilters: () => bestOf(1, process.execPath, replay('--config', noFiltersFile)),
    loopOn: () => loopSeconds(cli, ['replay', file]),
    loopOff: () => loopSeconds(cli, ['replay', file, '--config', off]),
    loopShipped: () => loopSeconds(cli, ['replay', file, '--config', shippedFile]),
    loopShippedNoFilters: () => loopSeconds(cli, ['replay', file, '--config', noFiltersFile]),
  };
  const names = Object.keys(variants) as Variant[];
  const all: Record<Variant, number>[] = [];
  for (let i = 0; i < rounds; i++) {
    const round = {} as Record<Variant, number>;
    for (const v of i % 2 === 0 ? names : [...names].reverse()) round[v] = variants[v]();
    all.push(round);
  }
  const ratio = (a: Variant, b: Variant) => median(all.map((r) => r[a] / r[b]));
  const seconds = Object.fromEntries(names.map((v) => [v, Math.min(...all.map((r) => r[v]))])) as Record<Variant, number>;
  return {
    seconds,
    detectors: ratio('on', 'off'),
    detectorsLoop: ratio('loopOn', 'loopOff'),
    shippedFilters: ratio('shipped', 'shippedNoFilters'),
    shippedFiltersLoop: ratio('loopShipped', 'loopShippedNoFilters'),
    filterNames: Object.keys(shipped.filters),
  };
}
