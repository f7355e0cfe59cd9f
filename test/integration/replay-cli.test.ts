import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { arp, ETH, ethernet, icmp, icmpv6, ipv4, ipv6, prng, PROTO, randomIpv4, randomIpv6, sctp, tcp, TCP_FLAGS, udp } from '../support/frames';
import { freePort } from '../support/free-port';
import { flowsByKey, parseExposition, runNetmon, startNetmon } from '../support/netmon-cli';
import { writePcap, writePcapng } from '../support/pcap-writer';
import type { PcapPacket } from '../support/pcap-writer';

const dir = mkdtempSync(join(tmpdir(), 'netmon-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** One frame plus the flow key a reader of the RFCs assigns it by hand (undefined: not an IP flow). */
interface Case {
  frame: Buffer;
  key?: string;
  origLen?: number;
}

const A = '198.18.0.1', B = '198.18.0.2', C = '198.18.0.3';
const A6 = '2001:db8::1', B6 = '2001:db8::2';
const pad = (n: number) => Buffer.alloc(n, 0x61);
const eth4 = (payload: Buffer, vlans?: { vid: number }[]) => ethernet({ etherType: ETH.IPV4, vlans }, payload);
const eth6 = (payload: Buffer) => ethernet({ etherType: ETH.IPV6 }, payload);

function cases(): Case[] {
  const out: Case[] = [];
  // TCP both directions, several sizes and flags.
  for (const [i, size] of [0, 100, 200, 0, 50].entries()) {
    const flags = i === 0 ? TCP_FLAGS.SYN : TCP_FLAGS.ACK | (size > 0 ? TCP_FLAGS.PSH : 0);
    out.push({ frame: eth4(ipv4({ src: A, dst: B, proto: PROTO.TCP }, tcp({ sport: 40000, dport: 80, flags }, pad(size)))), key: `${A} ${B} 6 40000 80` });
  }
  for (const size of [0, 1000, 10]) {
    out.push({ frame: eth4(ipv4({ src: B, dst: A, proto: PROTO.TCP }, tcp({ sport: 80, dport: 40000, flags: TCP_FLAGS.ACK }, pad(size)))), key: `${B} ${A} 6 80 40000` });
  }
  // UDP, half of it inside 802.1Q and QinQ tags: the tags count in the frame length.
  out.push({ frame: eth4(ipv4({ src: A, dst: C, proto: PROTO.UDP }, udp({ sport: 5353, dport: 53 }, pad(30)))), key: `${A} ${C} 17 5353 53` });
  out.push({ frame: eth4(ipv4({ src: A, dst: C, proto: PROTO.UDP }, udp({ sport: 5353, dport: 53 }, pad(31))), [{ vid: 10 }]), key: `${A} ${C} 17 5353 53` });
  out.push({ frame: eth4(ipv4({ src: A, dst: C, proto: PROTO.UDP }, udp({ sport: 5353, dport: 53 }, pad(32))), [{ vid: 20 }, { vid: 30 }]), key: `${A} ${C} 17 5353 53` });
  // ICMP echo: no ports.
  for (let i = 0; i < 2; i++) out.push({ frame: eth4(ipv4({ src: A, dst: B, proto: PROTO.ICMP }, icmp({ type: 8, code: 0, rest: i }, pad(56)))), key: `${A} ${B} 1 0 0` });
  // IPv4 fragments: the first carries the ports, the second has none.
  const dgram = udp({ sport: 1000, dport: 2000 }, pad(100));
  out.push({ frame: eth4(ipv4({ src: A, dst: B, proto: PROTO.UDP, id: 7, mf: true }, dgram.subarray(0, 48))), key: `${A} ${B} 17 1000 2000` });
  out.push({ frame: eth4(ipv4({ src: A, dst: B, proto: PROTO.UDP, id: 7, fragOffset: 48 }, dgram.subarray(48))), key: `${A} ${B} 17 0 0` });
  // SCTP.
  out.push({ frame: eth4(ipv4({ src: C, dst: B, proto: PROTO.SCTP }, sctp({ sport: 3868, dport: 3868 }, pad(16)))), key: `${C} ${B} 132 3868 3868` });
  // IPv6 TCP behind hop-by-hop and destination options headers.
  for (let i = 0; i < 3; i++) {
    out.push({
      frame: eth6(ipv6({ src: A6, dst: B6, nextHeader: PROTO.TCP, ext: [{ type: 0 }, { type: 60 }] }, tcp({ sport: 1234, dport: 443, flags: TCP_FLAGS.ACK }, pad(i * 10)))),
      key: `${A6} ${B6} 6 1234 443`,
    });
  }
  // IPv6 fragments: the fragment header names UDP for both; only the first has ports.
  const d6 = udp({ sport: 7000, dport: 8000 }, pad(64));
  out.push({ frame: eth6(ipv6({ src: B6, dst: A6, nextHeader: PROTO.UDP, ext: [{ type: 44, offset: 0, more: true, id: 9 }] }, d6.subarray(0, 40))), key: `${B6} ${A6} 17 7000 8000` });
  out.push({ frame: eth6(ipv6({ src: B6, dst: A6, nextHeader: PROTO.UDP, ext: [{ type: 44, offset: 40, more: false, id: 9 }] }, d6.subarray(40))), key: `${B6} ${A6} 17 0 0` });
  // ICMPv6 behind a routing header.
  out.push({ frame: eth6(ipv6({ src: A6, dst: B6, nextHeader: PROTO.ICMPV6, ext: [{ type: 43 }] }, icmpv6({ type: 128, code: 0 }, pad(8)))), key: `${A6} ${B6} 58 0 0` });
  // Captured short of the wire length (snap length 64): bytes count the original length.
  out.push({ frame: eth4(ipv4({ src: C, dst: A, proto: PROTO.UDP }, udp({ sport: 9, dport: 9 }, pad(1400)))).subarray(0, 64), origLen: 14 + 20 + 8 + 1400, key: `${C} ${A} 17 9 9` });
  // Not IP flows: ARP, and an IPv4 header cut by the capture length.
  out.push({ frame: ethernet({ etherType: ETH.ARP }, arp({ op: 1, senderIp: A, targetIp: B })) });
  out.push({ frame: eth4(ipv4({ src: A, dst: B, proto: PROTO.TCP }, tcp({ sport: 1, dport: 2, flags: 0 }))).subarray(0, 24), origLen: 54 });
  return out;
}

function expectedFlows(all: readonly Case[]): Map<string, { packets: number; bytes: number }> {
  const m = new Map<string, { packets: number; bytes: number }>();
  for (const c of all) {
    if (c.key === undefined) continue;
    const cur = m.get(c.key) ?? { packets: 0, bytes: 0 };
    cur.packets++;
    cur.bytes += c.origLen ?? c.frame.length;
    m.set(c.key, cur);
  }
  return m;
}

const all = cases();
const packets: PcapPacket[] = all.map((c, i) => ({ data: c.frame, ts: 1_700_000_000 + i * 0.001, origLen: c.origLen }));
const pcapFile = join(dir, 'mixed.pcap');
writePcap(pcapFile, packets, { linkType: 1 });

test('flows-json gives the hand-computed packets and bytes for every flow', () => {
  const r = runNetmon(['replay', pcapFile, '--format', 'flows-json', '--log-level', 'silent']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.fromEntries(flowsByKey(r.stdout)), Object.fromEntries(expectedFlows(all)));
  const first = JSON.parse(r.stdout.split('\n')[0]!) as Record<string, unknown>;
  for (const field of ['src_ip', 'dst_ip', 'proto', 'src_port', 'dst_port', 'packets', 'bytes', 'first_seen', 'last_seen', 'tcp_flags', 'ip_version', 'end_reason']) {
    assert.ok(field in first, `flows-json record has ${field}`);
  }
});

test('flows-json tcp_flags is the OR of each flow\'s TCP flags bytes, as tshark reads them; 0 for other protocols', () => {
  const rand = prng(0x7cf1a6);
  const int = (n: number) => Math.floor(rand() * n);
  const flows = Array.from({ length: 24 }, (_, i) => {
    const v6 = i % 3 === 0;
    return { v6, src: v6 ? randomIpv6(rand) : randomIpv4(rand), dst: v6 ? randomIpv6(rand) : randomIpv4(rand), sport: 1024 + int(60000), dport: [80, 443, 22][i % 3]! };
  });
  const frames: PcapPacket[] = [];
  for (let k = 0; k < 200; k++) {
    const f = flows[int(flows.length)]!;
    const l4 = tcp({ sport: f.sport, dport: f.dport, flags: rand() < 0.7 ? 1 << int(8) : int(256) }, pad(int(40)));
    const frame = f.v6 ? eth6(ipv6({ src: f.src, dst: f.dst, nextHeader: PROTO.TCP }, l4)) : eth4(ipv4({ src: f.src, dst: f.dst, proto: PROTO.TCP }, l4));
    frames.push({ data: frame, ts: 1_700_000_000 + k * 0.01 });
  }
  frames.push({ data: eth4(ipv4({ src: A, dst: C, proto: PROTO.UDP }, udp({ sport: 5000, dport: 53 }, pad(20)))), ts: 1_700_000_003 });
  const file = join(dir, 'flags.pcap');
  writePcap(file, frames, { linkType: 1 });
  const out = execFileSync('tshark', ['-r', file, '-n', '-T', 'fields', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.flags'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const expected = new Map<string, number>();
  for (const line of out.split('\n').filter((l) => l !== '')) {
    const [s4, s6, d4, d6, sp, dp, fl] = line.split('\t');
    if (sp === '') continue;
    const key = `${s4 || s6} ${d4 || d6} ${sp} ${dp}`;
    expected.set(key, (expected.get(key) ?? 0) | (Number(fl) & 0xff));
  }
  assert.equal(expected.size, flows.length);
  const r = runNetmon(['replay', file, '--format', 'flows-json', '--log-level', 'silent']);
  assert.equal(r.code, 0, r.stderr);
  const got = new Map<string, number>();
  for (const line of r.stdout.split('\n').filter((l) => l !== '')) {
    const j = JSON.parse(line) as { src_ip: string; dst_ip: string; proto: number; src_port: number; dst_port: number; tcp_flags: number };
    if (j.proto === 6) got.set(`${j.src_ip} ${j.dst_ip} ${j.src_port} ${j.dst_port}`, j.tcp_flags);
    else assert.equal(j.tcp_flags, 0, line);
  }
  assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...expected].sort()));
});

test('the same capture as pcapng (big-endian, ns resolution, two interfaces) gives the same flows', () => {
  const file = join(dir, 'mixed.pcapng');
  writePcapng(file, [
    {
      bigEndian: true,
      interfaces: [{ linkType: 1, tsresol: 9 }, { linkType: 1, tsresol: 6 }],
      blocks: packets.map((p, i) => ({ kind: 'epb' as const, iface: i % 2, data: p.data, ts: p.ts, origLen: p.origLen })),
    },
  ]);
  const r = runNetmon(['replay', file, '--format', 'flows-json', '--log-level', 'silent']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.fromEntries(flowsByKey(r.stdout)), Object.fromEntries(expectedFlows(all)));
});

test('the prometheus exposition carries the same per-flow counts and the frame totals', () => {
  const r = runNetmon(['replay', pcapFile, '--log-level', 'silent']);
  assert.equal(r.code, 0, r.stderr);
  const m = parseExposition(r.stdout);
  const names: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmpv6', '132': 'sctp' };
  for (const [key, want] of expectedFlows(all)) {
    const [src, dst, proto, sport, dport] = key.split(' ');
    const labels = `{src_ip="${src}",dst_ip="${dst}",proto="${names[proto!]}",src_port="${sport}",dst_port="${dport}"}`;
    assert.equal(m.get(`netmon_flow_packets_total${labels}`), want.packets, `packets of ${key}`);
    assert.equal(m.get(`netmon_flow_bytes_total${labels}`), want.bytes, `bytes of ${key}`);
  }
  const totalBytes = all.reduce((n, c) => n + (c.origLen ?? c.frame.length), 0);
  assert.equal(m.get('netmon_packets_total{interface="mixed.pcap"}'), all.length);
  assert.equal(m.get('netmon_bytes_total{interface="mixed.pcap"}'), totalBytes);
  assert.equal(m.get('netmon_flows_active'), expectedFlows(all).size);
  assert.equal(m.get('netmon_decode_errors_total{layer="ipv4"}'), 1, 'the cut IPv4 header is one decode error');
  assert.equal(m.get('netmon_tcp_flags_total{interface="mixed.pcap",flag="syn"}'), 1);
});

test('promtool check metrics accepts the exposition', () => {
  const r = runNetmon(['replay', pcapFile, '--log-level', 'silent']);
  assert.equal(r.code, 0, r.stderr);
  // promtool reads the exposition on stdin and exits non-zero on errors or lint problems.
  const out = execFileSync('promtool', ['check', 'metrics'], { input: r.stdout, encoding: 'utf8' });
  assert.equal(out.trim(), '');
});

test('a truncated capture reports the byte offset, keeps the packets before it, and exits 1', () => {
  const file = join(dir, 'cut.pcap');
  const whole = execFileSync('cat', [pcapFile]);
  // Cut in the middle of the last record: 24-byte file header, then 16-byte record headers.
  writeFileSync(file, whole.subarray(0, whole.length - 10));
  const r = runNetmon(['replay', file, '--format', 'flows-json', '--log-level', 'silent']);
  assert.equal(r.code, 1);
  let lastRecordOffset = 24;
  for (const p of packets.slice(0, -1)) lastRecordOffset += 16 + p.data.length;
  assert.match(r.stderr, new RegExp(`cut\\.pcap: damaged capture at byte ${lastRecordOffset}`));
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const got = flowsByKey(r.stdout);
  assert.deepEqual(Object.fromEntries(got), Object.fromEntries(expectedFlows(all.slice(0, -1))));
});

test('a file that is not a capture is refused with exit 2 and one message', () => {
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'hello, this is not a capture\n');
  const r = runNetmon(['replay', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /notes\.txt: not a pcap or pcapng capture/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('--speed original follows the packet timestamps and gives the same flows', () => {
  const file = join(dir, 'paced.pcap');
  // Three packets spread over 1.2 s of capture time.
  const frame = eth4(ipv4({ src: A, dst: B, proto: PROTO.UDP }, udp({ sport: 1, dport: 2 })));
  writePcap(file, [0, 0.6, 1.2].map((dt) => ({ data: frame, ts: 1_700_000_000 + dt })), { linkType: 1 });
  const t0 = Date.now();
  const r = runNetmon(['replay', file, '--speed', 'original', '--format', 'flows-json', '--log-level', 'silent']);
  const elapsed = Date.now() - t0;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(elapsed >= 1150, `took ${elapsed} ms, at least the 1.2 s the capture spans`);
  assert.deepEqual(Object.fromEntries(flowsByKey(r.stdout)), { [`${A} ${B} 17 1 2`]: { packets: 3, bytes: 3 * frame.length } });
});

test('several files replay in order, each counted under its own interface label', () => {
  const r = runNetmon(['replay', pcapFile, join(dir, 'mixed.pcapng'), '--log-level', 'silent']);
  assert.equal(r.code, 0, r.stderr);
  const m = parseExposition(r.stdout);
  assert.equal(m.get('netmon_packets_total{interface="mixed.pcap"}'), all.length);
  assert.equal(m.get('netmon_packets_total{interface="mixed.pcapng"}'), all.length);
});

test('--serve keeps serving /metrics after the replay until SIGTERM, then exits 0', async () => {
  const port = await freePort();
  const child = startNetmon(['replay', pcapFile, '--serve', '--listen', `127.0.0.1:${port}`, '--log-level', 'silent']);
  try {
    let text = '';
    for (let i = 0; i < 100 && !text.includes('netmon_flow_packets_total{'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = await fetch(`http://127.0.0.1:${port}/metrics`).then((res) => res.text(), () => '');
    }
    const m = parseExposition(text);
    assert.equal(m.get('netmon_packets_total{interface="mixed.pcap"}'), all.length);
    assert.ok(m.has('netmon_process_resident_memory_bytes'), 'prom-client process metrics with the netmon_ prefix');
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.match(await (await fetch(`http://127.0.0.1:${port}/`)).text(), /href="metrics"/);
  } finally {
    child.kill('SIGTERM');
  }
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 0);
});
