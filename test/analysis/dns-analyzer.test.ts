import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DNS_LATE, DNS_MALFORMED, DNS_Q, DNS_R, DNS_RETRANSMITTED, DNS_TIME_BUCKETS, DNS_TIME_COUNT, DNS_TIME_SUM, DNS_TRUNCATED, DNS_UNANSWERED, DNS_UNMATCHED, DNS_UNTIMED,
} from '../../src/analysis/dns-counters';
import { DNS_QTYPE_NAMES, DNS_RCODE_NAMES } from '../../src/analysis/dns-names';
import { netmonFamilies } from '../../src/metrics/netmon-families';
import { renderFamilies } from '../../src/metrics/text-exposition';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFrames } from '../support/analysis-run';
import { hasTshark, tsharkFields } from '../support/dns-tcp-oracle';
import { LT } from '../support/frames';
import { writePcap } from '../support/pcap-writer';
import { dnsMessage, TcpConversation, tcpFramed, udpFrame } from '../support/dns-tcp-frames';
import type { TimedFrame } from '../support/dns-tcp-frames';

const C = '10.0.0.1', S = '10.0.0.53', C6 = 'fd00::1', S6 = 'fd00::53';
const T0 = 1_700_000_000;

function query(ts: number, id: number, qtype = 1, o: { src?: string; dst?: string; sport?: number; dport?: number; name?: string } = {}): TimedFrame {
  return { data: udpFrame(o.src ?? C, o.dst ?? S, o.sport ?? 40000, o.dport ?? 53, dnsMessage({ id, response: false, qtype, name: o.name })), ts };
}
function answer(ts: number, id: number, rcode = 0, o: { src?: string; dst?: string; sport?: number; dport?: number; tc?: boolean } = {}): TimedFrame {
  return { data: udpFrame(o.src ?? S, o.dst ?? C, o.sport ?? 53, o.dport ?? 40000, dnsMessage({ id, response: true, qtype: 1, rcode, tc: o.tc, answerBytes: 16 })), ts };
}
const counters = (frames: TimedFrame[], config: object = {}) => runFrames(frames, config).p.dns!.perInterface[0]!;

test('every RCODE and QTYPE is counted under its label; each response is timed from its query', () => {
  const qtypes = [1, 28, 5, 15, 2, 12, 6, 33, 16, 65, 64, 255, 99, 257];
  const frames: TimedFrame[] = [];
  let t = T0;
  let sum = 0;
  for (let rcode = 0; rcode < 16; rcode++) {
    const qt = qtypes[rcode % qtypes.length]!;
    const delay = 0.001 * (rcode + 1) + 0.0003; // off the bucket bounds (packet times carry float error)
    frames.push(query(t, 100 + rcode, qt, { sport: 40000 + rcode }), answer(t + delay, 100 + rcode, rcode, { dport: 40000 + rcode }));
    sum += delay;
    t += 1;
  }
  const c = counters(frames);
  for (let r = 0; r < 16; r++) assert.equal(c[DNS_R + r], 1, `rcode ${DNS_RCODE_NAMES[r]}`);
  const byName = (name: string) => c[DNS_Q + DNS_QTYPE_NAMES.indexOf(name)];
  for (const [name, n] of [['a', 2], ['aaaa', 2], ['cname', 1], ['mx', 1], ['ns', 1], ['ptr', 1], ['soa', 1], ['srv', 1], ['txt', 1], ['https', 1], ['svcb', 1], ['any', 1], ['other', 2]] as const) {
    assert.equal(byName(name), n, name);
  }
  assert.equal(c[DNS_TIME_COUNT], 16);
  assert.ok(Math.abs(c[DNS_TIME_SUM]! - sum) < 1e-6, `${c[DNS_TIME_SUM]} vs ${sum}`);
  // 1.3..16.3 ms against buckets 0.5, 1, 2.5, 5, 10, 25 ms.
  assert.deepEqual(Array.from(c.subarray(DNS_TIME_BUCKETS, DNS_TIME_BUCKETS + 6)), [0, 0, 2, 2, 5, 7]);
  assert.equal(c[DNS_UNMATCHED], 0);
});

