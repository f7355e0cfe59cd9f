/**
 * tshark's view of a capture's DNS and TCP health, and netmon's from an exposition, in the same
 * shape, for the oracle tests: responses by RCODE (dns.flags.rcode), timed responses (dns.time),
 * handshake RTTs (tcp.analysis.initial_rtt, one per stream), retransmitted segments (frames marked
 * tcp.analysis.retransmission: tshark marks fast and spurious ones so too) and zero windows.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { DNS_RCODE_NAMES } from '../../src/analysis/dns-names';

export interface InsightFigures {
  /** RCODE name → responses (names as netmon labels them). */
  rcodes: Map<string, number>;
  dnsTimes: { count: number; sum: number };
  handshakes: { count: number; sum: number };
  retransmissions: number;
  zeroWindows: number;
  /** Frames tshark marks fast retransmissions (to check a generator exercised them). */
  fastRetransmissions?: number;
}

/** Whether tshark is installed (the oracle tests skip without it). */
export function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function tsharkFields(file: string, filter: string, fields: readonly string[]): string[][] {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  if (filter !== '') args.push('-Y', filter);
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

export function tsharkInsight(file: string): InsightFigures {
  const rcodes = new Map<string, number>();
  // A TCP segment may carry several DNS messages: one value each.
  for (const [v] of tsharkFields(file, 'dns.flags.response == 1', ['dns.flags.rcode'])) {
    for (const x of v!.split(',')) {
      const name = DNS_RCODE_NAMES[Number(x)]!;
      rcodes.set(name, (rcodes.get(name) ?? 0) + 1);
    }
  }
  const times = tsharkFields(file, 'dns.time', ['dns.time']).flatMap(([v]) => v!.split(',').map(Number));
  const rtts = new Map<string, number>();
  for (const [stream, rtt] of tsharkFields(file, 'tcp.analysis.initial_rtt', ['tcp.stream', 'tcp.analysis.initial_rtt'])) rtts.set(stream!, Number(rtt));
  return {
    rcodes,
    dnsTimes: { count: times.length, sum: times.reduce((a, b) => a + b, 0) },
    handshakes: { count: rtts.size, sum: [...rtts.values()].reduce((a, b) => a + b, 0) },
    retransmissions: tsharkFields(file, 'tcp.analysis.retransmission', ['frame.number']).length,
    zeroWindows: tsharkFields(file, 'tcp.analysis.zero_window', ['frame.number']).length,
    fastRetransmissions: tsharkFields(file, 'tcp.analysis.fast_retransmission', ['frame.number']).length,
  };
}

/** The same figures from netmon's exposition (parseExposition), summed over interfaces. */
export function netmonInsight(m: ReadonlyMap<string, number>): InsightFigures {
  const sum = (family: string): number => [...m].filter(([k]) => k === family || k.startsWith(`${family}{`)).reduce((n, [, v]) => n + v, 0);
  const rcodes = new Map<string, number>();
  for (const [k, v] of m) {
    const r = /^netmon_dns_responses_total\{.*rcode="([^"]*)"/.exec(k);
    if (r !== null && v > 0) rcodes.set(r[1]!, (rcodes.get(r[1]!) ?? 0) + v);
  }
  return {
    rcodes,
    dnsTimes: { count: sum('netmon_dns_response_time_seconds_count'), sum: sum('netmon_dns_response_time_seconds_sum') },
    handshakes: { count: sum('netmon_tcp_handshake_rtt_seconds_count'), sum: sum('netmon_tcp_handshake_rtt_seconds_sum') },
    retransmissions: sum('netmon_tcp_retransmissions_total'),
    zeroWindows: sum('netmon_tcp_zero_window_total'),
  };
}

/**
 * How far a sum of times may be from tshark's: `tolerance(sum, count)` seconds. By default a
 * microsecond per time (pcaps hold microsecond timestamps: the same file gives the same times).
 */
export type TimeTolerance = (sum: number, count: number) => number;
const PER_MICROSECOND: TimeTolerance = (_sum, count) => 1e-6 * count;

/**
 * Asserts netmon's figures equal tshark's: responses by RCODE, the number of timed DNS responses
 * and handshakes and the sums of their times (within `tolerance`), retransmissions and zero windows.
 */
export function assertInsightEqual(got: InsightFigures, want: InsightFigures, tolerance: TimeTolerance = PER_MICROSECOND): void {
  assert.deepEqual([...got.rcodes].sort(), [...want.rcodes].sort());
  assert.equal(got.dnsTimes.count, want.dnsTimes.count);
  assert.ok(Math.abs(got.dnsTimes.sum - want.dnsTimes.sum) <= tolerance(want.dnsTimes.sum, want.dnsTimes.count), `dns.time sum ${want.dnsTimes.sum}, netmon ${got.dnsTimes.sum}`);
  assert.equal(got.handshakes.count, want.handshakes.count);
  assert.ok(Math.abs(got.handshakes.sum - want.handshakes.sum) <= tolerance(want.handshakes.sum, want.handshakes.count), `initial_rtt sum ${want.handshakes.sum}, netmon ${got.handshakes.sum}`);
  assert.equal(got.retransmissions, want.retransmissions);
  assert.equal(got.zeroWindows, want.zeroWindows);
}
