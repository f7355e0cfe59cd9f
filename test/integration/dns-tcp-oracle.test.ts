/**
 * DNS and TCP analysis against tshark (Wireshark 4's dissectors are the definition the issue names):
 * seeded random traffic (test/support/dns-tcp-traffic.ts) written to a pcap, dissected by tshark and
 * replayed by the netmon CLI. Equal: responses by dns.flags.rcode; the number of dns.time values and
 * their sum (each within a microsecond: the pcap has microsecond timestamps); streams with
 * tcp.analysis.initial_rtt and the sum of those RTTs; frames marked tcp.analysis.retransmission
 * (which tshark sets on fast and spurious retransmissions too) and tcp.analysis.zero_window; and in
 * the flow records (flows-json), each flow's retransmissions and the handshake RTT on the flow whose
 * segment completed the handshake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DNS_RCODE_NAMES } from '../../src/analysis/dns-names';
import { generateTraffic } from '../support/dns-tcp-traffic';
import { prng } from '../support/frames';
import { parseExposition, runNetmon } from '../support/netmon-cli';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';

const skip = spawnSync('tshark', ['--version']).status === 0 ? undefined : 'tshark is not installed';

function tshark(file: string, filter: string, fields: string[]): string[][] {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  if (filter !== '') args.push('-Y', filter);
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

/** Sums a family's samples over interfaces, keyed by the labels other than interface. */
function sum(m: Map<string, number>, family: string, label?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of m) {
    if (!k.startsWith(`${family}{`) && k !== family) continue;
    const lv = label === undefined ? '' : (new RegExp(`${label}="([^"]*)"`).exec(k)?.[1] ?? '');
    out.set(lv, (out.get(lv) ?? 0) + v);
  }
  return out;
}