test('the same query again within 5 s is a retransmission timed from the first; later it is a new query', () => {
  const c = counters([
    query(T0, 7), query(T0 + 1, 7), query(T0 + 2, 7), answer(T0 + 2.5, 7),
    // Unanswered for 6 s: the repeat is a new transaction and the first one is unanswered.
    query(T0 + 10, 8), query(T0 + 16, 8), answer(T0 + 16.25, 8),
  ]);
  assert.equal(c[DNS_Q], 5);
  assert.equal(c[DNS_RETRANSMITTED], 2);
  assert.equal(c[DNS_TIME_COUNT], 2);
  assert.ok(Math.abs(c[DNS_TIME_SUM]! - 2.75) < 1e-6, String(c[DNS_TIME_SUM]));
  assert.equal(c[DNS_UNANSWERED], 1);
});

test('responses without a waiting query, and repeated responses, count by RCODE but are not timed', () => {
  const c = counters([
    answer(T0, 1, 3), // no query at all
    query(T0 + 1, 2), answer(T0 + 1.1, 2, 2), answer(T0 + 1.2, 2, 2), // the repeat is unmatched
    query(T0 + 2, 3, 1, { sport: 40001 }), answer(T0 + 2.1, 3, 0, { src: '10.0.0.54' }), // other server: no match
    query(T0 + 3, 4), answer(T0 + 3.1, 5), // other id
  ]);
  assert.deepEqual([c[DNS_R + 0], c[DNS_R + 2], c[DNS_R + 3]], [2, 2, 1]);
  assert.equal(c[DNS_TIME_COUNT], 1);
  assert.equal(c[DNS_UNMATCHED], 4);
});

test('a response sent the same way as its query (a host answering its own multicast query) is timed, as Wireshark, whose conversations have no direction', () => {
  const G = '224.0.0.251';
  const mdns = { dns: { ports: [53, 5353] } };
  const c = counters([
    // The querier's query to the group, then its own response to the group: same ends, same way.
    query(T0, 0, 12, { dst: G, sport: 5353, dport: 5353 }), answer(T0 + 0.25, 0, 0, { src: C, dst: G, sport: 5353, dport: 5353 }),
    // Another host's response to the group: another conversation, not matched.
    query(T0 + 1, 0, 12, { dst: G, sport: 5353, dport: 5353 }), answer(T0 + 1.5, 0, 0, { src: '10.0.0.9', dst: G, sport: 5353, dport: 5353 }),
    // Unicast: a response from the client's side to the server, the same way as the query.
    query(T0 + 2, 5), answer(T0 + 2.125, 5, 3, { src: C, dst: S, sport: 40000, dport: 53 }),
  ], mdns);
  assert.equal(c[DNS_TIME_COUNT], 2);
  assert.ok(Math.abs(c[DNS_TIME_SUM]! - 0.375) < 1e-6, String(c[DNS_TIME_SUM]));
  assert.equal(c[DNS_UNMATCHED], 1);
  assert.equal(c[DNS_R + 3], 1);
});

test('a querier answering its own multicast query 17 s later (as in nDPI\'s telegram.pcap): timed and late, never unanswered', () => {
  const G = '224.0.0.251';
  const c = counters([query(T0, 0, 12, { dst: G, sport: 5353, dport: 5353 }), answer(T0 + 17, 0, 0, { src: C, dst: G, sport: 5353, dport: 5353 })]);
  assert.deepEqual([c[DNS_TIME_COUNT], c[DNS_LATE], c[DNS_UNANSWERED], c[DNS_UNMATCHED]], [1, 1, 0, 0]);
  assert.ok(Math.abs(c[DNS_TIME_SUM]! - 17) < 1e-6);
});

