/**
 * The detectors through `netmon replay` with the built-in defaults, on a capture the test writes:
 * ordinary traffic, a SYN flood from random sources, a TCP port scan, a UDP scan answered by port
 * unreachables, a ping sweep and a reset storm. The oracle is tshark's dissection of the same file
 * (distinct contacts per source, SYNs minus SYN-ACKs per destination, RSTs per source), never netmon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from '../support/frames';
import { parseExposition, runNetmon } from '../support/netmon-cli';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';
import { dnsExchange, echoFrame, portScan, portUnreachableFrame, resetStorm, synFlood, tcpConnection } from '../support/traffic';

const hasTshark = spawnSync('tshark', ['--version']).status === 0;

/** tshark's fields of the packets matching a display filter, one array per packet. */
function tshark(file: string, filter: string, fields: readonly string[]): string[][] {
  const out = execFileSync('tshark', ['-n', '-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

function count<K>(keys: readonly K[]): Map<K, number> {
  const m = new Map<K, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

test('netmon replay: the detector gauges equal tshark\'s counts of the same capture', { skip: hasTshark ? undefined : 'tshark is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-detect-'));
  try {
    const rand = prng(42);
    const frames: Buffer[] = [];
    for (let i = 0; i < 40; i++) frames.push(...tcpConnection(`10.1.0.${1 + (i % 20)}`, '10.2.0.80', 30000 + i, 443), ...dnsExchange(`10.1.0.${1 + (i % 20)}`, '10.2.0.53', 40000 + i, i));
    frames.push(...synFlood('10.2.0.80', 80, 700, rand));
    frames.push(...portScan('203.0.113.66', '10.2.0.9', Array.from({ length: 250 }, (_, i) => 1 + i * 3)));
    for (let p = 1; p <= 90; p++) frames.push(portUnreachableFrame('10.2.0.10', '198.51.100.5', 47000, p));
    for (let h = 1; h <= 60; h++) frames.push(echoFrame('192.0.2.7', `10.3.0.${h}`));
    frames.push(...resetStorm('10.2.0.81', '10.1.0.99', 400));
    // Interleave the kinds over 30 s (within one window) so that no kind is a block of its own.
    for (let i = frames.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [frames[i], frames[j]] = [frames[j]!, frames[i]!];
    }
    const file = join(dir, 'attacks.pcap');
    writePcap(file, frames.map((data, i) => ({ data, ts: 1_700_000_000 + (30 * i) / frames.length })), { linkType: LINKTYPE_ETHERNET });

    const r = runNetmon(['replay', file]);
    assert.equal(r.code, 0, r.stderr);
    const m = parseExposition(r.stdout);
    const gauge = (name: string): Map<string, number> =>
      new Map([...m].filter(([k]) => k.startsWith(`${name}{`)).map(([k, v]) => [k.slice(name.length), v]));

    // Contacts: TCP without ACK and RST, ICMP echo requests, UDP quoted by port unreachables.
    const contacts = [
      ...tshark(file, 'tcp.flags.ack == 0 && tcp.flags.reset == 0', ['ip.src', 'ip.dst', 'tcp.dstport']).map(([s, d, p]) => ({ s: s!, d: d!, k: `tcp ${p}` })),
      ...tshark(file, 'icmp.type == 8', ['ip.src', 'ip.dst']).map(([s, d]) => ({ s: s!, d: d!, k: 'icmp 0' })),
      // The error's ip.src/ip.dst list the outer header, then the quoted one.
      ...tshark(file, 'icmp.type == 3 && icmp.code == 3 && udp', ['ip.src', 'ip.dst', 'udp.dstport']).map(([s, d, p]) => ({ s: s!.split(',')[1]!, d: d!.split(',')[1]!, k: `udp ${p}` })),
    ];
    const distinct = new Map<string, Set<string>>();
    const hosts = new Map<string, Set<string>>();
    for (const c of contacts) {
      distinct.set(c.s, (distinct.get(c.s) ?? new Set()).add(`${c.d} ${c.k}`));
      hosts.set(c.s, (hosts.get(c.s) ?? new Set()).add(c.d));
    }
    const top = (sets: Map<string, Set<string>>) => [...sets].map(([s, v]) => [s, v.size] as const).sort((a, b) => b[1] - a[1]);
    // The three attackers lead; the 700 flood sources and the clients have 1 or 2 contacts each.
    const wantPorts = top(distinct).slice(0, 3);
    assert.deepEqual(wantPorts.map(([s]) => s).sort(), ['192.0.2.7', '198.51.100.5', '203.0.113.66']);
    const gotPorts = gauge('netmon_detect_scan_ports');
    for (const [s, n] of wantPorts) assert.equal(gotPorts.get(`{src_ip="${s}"}`), n, `scan ports of ${s}`);
    const gotHosts = gauge('netmon_detect_scan_hosts');
    assert.equal(gotHosts.get('{src_ip="192.0.2.7"}'), hosts.get('192.0.2.7')!.size);
    assert.equal(gotHosts.get('{src_ip="203.0.113.66"}') ?? 1, 1);
    assert.ok(gotPorts.size <= 10 && gotHosts.size <= 10, 'top 10 (detect.top_n)');

    // SYNs without ACK minus SYN-ACKs, per destination.
    const syns = count(tshark(file, 'tcp.flags.syn == 1 && tcp.flags.ack == 0', ['ip.dst', 'tcp.dstport']).map(([d]) => d!));
    const synAcks = count(tshark(file, 'tcp.flags.syn == 1 && tcp.flags.ack == 1', ['ip.src']).map(([s]) => s!));
    const unanswered = [...syns].map(([d, n]) => [d, n - (synAcks.get(d) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
    assert.equal(unanswered[0]![0], '10.2.0.80');
    const gotSyn = gauge('netmon_detect_syn_unanswered');
    // 700 flood SYNs to port 80 against 40 answered handshakes to port 443: the flood's port holds them all.
    assert.equal(gotSyn.get('{dst_ip="10.2.0.80",dst_port="80"}'), unanswered[0]![1]);
    // The scanned host: tshark shows its unanswered SYNs all come from one source over distinct
    // ports, a port scan (named by netmon_detect_scan_ports above), so it is no SYN flood target.
    const toScanned = tshark(file, 'ip.dst == 10.2.0.9 && tcp.flags.syn == 1 && tcp.flags.ack == 0', ['ip.src', 'tcp.dstport']);
    assert.deepEqual([...new Set(toScanned.map(([src]) => src))], ['203.0.113.66']);
    assert.equal(new Set(toScanned.map(([, port]) => port)).size, toScanned.length);
    assert.ok(![...gotSyn.keys()].some((k) => k.includes('"10.2.0.9"')), [...gotSyn.keys()].join(' '));

    const rsts = [...count(tshark(file, 'tcp.flags.reset == 1', ['ip.src']).map(([s]) => s!))].sort((a, b) => b[1] - a[1]);
    assert.deepEqual(gauge('netmon_detect_rst_sent').get(`{src_ip="${rsts[0]![0]}"}`), rsts[0]![1]);
    assert.equal(rsts[0]![0], '10.2.0.81');
    assert.equal(m.get('netmon_detect_window_seconds'), 60);
    assert.equal(m.get('netmon_detect_evictions_total{detector="scan"}'), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('detect.enabled: false serves no detector family', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-detect-'));
  try {
    const file = join(dir, 'scan.pcap');
    writePcap(file, portScan('203.0.113.66', '10.2.0.9', [22, 80, 443]).map((data) => ({ data, ts: 1_700_000_000 })), { linkType: LINKTYPE_ETHERNET });
    const cfg = join(dir, 'off.yaml');
    writeFileSync(cfg, 'detect:\n  enabled: false\n');
    const off = runNetmon(['replay', file, '--config', cfg]);
    assert.equal(off.code, 0, off.stderr);
    assert.doesNotMatch(off.stdout, /netmon_detect_/);
    const on = runNetmon(['replay', file]);
    assert.match(on.stdout, /^netmon_detect_scan_ports\{src_ip="203\.0\.113\.66"\} 3$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