for (const seed of [1, 2, 3]) {
  test(`seed ${seed}: DNS rcodes and times, handshake RTTs, retransmissions and zero windows equal tshark's`, { skip }, () => {
    const frames = generateTraffic(prng(seed), { start: 1_700_000_000 + seed * 1000, dnsUdp: 400, dnsTcp: 40, tcp: 150, span: 60 });
    const dir = mkdtempSync(join(tmpdir(), 'netmon-insight-'));
    try {
      const file = join(dir, 'traffic.pcap');
      writePcap(file, frames.map((f) => ({ data: f.data, ts: f.ts })), { linkType: LINKTYPE_ETHERNET });
      const r = runNetmon(['replay', file, '--log-level', 'silent']);
      assert.equal(r.code, 0, r.stderr);
      const m = parseExposition(r.stdout);

      // DNS responses by RCODE (a TCP segment may carry several messages: one value each).
      const rcodes = new Map<string, number>();
      for (const [v] of tshark(file, 'dns.flags.response == 1', ['dns.flags.rcode'])) {
        for (const x of v!.split(',')) rcodes.set(DNS_RCODE_NAMES[Number(x)]!, (rcodes.get(DNS_RCODE_NAMES[Number(x)]!) ?? 0) + 1);
      }
      const got = [...sum(m, 'netmon_dns_responses_total', 'rcode')].filter(([, v]) => v > 0).sort();
      assert.deepEqual(got, [...rcodes].sort());
      assert.ok(rcodes.size >= 5, `rcodes exercised: ${[...rcodes.keys()]}`);

      // Timed responses.
      const times = tshark(file, 'dns.time', ['dns.time']).flatMap(([v]) => v!.split(',').map(Number));
      const count = sum(m, 'netmon_dns_response_time_seconds_count').get('')!;
      const total = sum(m, 'netmon_dns_response_time_seconds_sum').get('')!;
      assert.equal(count, times.length);
      const tsum = times.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - tsum) <= 1e-6 * times.length, `dns.time sum ${tsum}, netmon ${total}`);

      // Handshake RTT: one initial_rtt per stream.
      const rtts = new Map<string, number>();
      for (const [stream, rtt] of tshark(file, 'tcp.analysis.initial_rtt', ['tcp.stream', 'tcp.analysis.initial_rtt'])) rtts.set(stream!, Number(rtt));
      const rttCount = sum(m, 'netmon_tcp_handshake_rtt_seconds_count').get('')!;
      const rttSum = sum(m, 'netmon_tcp_handshake_rtt_seconds_sum').get('')!;
      const tRttSum = [...rtts.values()].reduce((a, b) => a + b, 0);
      assert.equal(rttCount, rtts.size);
      assert.ok(Math.abs(rttSum - tRttSum) <= 1e-6 * rtts.size, `initial_rtt sum ${tRttSum}, netmon ${rttSum}`);

      // Retransmissions (frames) and zero windows.
      const retrans = tshark(file, 'tcp.analysis.retransmission', ['frame.number']).length;
      const fast = tshark(file, 'tcp.analysis.fast_retransmission', ['frame.number']).length;
      const zero = tshark(file, 'tcp.analysis.zero_window', ['frame.number']).length;
      assert.equal(sum(m, 'netmon_tcp_retransmissions_total').get(''), retrans);
      assert.equal(sum(m, 'netmon_tcp_zero_window_total').get(''), zero);
      assert.ok(retrans > 20 && fast > 3 && zero > 3, `exercised: ${retrans} retransmissions, ${fast} fast, ${zero} zero windows`);

      // Flow records: retransmissions per flow, and the RTT on the flow that completed the handshake.
      const key = (c: string[]) => `${c[0] || c[1]} ${c[2] || c[3]} ${c[4]} ${c[5]}`;
      const addr = ['ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport'];
      const perFlow = new Map<string, number>();
      for (const c of tshark(file, 'tcp.analysis.retransmission', addr)) perFlow.set(key(c), (perFlow.get(key(c)) ?? 0) + 1);
      const firstRtt = new Map<string, { key: string; rtt: number }>();
      for (const c of tshark(file, 'tcp.analysis.initial_rtt', [...addr, 'tcp.stream', 'tcp.analysis.initial_rtt'])) {
        if (!firstRtt.has(c[6]!)) firstRtt.set(c[6]!, { key: key(c), rtt: Number(c[7]) });
      }
      const handshakes = new Map<string, number[]>();
      for (const { key: k, rtt } of firstRtt.values()) handshakes.set(k, [...(handshakes.get(k) ?? []), rtt]);
      const f = runNetmon(['replay', file, '--format', 'flows-json', '--log-level', 'silent']);
      assert.equal(f.code, 0, f.stderr);
      const recRetrans = new Map<string, number>();
      const recRtt = new Map<string, number[]>();
      for (const line of f.stdout.split('\n').filter((l) => l !== '')) {
        const j = JSON.parse(line) as { src_ip: string; dst_ip: string; proto: number; src_port: number; dst_port: number; tcp_retransmissions: number; tcp_handshake_rtt: number | null };
        if (j.proto !== 6) continue;
        const k = `${j.src_ip} ${j.dst_ip} ${j.src_port} ${j.dst_port}`;
        if (j.tcp_retransmissions > 0) recRetrans.set(k, (recRetrans.get(k) ?? 0) + j.tcp_retransmissions);
        if (j.tcp_handshake_rtt !== null) recRtt.set(k, [...(recRtt.get(k) ?? []), j.tcp_handshake_rtt]);
      }
      assert.deepEqual(Object.fromEntries([...recRetrans].sort()), Object.fromEntries([...perFlow].sort()));
      let compared = 0;
      for (const [k, rtts] of handshakes) {
        // A flow with two connections (port reuse within the idle timeout) keeps the later handshake.
        const got = recRtt.get(k);
        assert.ok(got !== undefined && got.length === 1, `${k}: ${got}`);
        assert.ok(Math.abs(got[0]! - rtts[rtts.length - 1]!) <= 1e-6, `${k}: ${got[0]} vs ${rtts}`);
        compared++;
      }
      assert.equal(recRtt.size, handshakes.size);
      assert.ok(compared > 100, `handshakes compared: ${compared}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