test('mDNS and LLMNR by default: their responses count by RCODE; a query to a multicast group is never unanswered, a unicast one is', () => {
  const frames = [
    // mDNS: queries to the IPv4 and IPv6 groups, one answered by another host (to the group), one not.
    query(T0, 0, 12, { dst: '224.0.0.251', sport: 5353, dport: 5353 }),
    answer(T0 + 0.1, 0, 0, { src: '10.0.0.9', dst: '224.0.0.251', sport: 5353, dport: 5353 }),
    query(T0 + 1, 0, 28, { src: C6, dst: 'ff02::fb', sport: 5353, dport: 5353 }),
    // LLMNR: a query to its group, answered by unicast from the responder; another never answered.
    query(T0 + 2, 7, 1, { dst: '224.0.0.252', sport: 50000, dport: 5355 }),
    answer(T0 + 2.01, 7, 0, { src: '10.0.0.8', dst: C, sport: 5355, dport: 50000 }),
    query(T0 + 3, 8, 1, { src: C6, dst: 'ff02::1:3', sport: 50001, dport: 5355 }),
    // A unicast mDNS query to one host that never answers: unanswered.
    query(T0 + 4, 9, 1, { dst: '10.0.0.7', sport: 5353, dport: 5353 }),
    // Time passes beyond dns.timeout (10 s).
    query(T0 + 30, 10), answer(T0 + 30.01, 10),
  ];
  const c = counters(frames);
  assert.equal(c[DNS_R + 0], 3);
  assert.equal(c[DNS_Q + DNS_QTYPE_NAMES.indexOf('ptr')], 1);
  assert.equal(c[DNS_Q + DNS_QTYPE_NAMES.indexOf('aaaa')], 1);
  assert.equal(c[DNS_Q + DNS_QTYPE_NAMES.indexOf('a')], 4);
  assert.equal(c[DNS_UNANSWERED], 1);
  // With dns.ports [53] none of it is DNS.
  const only53 = counters(frames, { dns: { ports: [53] } });
  assert.deepEqual([only53[DNS_R + 0], only53[DNS_UNANSWERED], only53[DNS_Q + DNS_QTYPE_NAMES.indexOf('a')]], [1, 0, 1]);
});

test('zone transfers (AXFR, IXFR): every response is timed, as Wireshark does; a response\'s own question decides for the later ones', () => {
  const msg = (ts: number, id: number, response: boolean, qtype: number, noQuestion = false, sport = 40000): TimedFrame => ({
    data: response
      ? udpFrame(S, C, 53, sport, dnsMessage({ id, response, qtype, noQuestion, answerBytes: 30 }))
      : udpFrame(C, S, sport, 53, dnsMessage({ id, response, qtype })),
    ts,
  });
  const c = counters([
    // AXFR: the answer in three messages, the later two without a question: all three timed.
    msg(T0, 1, false, 252), msg(T0 + 0.01, 1, true, 252), msg(T0 + 0.02, 1, true, 252, true), msg(T0 + 0.03, 1, true, 252, true),
    // IXFR answered by a message whose question is A: the response after it is a repeat.
    msg(T0 + 1, 2, false, 251, false, 40001), msg(T0 + 1.01, 2, true, 1, false, 40001), msg(T0 + 1.02, 2, true, 251, true, 40001),
    // An A query answered twice: the second is a repeat (unmatched), as before.
    msg(T0 + 2, 3, false, 1, false, 40002), msg(T0 + 2.01, 3, true, 1, false, 40002), msg(T0 + 2.02, 3, true, 1, false, 40002),
  ]);
  assert.equal(c[DNS_TIME_COUNT], 5);
  assert.ok(Math.abs(c[DNS_TIME_SUM]! - (0.01 + 0.02 + 0.03 + 0.01 + 0.01)) < 1e-6, String(c[DNS_TIME_SUM]));
  assert.equal(c[DNS_UNMATCHED], 2);
  assert.equal(c[DNS_UNANSWERED], 0);
});

