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
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { assertInsightEqual, netmonInsight, tsharkFields, tsharkInsight } from '../support/dns-tcp-oracle';
import { generateTraffic } from '../support/dns-tcp-traffic';
import { ETH, ethernet, ethIpv4Udp, LT, mplsStack, nflog, pppoeSession, prng } from '../support/frames';
import { withIcmpErrors } from '../support/icmp-errors';
import { fragmentLarge, fragmentTcp } from '../support/ip-fragments';
import { parseExposition, runNetmon } from '../support/netmon-cli';
import { routeSome } from '../support/routed-frames';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';
import { wrapSome } from '../support/tunnel-frames';
import { LT_80211, radiotap, wifiData } from '../support/wifi-frames';

const skip = spawnSync('tshark', ['--version']).status === 0 ? undefined : 'tshark is not installed';

for (const seed of [1, 2, 3]) {
  test(`seed ${seed}: DNS rcodes and times, handshake RTTs, retransmissions and zero windows equal tshark's`, { skip }, () => {
    const frames = generateTraffic(prng(seed), { start: 1_700_000_000 + seed * 1000, dnsUdp: 400, dnsTcp: 40, tcp: 150, span: 60, zoneTransfers: 8 });
    const dir = mkdtempSync(join(tmpdir(), 'netmon-insight-'));
    try {
      const file = join(dir, 'traffic.pcap');
      writePcap(file, frames.map((f) => ({ data: f.data, ts: f.ts })), { linkType: LINKTYPE_ETHERNET });
      const r = runNetmon(['replay', file, '--log-level', 'silent']);
      assert.equal(r.code, 0, r.stderr);
      const m = parseExposition(r.stdout);

      const want = tsharkInsight(file);
      const got = netmonInsight(m);
      assertInsightEqual(got, want);
      assert.ok(want.rcodes.size >= 5, `rcodes exercised: ${[...want.rcodes.keys()]}`);
      assert.ok(want.retransmissions > 20 && want.fastRetransmissions! > 3 && want.zeroWindows > 3, `exercised: ${want.retransmissions} retransmissions, ${want.fastRetransmissions} fast, ${want.zeroWindows} zero windows`);

      // Flow records: retransmissions per flow, and the RTT on the flow that completed the handshake.
      const key = (c: string[]) => `${c[0] || c[1]} ${c[2] || c[3]} ${c[4]} ${c[5]}`;
      const addr = ['ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport'];
      const perFlow = new Map<string, number>();
      for (const c of tsharkFields(file, 'tcp.analysis.retransmission', addr)) perFlow.set(key(c), (perFlow.get(key(c)) ?? 0) + 1);
      const firstRtt = new Map<string, { key: string; rtt: number }>();
      for (const c of tsharkFields(file, 'tcp.analysis.initial_rtt', [...addr, 'tcp.stream', 'tcp.analysis.initial_rtt'])) {
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

/**
 * Writes `frames` to a pcap of `linkType`, replays it with the netmon CLI and checks its DNS and TCP
 * figures equal tshark's (exercised: at least `min` of each kind); returns netmon's exposition.
 */
function replayEqualsTshark(
  frames: readonly { data: Buffer; ts: number; origLen?: number }[],
  linkType: number,
  min: { dns: number; handshakes: number; retransmissions: number },
  more?: (file: string, m: Map<string, number>) => void,
  bigEndian = false,
): Map<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-insight-encap-'));
  try {
    const file = join(dir, 'traffic.pcap');
    writePcap(file, frames.map((f) => ({ data: f.data, ts: f.ts, origLen: f.origLen })), { linkType, bigEndian });
    const r = runNetmon(['replay', file, '--log-level', 'silent']);
    assert.equal(r.code, 0, r.stderr);
    const m = parseExposition(r.stdout);
    const want = tsharkInsight(file);
    assertInsightEqual(netmonInsight(m), want);
    assert.ok(want.dnsTimes.count > min.dns && want.handshakes.count > min.handshakes && want.retransmissions > min.retransmissions, `exercised: ${want.dnsTimes.count} dns times, ${want.handshakes.count} handshakes, ${want.retransmissions} retransmissions`);
    more?.(file, m);
    return m;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('inside PPPoE sessions and MPLS label stacks: the same DNS and TCP figures as tshark', { skip }, () => {
  const rand = prng(44);
  // Each Ethernet frame of the generated traffic goes out as it is, inside a PPPoE session, or under
  // one or two MPLS labels, at random: one connection's segments arrive under different encapsulations.
  const frames = generateTraffic(prng(4), { start: 1_700_004_000, dnsUdp: 300, dnsTcp: 30, tcp: 120, span: 60, zoneTransfers: 4 }).map((f) => {
    const etherType = f.data.readUInt16BE(12);
    const ip = f.data.subarray(14);
    const r = rand();
    if (r < 0.35) return { ts: f.ts, data: ethernet({ etherType: ETH.PPPOE_SESSION }, pppoeSession({ protocol: etherType === ETH.IPV4 ? 0x0021 : 0x0057 }, ip)) };
    if (r < 0.7) return { ts: f.ts, data: ethernet({ etherType: ETH.MPLS }, mplsStack(r < 0.5 ? [100] : [100, 2000], ip)) };
    return f;
  });
  replayEqualsTshark(frames, LINKTYPE_ETHERNET, { dns: 200, handshakes: 80, retransmissions: 10 });
});

test('inside tunnels (IP in IP, GRE, PPTP, ERSPAN, VXLAN, Geneve, GTP-U, L2TP, Teredo, VXLAN-GPE, GRE and MPLS in UDP, VXLAN in GRE, CAPWAP with 802.3 and 802.11 frames, Aruba GRE with 802.11 frames): the same DNS and TCP figures as tshark', { skip }, () => {
  // Two thirds of the frames go inside one of the tunnels, at random, the others as they are: one
  // connection's segments arrive in different tunnels (the analysis follows the inner 5-tuple).
  const generated = generateTraffic(prng(5), { start: 1_700_005_000, dnsUdp: 300, dnsTcp: 30, tcp: 120, span: 60, zoneTransfers: 4 });
  const { frames, tunnels } = wrapSome(generated, prng(45), 2 / 3);
  // More than a third of the traffic's figures: tshark analysed inside the tunnels too.
  const m = replayEqualsTshark(frames, LINKTYPE_ETHERNET, { dns: 200, handshakes: 80, retransmissions: 10 });
  // Each frame's inner packet decoded, once per tunnel level, as counted when wrapping them.
  assert.equal(tunnels.size, 11);
  for (const [name, n] of tunnels) assert.equal(m.get(`netmon_tunnel_packets_total{tunnel="${name}"}`), n, name);
});

test('source-routed and mobile packets (IPv4 source routes; IPv6 segment routing, type 0 and 2 routing headers, home addresses): the same DNS and TCP figures as tshark', { skip }, () => {
  // Half the frames carry a route or a home address and so show a waypoint or a care-of address in
  // their header, the others not: one connection's segments only meet at the route's end, as in Wireshark.
  const generated = generateTraffic(prng(9), { start: 1_700_009_000, dnsUdp: 300, dnsTcp: 30, tcp: 120, span: 60, zoneTransfers: 4 });
  const { frames, routed } = routeSome(generated, prng(49), 0.5);
  assert.equal(routed.size, 6);
  for (const n of routed.values()) assert.ok(n > 30, `routed ${[...routed]}`);
  replayEqualsTshark(frames, LINKTYPE_ETHERNET, { dns: 200, handshakes: 80, retransmissions: 10 });
});

test('TCP segments in small IP fragments (the TCP header split; in order, reversed, shuffled, one repeated or missing; IPv4 and IPv6; some inside tunnels): the same figures as tshark, each at the fragment completing it', { skip }, () => {
  const generated = generateTraffic(prng(10), { start: 1_700_010_000, dnsUdp: 200, dnsTcp: 20, tcp: 120, span: 60, zoneTransfers: 2 });
  // DNS over TCP stays whole: netmon keeps no payload of fragments, so it does not read DNS
  // messages in reassembled segments (tshark does); their TCP analysis is the same either way.
  const split = fragmentTcp(generated, prng(50), 0.3, [53]);
  const { fragmented, incomplete } = split;
  assert.ok(fragmented > 500 && incomplete > 30, `fragmented ${fragmented}, incomplete ${incomplete}`);
  // A fifth of all frames, fragments included, inside tunnels: reassembled there alike.
  const { frames, tunnels } = wrapSome(split.frames, prng(51), 0.2);
  assert.ok(tunnels.size >= 8);
  replayEqualsTshark(frames, LINKTYPE_ETHERNET, { dns: 100, handshakes: 80, retransmissions: 10 }, (_file, m) => {
    assert.equal(m.get('netmon_tcp_fragmented_segments_total{interface="traffic.pcap",result="reassembled"}'), fragmented - incomplete);
  });
});

test('over 802.11 with radiotap headers (QoS and plain data frames, some with an FCS): the same DNS and TCP figures as tshark', { skip }, () => {
  const rand = prng(46);
  let seq = 0;
  const frames = generateTraffic(prng(6), { start: 1_700_006_000, dnsUdp: 200, dnsTcp: 20, tcp: 80, span: 60 }).map((f) => ({
    ts: f.ts,
    data: radiotap(wifiData(f.data.readUInt16BE(12), f.data.subarray(14), { qos: rand() < 0.5, seq: seq++ }), { fcs: rand() < 0.5, tsft: rand() < 0.5 }),
  }));
  replayEqualsTshark(frames, LT_80211.RADIOTAP, { dns: 150, handshakes: 60, retransmissions: 10 });
});

test('over NFLOG (iptables\' log target; TLVs in the writer\'s byte order, little- and big-endian): the same DNS and TCP figures as tshark', { skip }, () => {
  const rand = prng(45);
  const generated = generateTraffic(prng(5), { start: 1_700_005_000, dnsUdp: 200, dnsTcp: 20, tcp: 60, span: 60 });
  for (const littleEndian of [true, false]) {
    // The IP packet named by the NFULA_PACKET_HDR's hardware protocol or by the family alone.
    const frames = generated.map((f) => {
      const etherType = f.data.readUInt16BE(12);
      return { data: nflog({ family: etherType === ETH.IPV6 ? 10 : 2, hwProtocol: rand() < 0.5 ? etherType : undefined, prefix: 'netmon', littleEndian }, f.data.subarray(14)), ts: f.ts };
    });
    replayEqualsTshark(frames, LT.NFLOG, { dns: 100, handshakes: 40, retransmissions: 20 }, undefined, !littleEndian);
  }
});

test('captures joined end to end, the second an hour earlier (times going back, as in many public captures): the same figures as tshark', { skip }, () => {
  // The second capture starts within the pipeline's first ticks (it expires by packet time on each
  // of its first packets): expiring at the clock's time (the first capture's), its first connections
  // and queries would be an hour old at once, their SYNs timed out and their queries unanswered
  // before the answers came; and the replay's end, at that time, would end its flows as idle.
  // The first: 8 datagrams of one exchange (two flows of 4 packets, so no one-packet flow of it
  // heads the flow table's lists when the replay ends).
  const first = Array.from({ length: 8 }, (_, i) => ({
    ts: 1_700_011_000 + i * 0.25,
    data: i % 2 === 0 ? ethIpv4Udp({ src: '10.9.9.1', dst: '10.9.9.2', sport: 40000, dport: 123 }, Buffer.alloc(48)) : ethIpv4Udp({ src: '10.9.9.2', dst: '10.9.9.1', sport: 123, dport: 40000 }, Buffer.alloc(48)),
  }));
  const second = generateTraffic(prng(12), { start: 1_700_011_000 - 3600, dnsUdp: 200, dnsTcp: 20, tcp: 60, span: 60 });
  replayEqualsTshark([...first, ...second], LINKTYPE_ETHERNET, { dns: 150, handshakes: 40, retransmissions: 5 }, (file, m) => {
    // And every flow keeps its own series to the end, with tshark's packet count (none ended idle
    // at once, its counts dropped from /metrics).
    const want = new Map<string, number>();
    for (const c of tsharkFields(file, 'tcp || udp', ['ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'udp.srcport', 'tcp.dstport', 'udp.dstport'])) {
      const k = `${c[0] || c[1]} ${c[2] || c[3]} ${c[4] || c[5]} ${c[6] || c[7]}`;
      want.set(k, (want.get(k) ?? 0) + 1);
    }
    const got = new Map<string, number>();
    for (const [k, v] of m) {
      const r = /^netmon_flow_packets_total\{src_ip="([^"]*)",dst_ip="([^"]*)",proto="[^"]*",src_port="([^"]*)",dst_port="([^"]*)"\}$/.exec(k);
      if (r !== null && v > 0) got.set(`${r[1]} ${r[2]} ${r[3]} ${r[4]}`, v);
    }
    assert.deepEqual([...got].sort(), [...want].sort());
  });
});

test('DNS answers in IP fragments (in order, reversed, shuffled, one repeated or missing; IPv4 and IPv6): the same figures as tshark, each at the fragment completing it', { skip }, () => {
  const generated = generateTraffic(prng(7), { start: 1_700_007_000, dnsUdp: 300, dnsTcp: 20, tcp: 60, span: 60, largeAnswers: 0.4 });
  const { frames, fragmented, incomplete } = fragmentLarge(generated, prng(47));
  assert.ok(fragmented > 80 && incomplete > 5, `${fragmented} answers fragmented, ${incomplete} of them incomplete`);
  // Timed at the first fragment instead, the dns.time sum would be off by 200 us per reassembled answer.
  const m = replayEqualsTshark(frames, LINKTYPE_ETHERNET, { dns: 150, handshakes: 30, retransmissions: 5 });
  assert.equal(m.get('netmon_dns_fragmented_messages_total{interface="traffic.pcap",result="reassembled"}'), fragmented - incomplete);
  // Those given up 30 s after their first fragment; the others are still waiting when the capture ends.
  assert.ok(m.get('netmon_dns_fragmented_messages_total{interface="traffic.pcap",result="incomplete"}')! <= incomplete);
});

for (const [seed, snap] of [[9, 96], [10, 300]] as const) {
  test(`a capture file cut at ${snap} bytes (answers, IP fragments and DNS over TCP segments cut): the same figures as tshark`, { skip }, () => {
    // tshark times a response only when it dissected every record of it, reassembles only fragments
    // captured whole (dissecting a cut IPv4 first fragment's payload as it is) and reads a cut TCP
    // segment's messages from its first byte.
    const generated = generateTraffic(prng(seed), { start: 1_700_009_000 + seed * 1000, dnsUdp: 300, dnsTcp: 60, tcp: 80, span: 60, largeAnswers: 0.3 });
    const { frames } = fragmentLarge(generated, prng(seed + 40));
    const cut = frames.map((f) => (f.data.length > snap ? { data: f.data.subarray(0, snap), ts: f.ts, origLen: f.data.length } : f));
    // Cut at 96 bytes nearly every answer is untimed (tshark times 7); at 300 most are timed.
    const m = replayEqualsTshark(cut, LINKTYPE_ETHERNET, { dns: snap < 200 ? 3 : 50, handshakes: 30, retransmissions: 5 });
    const untimed = m.get('netmon_dns_untimed_responses_total{interface="traffic.pcap"}') ?? 0;
    assert.ok(untimed > 30, `${untimed} cut responses not timed`);
  });
}

test('ICMP errors quoting DNS and TCP packets (port unreachable, time exceeded, too big; whole, headers only, or to the DNS header): the same figures as tshark', { skip }, () => {
  // tshark dissects the quoted packet: a quoted DNS response counts in dns.flags.rcode (not in
  // dns.time), a quoted TCP segment in no TCP analysis.
  // A quoted segment of DNS over TCP is read as messages from its first byte, as tshark does.
  const generated = generateTraffic(prng(8), { start: 1_700_008_000, dnsUdp: 300, dnsTcp: 60, tcp: 80, span: 60, zoneTransfers: 6 });
  const { frames, quotedDns } = withIcmpErrors(generated, prng(48), 0.2);
  assert.ok(quotedDns > 30, `${quotedDns} DNS messages over UDP quoted`);
  replayEqualsTshark(frames, LINKTYPE_ETHERNET, { dns: 150, handshakes: 40, retransmissions: 5 }, (file, m) => {
    // The quoted messages tshark shows (one dns.flags.response value each), over UDP and TCP.
    const quoted = tsharkFields(file, '(icmp || icmpv6) && dns', ['dns.flags.response']).flatMap(([v]) => v!.split(','));
    assert.ok(quoted.length > quotedDns, `${quoted.length} quoted messages, ${quotedDns} over UDP`);
    assert.equal(m.get('netmon_dns_icmp_quoted_total{interface="traffic.pcap"}'), quoted.length);
    // And the queries, the quoted ones among them (not among the figures).
    const queries = tsharkFields(file, 'dns.flags.response == 0', ['dns.flags.response']).flatMap(([v]) => v!.split(',').filter((x) => x === '0'));
    assert.equal([...m].filter(([k]) => k.startsWith('netmon_dns_queries_total{')).reduce((n, [, v]) => n + v, 0), queries.length);
  });
});

for (const [ext, pack] of [['gz', gzipSync], ['zst', zstdCompressSync]] as const) {
  test(`a compressed capture (traffic.pcap.${ext}, read as it is inflated): the same figures and packet and byte counts as tshark reading it`, { skip }, () => {
    const frames = generateTraffic(prng(9), { start: 1_700_010_000, dnsUdp: 300, dnsTcp: 30, tcp: 100, span: 60 });
    const dir = mkdtempSync(join(tmpdir(), 'netmon-insight-compressed-'));
    try {
      const plain = join(dir, 'plain.pcap');
      writePcap(plain, frames.map((f) => ({ data: f.data, ts: f.ts })), { linkType: LINKTYPE_ETHERNET });
      const name = `traffic.pcap.${ext}`;
      const file = join(dir, name);
      writeFileSync(file, pack(readFileSync(plain)));
      const r = runNetmon(['replay', file, '--log-level', 'silent']);
      assert.equal(r.code, 0, r.stderr);
      const m = parseExposition(r.stdout);
      const want = tsharkInsight(file);
      assertInsightEqual(netmonInsight(m), want);
      assert.ok(want.dnsTimes.count > 100 && want.handshakes.count > 50, `exercised: ${want.dnsTimes.count} timed responses, ${want.handshakes.count} handshakes`);
      const lengths = tsharkFields(file, '', ['frame.len']).map(([v]) => Number(v));
      assert.equal(m.get(`netmon_packets_total{interface="${name}"}`), lengths.length);
      assert.equal(m.get(`netmon_bytes_total{interface="${name}"}`), lengths.reduce((a, b) => a + b, 0));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
