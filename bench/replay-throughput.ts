/**
 * Replay throughput: `netmon replay FILE` against `tcpdump -r FILE -w /dev/null` on the same generated
 * file, in the same run, with and without 20 named filters. Whole-process wall times (start-up, loading
 * the config and compiling the filters included), and the replay loop alone as netmon reports it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCapture } from './capture-generator';
import { bestOf, median } from './timing';

export interface ReplayFigures {
  packets: number;
  tcpdumpSeconds: number;
  /** No config file at all. */
  netmonSeconds: number;
  /** The same config file as netmonFiltersSeconds, with `filters: {}`. */
  netmonNoFiltersConfigSeconds: number;
  netmonFiltersSeconds: number;
  /** The replay loop alone (netmon's "replay finished" debug record), without and with the 20 filters. */
  loopSeconds: number;
  loopFiltersSeconds: number;
  /** Median over rounds of the ratio of two variants' times within a round (see replayThroughput). */
  ratios: { netmonToTcpdump: number; filtersToNone: number; filtersToNoFilters: number; loopFiltersToLoop: number };
}

type Variant = 'tcpdump' | 'none' | 'noFilters' | 'filters' | 'loop' | 'loopFilters';

/** Twenty filters of the kinds users write: ports, hosts, nets, flags, protocols. */
export const TWENTY_FILTERS: Record<string, string> = {
  dns: 'udp port 53 or tcp port 53',
  web: 'tcp dst portrange 80-443',
  syn: 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn',
  payments: 'net 198.18.0.0/16 and not port 22',
  postgres: 'tcp port 5432',
  redis: 'tcp port 6379',
  http_alt: 'tcp port 8080',
  https: 'tcp port 443',
  udp_all: 'udp',
  tcp_all: 'tcp',
  ipv6_all: 'ip6',
  icmp_all: 'icmp or icmp6',
  big: 'greater 1000',
  small: 'less 100',
  host_a: 'host 198.18.1.1',
  net_b: 'src net 198.19.0.0/16',
  rst: 'tcp[tcpflags] & tcp-rst != 0',
  fin: 'tcp[13] & 1 != 0',
  ephemeral: 'tcp src portrange 32768-60999',
  doc6: 'net 2001:db8::/32',
};

/** Seconds of the replay loop, from the "replay finished" record of `--log-level debug`. */
function loopSeconds(netmonCli: string, args: readonly string[]): number {
  const r = spawnSync(process.execPath, [netmonCli, ...args, '--log-level', 'debug'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const line = r.stderr.split('\n').find((l) => l.includes('"replay finished"'));
  if (r.status !== 0 || line === undefined) throw new Error(`netmon ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return (JSON.parse(line) as { seconds: number }).seconds;
}

export function replayThroughput(outDir: string, netmonCli: string, runs: number): ReplayFigures {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'mixed-1m.pcap');
  const packets = 1_000_000;
  if (!existsSync(file)) generateCapture(file, { packets, flows: 800, floodPackets: 0, seed: 1, snaplen: 256 });
  const cfg = join(outDir, 'twenty-filters.yaml');
  const noFilters = join(outDir, 'no-filters.yaml');
  const log = 'log:\n  level: warn\n';
  writeFileSync(cfg, `${log}filters:\n${Object.entries(TWENTY_FILTERS).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n`);
  writeFileSync(noFilters, `${log}filters: {}\n`);
  const replay = (...args: string[]) => [netmonCli, 'replay', file, ...args];
  const variants: Record<Variant, () => number> = {
    tcpdump: () => bestOf(1, 'tcpdump', ['-r', file, '-w', '/dev/null']),
    none: () => bestOf(1, process.execPath, replay('--log-level', 'warn')),
    noFilters: () => bestOf(1, process.execPath, replay('--config', noFilters)),
    filters: () => bestOf(1, process.execPath, replay('--config', cfg)),
    loop: () => loopSeconds(netmonCli, ['replay', file]),
    loopFilters: () => loopSeconds(netmonCli, ['replay', file, '--config', cfg]),
  };
  // Each round runs every variant once, in alternating order, so that a slow spell of this shared
  // machine lands on neighbours in time; ratios are taken within a round, then the median over rounds.
  const names = Object.keys(variants) as Variant[];
  const rounds: Record<Variant, number>[] = [];
  for (let i = 0; i < runs; i++) {
    const round = {} as Record<Variant, number>;
    for (const v of i % 2 === 0 ? names : [...names].reverse()) round[v] = variants[v]();
    rounds.push(round);
  }
  const best = (v: Variant) => Math.min(...rounds.map((r) => r[v]));
  const ratio = (a: Variant, b: Variant) => median(rounds.map((r) => r[a] / r[b]));
  return {
    packets,
    tcpdumpSeconds: best('tcpdump'),
    netmonSeconds: best('none'),
    netmonNoFiltersConfigSeconds: best('noFilters'),
    netmonFiltersSeconds: best('filters'),
    loopSeconds: best('loop'),
    loopFiltersSeconds: best('loopFilters'),
    ratios: {
      netmonToTcpdump: ratio('none', 'tcpdump'),
      filtersToNone: ratio('filters', 'none'),
      filtersToNoFilters: ratio('filters', 'noFilters'),
      loopFiltersToLoop: ratio('loopFilters', 'loop'),
    },
  };
}