test('a query unanswered after dns.timeout is counted once; a response within dns.late_window after that is timed and late, as tshark times it; later ones are unmatched', () => {
  // Query 9 answered after 4 s, 10 after 3 s (the timeout is inclusive), 12 after 14 s; 11 waits at the end.
  const frames = [query(T0, 9), query(T0 + 0.5, 10, 1, { sport: 40001 }), query(T0 + 1, 12, 1, { sport: 40003 }), answer(T0 + 3.5, 10, 0, { dport: 40001 }), answer(T0 + 4, 9),
    answer(T0 + 15, 12, 2, { dport: 40003 }), query(T0 + 20, 11, 1, { sport: 40002 })];
  const late = runFrames(frames, { dns: { timeout: '3s', late_window: '12s' } }).p.dns!;
  const c = late.perInterface[0]!;
  assert.deepEqual([c[DNS_UNANSWERED], c[DNS_LATE], c[DNS_TIME_COUNT], c[DNS_UNMATCHED], late.pending], [3, 3, 3, 0, 1]);
  assert.ok(Math.abs(c[DNS_TIME_SUM]! - 21) < 1e-6);
  // 14 s is past 3 + 10 s (the late window is inclusive too): query 12 is forgotten, its response unmatched.
  const shorter = runFrames(frames, { dns: { timeout: '3s', late_window: '10s' } }).p.dns!.perInterface[0]!;
  assert.deepEqual([shorter[DNS_UNANSWERED], shorter[DNS_LATE], shorter[DNS_TIME_COUNT], shorter[DNS_UNMATCHED]], [3, 2, 2, 1]);
  // Without a late window, every response after the timeout is unmatched.
  const none = runFrames(frames, { dns: { timeout: '3s', late_window: 0 } }).p.dns!.perInterface[0]!;
  assert.deepEqual([none[DNS_UNANSWERED], none[DNS_LATE], none[DNS_TIME_COUNT], none[DNS_UNMATCHED]], [3, 0, 0, 3]);
  if (!hasTshark()) return;
  const dir = mkdtempSync(join(tmpdir(), 'netmon-dns-late-'));
  try {
    const file = join(dir, 'late.pcap');
    writePcap(file, frames, { linkType: LT.ETHERNET });
    const times = tsharkFields(file, 'dns.time', ['dns.time']).map(([v]) => Number(v));
    assert.equal(times.length, 3);
    assert.ok(Math.abs(times.reduce((x, y) => x + y, 0) - 21) < 1e-6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a waiting query becomes unanswered at dns.timeout though an older, answered one is still remembered before it', () => {
  // Query 1 answered at once (kept for timeout + late window); query 2 never; a query 5 s later sweeps.
  const { p } = runFrames([query(T0, 1), answer(T0 + 0.01, 1), query(T0 + 1, 2, 1, { sport: 40001 }), query(T0 + 5, 3, 1, { sport: 40002 })], { dns: { timeout: '3s' } });
  const c = p.dns!.perInterface[0]!;
  assert.deepEqual([c[DNS_UNANSWERED], p.dns!.pending], [1, 1]);
});

test('the pending table is bounded: the oldest waiting query is evicted and counted', () => {
  const frames: TimedFrame[] = [];
  for (let i = 0; i < 20; i++) frames.push(query(T0 + i * 0.01, i));
  for (let i = 0; i < 20; i++) frames.push(answer(T0 + 1 + i * 0.01, i));
  const { p } = runFrames(frames, { dns: { max_pending: 16 } });
  const c = p.dns!.perInterface[0]!;
  assert.equal(p.dns!.evictions, 4);
  assert.equal(c[DNS_TIME_COUNT], 16);
  assert.equal(c[DNS_UNMATCHED], 4);
  assert.equal(p.dns!.pending, 0);
});

test('an evicted zone-transfer query (AXFR) counts as evicted and leaves the pending gauge right', () => {
  const frames: TimedFrame[] = [];
  for (let i = 0; i < 20; i++) frames.push(query(T0 + i * 0.01, i, 252));
  const { p } = runFrames(frames, { dns: { max_pending: 16 } });
  assert.deepEqual([p.dns!.evictions, p.dns!.pending], [4, 16]);
});

test('truncated (TC) responses, IPv6, configured ports, and a header cut by the snap length', () => {
  const frames = [
    query(T0, 1, 28, { src: C6, dst: S6 }), answer(T0 + 0.002, 1, 0, { src: S6, dst: C6, tc: true }),
    query(T0 + 1, 2, 1, { dport: 5353 }), answer(T0 + 1.003, 2, 0, { sport: 5353 }),
    query(T0 + 2, 3, 1, { dport: 8053 }), // not a DNS port here
  ];
  const c = counters(frames, { dns: { ports: [53, 5353] } });
  assert.equal(c[DNS_TRUNCATED], 1);
  assert.equal(c[DNS_TIME_COUNT], 2);
  assert.equal(c[DNS_Q + DNS_QTYPE_NAMES.indexOf('aaaa')], 1);
  assert.equal(c[DNS_Q + DNS_QTYPE_NAMES.indexOf('a')], 1);
  // 14 + 20 + 8 + 11: one byte short of the DNS header.
  const cut = runFrames([query(T0, 4)], {}, 53).p.dns!.perInterface[0]!;
  assert.deepEqual([cut[DNS_MALFORMED], cut[DNS_Q + 0]], [1, 0]);
});

test('DNS over TCP: length prefix, two messages in one segment, messages and prefixes split across segments', () => {
  const conv = new TcpConversation(C, S, 41000, 53, 1000, 5000);
  conv.syn(T0); conv.synAck(T0 + 0.001); conv.ack(T0 + 0.002);
  // Two queries in one segment.
  const q1 = dnsMessage({ id: 1, response: false, qtype: 1 });
  const q2 = dnsMessage({ id: 2, response: false, qtype: 28 });
  const both = tcpFramed(q1, q2);
  conv.raw(true, T0 + 0.01, 0x18, conv.cseq, both);
  conv.cseq += both.length;
  // Response 1: its length prefix split 1 + rest (as in a real capture); response 2: split inside the header.
  const r1 = tcpFramed(dnsMessage({ id: 1, response: true, qtype: 1, answerBytes: 100 }));
  const r2 = tcpFramed(dnsMessage({ id: 2, response: true, qtype: 28, rcode: 3, answerBytes: 40 }));
  const pieces = [r1.subarray(0, 1), r1.subarray(1), r2.subarray(0, 7), r2.subarray(7, 30), r2.subarray(30)];
  const times = [T0 + 0.05, T0 + 0.051, T0 + 0.06, T0 + 0.061, T0 + 0.07];
  pieces.forEach((b, i) => {
    conv.raw(false, times[i]!, 0x18, conv.sseq, b);
    if (i === 3) conv.raw(false, times[i]! + 0.0001, 0x18, conv.sseq, b); // a retransmitted piece changes nothing
    conv.sseq += b.length;
  });
  conv.fin(true, T0 + 0.08);
  const c = counters(conv.frames);
  assert.equal(c[DNS_Q + DNS_QTYPE_NAMES.indexOf('a')], 1);
  assert.equal(c[DNS_Q + DNS_QTYPE_NAMES.indexOf('aaaa')], 1);
  assert.deepEqual([c[DNS_R + 0], c[DNS_R + 3]], [1, 1]);
  assert.equal(c[DNS_TIME_COUNT], 2);
  // Each response is timed at the segment holding its last byte: 0.051 - 0.01 and 0.07 - 0.01.
  assert.ok(Math.abs(c[DNS_TIME_SUM]! - (0.041 + 0.06)) < 1e-6, String(c[DNS_TIME_SUM]));
  assert.equal(c[DNS_MALFORMED], 0);
});

test('LLMNR (port 5355) is DNS over UDP only, as Wireshark reads it; DNS and mDNS over TCP count', () => {
  const frames: TimedFrame[] = [];
  let t = T0;
  for (const port of [53, 5353, 5355]) {
    const conv = new TcpConversation(C, S, 41000 + port, port, 1000, 5000);
    conv.syn(t); conv.synAck(t + 0.001); conv.ack(t + 0.002);
    const q = tcpFramed(dnsMessage({ id: port, response: false, qtype: 1 }));
    conv.raw(true, t + 0.01, 0x18, conv.cseq, q);
    conv.cseq += q.length;
    const r = tcpFramed(dnsMessage({ id: port, response: true, qtype: 1, answerBytes: 16 }));
    conv.raw(false, t + 0.02, 0x18, conv.sseq, r);
    conv.sseq += r.length;
    frames.push(...conv.frames);
    t += 1;
  }
  frames.push(query(t, 7, 1, { sport: 40000, dport: 5355 }), answer(t + 0.01, 7, 0, { sport: 5355, dport: 40000 }));
  const c = counters(frames);
  // Over TCP on 53 and 5353, and over UDP on 5355: three responses; none over TCP on 5355.
  assert.equal(c[DNS_R + 0], 3);
  assert.equal(c[DNS_Q + DNS_QTYPE_NAMES.indexOf('a')], 3);
  assert.equal(c[DNS_TIME_COUNT], 3);
  if (hasTshark()) {
    const dir = mkdtempSync(join(tmpdir(), 'netmon-llmnr-'));
    try {
      const file = join(dir, 'llmnr.pcap');
      writePcap(file, frames, { linkType: LT.ETHERNET });
      assert.equal(tsharkFields(file, 'dns.flags.response == 1', ['frame.number']).length, 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('DNS over TCP: messages shorter than a DNS header are malformed and read past, as Wireshark does; one with an id and flags counts by them, untimed', () => {
  const conv = new TcpConversation(C, S, 41001, 53, 7000, 9000);
  conv.syn(T0); conv.synAck(T0 + 0.001); conv.ack(T0 + 0.002);
  // 1200 zero bytes: 600 messages of length 0, then a query in the same segment.
  const q = tcpFramed(dnsMessage({ id: 7, response: false, qtype: 1 }), dnsMessage({ id: 8, response: false, qtype: 28 }));
  const first = Buffer.concat([Buffer.alloc(1200), q]);
  conv.raw(true, T0 + 0.01, 0x18, conv.cseq, first);
  conv.cseq += first.length;
  // The answers: to id 7 whole, to id 8 only its id and flags (a 4-byte message).
  const r = Buffer.concat([tcpFramed(dnsMessage({ id: 7, response: true, qtype: 1, answerBytes: 16 })), Buffer.from([0, 4, 0, 8, 0x81, 0x83])]);
  conv.raw(false, T0 + 0.03, 0x18, conv.sseq, r);
  conv.sseq += r.length;
  const c = counters(conv.frames);
  assert.equal(c[DNS_MALFORMED], 601);
  assert.deepEqual([c[DNS_Q + DNS_QTYPE_NAMES.indexOf('a')], c[DNS_Q + DNS_QTYPE_NAMES.indexOf('aaaa')]], [1, 1]);
  assert.deepEqual([c[DNS_R + 0], c[DNS_R + 3], c[DNS_TIME_COUNT], c[DNS_UNTIMED], c[DNS_UNMATCHED]], [1, 1, 1, 1, 0]);
  assert.ok(Math.abs(c[DNS_TIME_SUM]! - 0.02) < 1e-6, String(c[DNS_TIME_SUM]));

  // More than 1024 of them in a segment: the rest of it is not read; the next starts a message.
  const many = new TcpConversation(C, S, 41002, 53, 7000, 9000);
  many.syn(T0); many.synAck(T0 + 0.001); many.ack(T0 + 0.002);
  const zeros = Buffer.concat([Buffer.alloc(4000), tcpFramed(dnsMessage({ id: 9, response: false, qtype: 1 }))]);
  many.raw(true, T0 + 0.01, 0x18, many.cseq, zeros);
  many.cseq += zeros.length;
  const q2 = tcpFramed(dnsMessage({ id: 10, response: false, qtype: 1 }));
  many.raw(true, T0 + 0.02, 0x18, many.cseq, q2);
  const m = counters(many.frames);
  assert.deepEqual([m[DNS_MALFORMED], m[DNS_Q + DNS_QTYPE_NAMES.indexOf('a')]], [1025, 1]);
});

test('query names are never labels, and non-DNS ports are not looked at', () => {
  const { p } = runFrames([query(T0, 1, 1, { name: 'secret-host.internal' }), answer(T0 + 0.01, 1), query(T0, 2, 1, { dport: 80 })]);
  const text = renderFamilies(netmonFamilies({ version: 't', pipeline: p, captures: [] }));
  assert.ok(!text.includes('secret'), 'no query name in the exposition');
  assert.match(text, /netmon_dns_queries_total\{interface="test0",qtype="a"\} 1\n/);
  assert.match(text, /netmon_dns_response_time_seconds_count\{interface="test0"\} 1\n/);
  assert.match(text, /netmon_dns_responses_total\{interface="test0",rcode="noerror"\} 1\n/);
  assert.ok(!/rcode="1[2-5]"/.test(text), 'unassigned RCODEs appear only once seen');
});

test('dns.enabled: false leaves DNS alone', () => {
  const { p } = runFrames([query(T0, 1), answer(T0 + 0.01, 1)], { dns: { enabled: false } });
  assert.equal(p.dns, null);
  assert.ok(!renderFamilies(netmonFamilies({ version: 't', pipeline: p, captures: [] })).includes('netmon_dns_'));
});
