/**
 * Replay throughput: `netmon replay FILE` against `tcpdump -r FILE -w /dev/null` on the same generated
 * file, in the same run, with and without 20 named filters. Whole-process wall times (start-up, loading
 * the config and compiling the filters included), and the replay loop alone as netmon reports it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCapture } from './capture-generator';
import { bestOf } from './timing';

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
}

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
  // Interleaved, so that a slow spell of the machine does not land on one variant only.
  const times = { tcpdump: Infinity, none: Infinity, noFilters: Infinity, filters: Infinity, loop: Infinity, loopFilters: Infinity };
  for (let i = 0; i < runs; i++) {
    times.tcpdump = Math.min(times.tcpdump, bestOf(1, 'tcpdump', ['-r', file, '-w', '/dev/null']));
    times.none = Math.min(times.none, bestOf(1, process.execPath, replay('--log-level', 'warn')));
    times.noFilters = Math.min(times.noFilters, bestOf(1, process.execPath, replay('--config', noFilters)));
    times.filters = Math.min(times.filters, bestOf(1, process.execPath, replay('--config', cfg)));
    times.loop = Math.min(times.loop, loopSeconds(netmonCli, ['replay', file]));
    times.loopFilters = Math.min(times.loopFilters, loopSeconds(netmonCli, ['replay', file, '--config', cfg]));
  }
  return {
    packets,
    tcpdumpSeconds: times.tcpdump,
    netmonSeconds: times.none,
    netmonNoFiltersConfigSeconds: times.noFilters,
    netmonFiltersSeconds: times.filters,
    loopSeconds: times.loop,
    loopFiltersSeconds: times.loopFilters,
  };
}
