/**
 * Replay throughput: `netmon replay FILE` against `tcpdump -r FILE -w /dev/null` on the same generated
 * file, in the same run, with and without 20 named filters. Prints packets/s and the ratio of times.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCapture } from './capture-generator';
import { bestOf } from './timing';

export interface ReplayFigures {
  packets: number;
  tcpdumpSeconds: number;
  netmonSeconds: number;
  netmonFiltersSeconds: number;
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

export function replayThroughput(outDir: string, netmonCli: string, runs: number): ReplayFigures {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'mixed-1m.pcap');
  const packets = 1_000_000;
  if (!existsSync(file)) generateCapture(file, { packets, flows: 800, floodPackets: 0, seed: 1, snaplen: 256 });
  const cfg = join(outDir, 'twenty-filters.yaml');
  writeFileSync(cfg, `filters:\n${Object.entries(TWENTY_FILTERS).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n`);
  const tcpdumpSeconds = bestOf(runs, 'tcpdump', ['-r', file, '-w', '/dev/null']);
  const netmonSeconds = bestOf(runs, process.execPath, [netmonCli, 'replay', file, '--log-level', 'warn']);
  const netmonFiltersSeconds = bestOf(runs, process.execPath, [netmonCli, 'replay', file, '--config', cfg, '--log-level', 'warn']);
  return { packets, tcpdumpSeconds, netmonSeconds, netmonFiltersSeconds };
}
