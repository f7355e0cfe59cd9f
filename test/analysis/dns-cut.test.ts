/**
 * DNS messages cut by a capture file's snap length, and messages shorter than a DNS header, as
 * Wireshark 4.0 dissects them: counted by RCODE and matched to their query, but timed only when every
 * record was captured (it adds dns.time after dissecting the records); DNS over TCP in a cut segment
 * read from the segment's first byte. Live (netmon's own snap length) a cut message is whole.
 * The integration oracle (dns-tcp-oracle.test.ts) checks the same against tshark on generated captures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DNS_MALFORMED, DNS_Q, DNS_R, DNS_TIME_COUNT, DNS_TIME_SUM, DNS_UNANSWERED, DNS_UNMATCHED, DNS_UNTIMED } from '../../src/analysis/dns-counters';
import { recordsCaptured } from '../../src/analysis/dns-message';
import { DNS_QTYPE_NAMES } from '../../src/analysis/dns-names';
import { runFrames } from '../support/analysis-run';
import { dnsMessage, qname, TcpConversation, tcpFramed, udpFrame } from '../support/dns-tcp-frames';
import type { TimedFrame } from '../support/dns-tcp-frames';

const C = '10.0.0.1', S = '10.0.0.53';
const T0 = 1_700_000_000;
/** Ethernet, IPv4 and UDP headers before a UDP frame's DNS message. */
const UDP_AT = 14 + 20 + 8;
const counters = (frames: TimedFrame[], live = false) => runFrames(frames, {}, Infinity, live).p.dns!.perInterface[0]!;
const cutTo = (f: TimedFrame, len: number): TimedFrame => ({ data: f.data.subarray(0, len), ts: f.ts, wireLen: f.data.length });
const query = (ts: number, id: number, sport = 40000): TimedFrame => ({ data: udpFrame(C, S, sport, 53, dnsMessage({ id, response: false, qtype: 1 })), ts });
const answer = (ts: number, msg: Buffer, dport = 40000): TimedFrame => ({ data: udpFrame(S, C, 53, dport, msg), ts });

test('recordsCaptured: true exactly when every question and record the header counts lies before the limit', () => {
  const n = 40;
  const msg = dnsMessage({ id: 1, response: true, qtype: 1, answerBytes: n });
  // By hand: header 12, question example.com (13) + 4, answer: pointer 2 + 10 + rdata.
  const recordsEnd = 12 + 13 + 4 + 2 + 10 + n;
  assert.equal(msg.length, recordsEnd);
  const padded = Buffer.concat([msg, Buffer.alloc(30, 0xaa)]);
  for (let lim = 0; lim <= padded.length; lim++) assert.equal(recordsCaptured(padded, 0, lim), lim >= recordsEnd, `limit ${lim}`);
  // At an offset inside a larger buffer.
  const inside = Buffer.concat([Buffer.alloc(7), msg]);
  assert.equal(recordsCaptured(inside, 7, inside.length), true);
  assert.equal(recordsCaptured(inside, 7, inside.length - 1), false);
  // More records counted than there are.
  const more = Buffer.from(msg);
  more.writeUInt16BE(3, 6);
  assert.equal(recordsCaptured(more, 0, more.length), false);
  // A compression pointer to a byte not captured (forward, past the limit): Wireshark would follow it.
  const fwd = Buffer.from(msg);
  fwd.writeUInt16BE(0xc000 | (recordsEnd + 10), 12 + 17);
  assert.equal(recordsCaptured(Buffer.concat([fwd, Buffer.alloc(20)]), 0, recordsEnd + 20), true);
  assert.equal(recordsCaptured(Buffer.concat([fwd, Buffer.alloc(20)]), 0, recordsEnd + 10), false);
});

/** A response with one question (example.com, type `type`) and one answer of `type` whose data is `rdata`. */
function withRecord(type: number, rdata: Buffer, rdlength = rdata.length): Buffer {
  const h = Buffer.from([0, 9, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
  const q = Buffer.concat([qname('example.com'), Buffer.from([type >> 8, type & 255, 0, 1])]);
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(type, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(60, 6);
  rr.writeUInt16BE(rdlength, 10);
  return Buffer.concat([h, q, rr, rdata]);
}
const param = (key: number, value: Buffer, length = value.length) => Buffer.concat([Buffer.from([key >> 8, key & 255, length >> 8, length & 255]), value]);
const svcb = (...params: Buffer[]) => Buffer.concat([Buffer.from([0, 1]), qname('svc.example.com'), ...params]);
/** RRSIG's fixed fields: type covered A, algorithm 13, 2 labels, original TTL, expiration, inception, key tag. */
const rrsigFixed = Buffer.from([0, 1, 13, 2, 0, 0, 14, 16, 0x67, 0x89, 0, 0, 0x67, 0x80, 0, 0, 0x12, 0x34]);
const strings = (...ss: string[]) => Buffer.concat(ss.map((x) => Buffer.concat([Buffer.from([x.length]), Buffer.from(x)])));

test('a whole response whose records Wireshark reads past its end (malformed TXT, SPF, SVCB, HTTPS, RRSIG, NSEC data; a record longer than the message) is untimed', () => {
  const alpn = strings('h2', 'h3');
  const good = [
    withRecord(16, strings('v=spf1', '', 'x'.repeat(200))), withRecord(99, strings('v=spf1 -all')),
    withRecord(64, svcb(param(0, Buffer.from([0, 1])), param(1, alpn), param(2, Buffer.alloc(0)), param(3, Buffer.from([1, 187])), param(4, Buffer.alloc(8, 1)), param(5, Buffer.alloc(9, 2)), param(6, Buffer.alloc(16, 3)), param(0x8001, Buffer.alloc(3)))),
    withRecord(65, svcb(param(1, alpn))), withRecord(65, Buffer.from([0, 0, 0])), // AliasMode: priority 0, root target
    withRecord(1, Buffer.from([10, 0, 0, 1])), withRecord(16, Buffer.alloc(0)),
    withRecord(46, Buffer.concat([rrsigFixed, qname('example.com'), Buffer.alloc(64, 7)])), withRecord(24, Buffer.concat([rrsigFixed, Buffer.from([0])])),
    // data of 18 bytes for 18 fixed ones and a 1-byte name: a signature of length -1 (to the end), accepted
    Buffer.concat([withRecord(46, Buffer.concat([rrsigFixed, Buffer.from([0])]), 18), Buffer.alloc(5)]),
    withRecord(47, Buffer.concat([qname('n.example.com'), Buffer.from([0, 6, 0x40, 1, 0, 0, 0, 3])])), // A NS SOA AAAA-ish bitmap
    withRecord(47, qname('n.example.com')), // no bitmap
  ];
  const bad = [
    withRecord(16, Buffer.from([5, 0x61, 0x62])), // a string longer than the data
    withRecord(16, strings('ab', 'c'), 4), // the data length ends inside a string: read on past the end
    withRecord(64, svcb(param(1, Buffer.from([3, 0x68, 0x32]), 3), param(3, Buffer.from([1, 187])))).subarray(0, undefined), // alpn id length too long
    withRecord(64, svcb(param(3, Buffer.from([1, 187, 0]), 3))), // a port of 3 bytes: the parameters after it are misread
    withRecord(1, Buffer.from([10, 0, 0, 1]), 40), // data past the message's end
    withRecord(46, rrsigFixed.subarray(0, 10)), // Arkime's dnssec_synthetic.pcap: 10 bytes of RRSIG data, the message's last
    withRecord(24, Buffer.concat([rrsigFixed, Buffer.from([7, 0x65, 0x78])])), // the signer's name runs past the end
    // too short for its fields though the message goes on: read there, the signature's length is below -1
    Buffer.concat([withRecord(46, rrsigFixed.subarray(0, 10)), Buffer.alloc(20)]),
    Buffer.concat([withRecord(46, Buffer.concat([rrsigFixed, Buffer.from([0])]), 17), Buffer.alloc(5)]),
    // Arkime's dnssec_synthetic.pcap: an NSEC bitmap window of 32 bytes with 2 there
    withRecord(47, Buffer.concat([qname('next.example.com'), Buffer.from([0, 0x20, 0x60, 0])])),
    // a window length that overshoots the data: the walk goes on to the message's end
    Buffer.concat([withRecord(47, Buffer.concat([qname('n.example.com'), Buffer.from([0, 1, 0x40])]), 16), Buffer.alloc(7)]),
  ];
  // (each RRSIG, SIG and NSEC case checked against tshark 4.0 on a made capture: dns.time only for the good ones)
  for (const [i, msg] of good.entries()) assert.equal(recordsCaptured(msg, 0, msg.length), true, `good ${i}`);
  for (const [i, msg] of bad.entries()) assert.equal(recordsCaptured(msg, 0, msg.length), false, `bad ${i}`);
  // Over UDP: the malformed one counts by RCODE and answers its query, but is not timed.
  const c = counters([query(T0, 9), answer(T0 + 0.01, bad[3]!), query(T0 + 1, 9, 40001), answer(T0 + 1.01, good[2]!, 40001)]);
  assert.deepEqual([c[DNS_R + 0], c[DNS_UNTIMED], c[DNS_TIME_COUNT], c[DNS_UNMATCHED]], [2, 1, 1, 0]);
});

test('in a capture file, a UDP answer cut before the end of its records counts by RCODE and answers its query, untimed; live it is timed', () => {
  const msg = dnsMessage({ id: 5, response: true, qtype: 1, rcode: 3, answerBytes: 100 });
  for (const len of [UDP_AT + 12, UDP_AT + 20, UDP_AT + msg.length - 1]) {
    // The query at +40 s ends the first one's wait: answered, it is not unanswered.
    const frames = [query(T0, 5), cutTo(answer(T0 + 0.01, msg), len), query(T0 + 40, 6, 40001)];
    const c = counters(frames);
    assert.deepEqual([c[DNS_R + 3], c[DNS_TIME_COUNT], c[DNS_UNTIMED], c[DNS_UNMATCHED], c[DNS_UNANSWERED], c[DNS_MALFORMED]], [1, 0, 1, 0, 0, 0], `cut at ${len}`);
    const live = counters(frames, true);
    assert.deepEqual([live[DNS_R + 3], live[DNS_TIME_COUNT], live[DNS_UNTIMED]], [1, 1, 0], `live, cut at ${len}`);
    assert.ok(Math.abs(live[DNS_TIME_SUM]! - 0.01) < 1e-6);
  }
  // Cut only in bytes after its records (padding): every record was dissected, so it is timed.
  const padded = Buffer.concat([msg, Buffer.alloc(50)]);
  const c = counters([query(T0, 5), cutTo(answer(T0 + 0.01, padded), UDP_AT + msg.length + 10)]);
  assert.deepEqual([c[DNS_TIME_COUNT], c[DNS_UNTIMED]], [1, 0]);
  // A repeated answer after the cut one is a repetition, not the answer (the cut one answered).
  const again = counters([query(T0, 5), cutTo(answer(T0 + 0.01, msg), UDP_AT + 30), answer(T0 + 0.02, msg)]);
  assert.deepEqual([again[DNS_R + 3], again[DNS_TIME_COUNT], again[DNS_UNTIMED], again[DNS_UNMATCHED]], [2, 0, 1, 1]);
  // A cut query still opens its transaction.
  const q = counters([cutTo(query(T0, 5), UDP_AT + 14), answer(T0 + 0.01, msg)]);
  assert.deepEqual([q[DNS_Q + DNS_QTYPE_NAMES.indexOf('other')], q[DNS_TIME_COUNT]], [1, 1]);
});

test('a message shorter than a DNS header: with its id and flags it counts by them (untimed) and is malformed; with less, only malformed', () => {
  const msg = dnsMessage({ id: 5, response: true, qtype: 1, rcode: 2 });
  for (const len of [4, 6, 11]) {
    const c = counters([query(T0, 5), answer(T0 + 0.01, msg.subarray(0, len))]);
    assert.deepEqual([c[DNS_R + 2], c[DNS_UNTIMED], c[DNS_TIME_COUNT], c[DNS_MALFORMED], c[DNS_UNANSWERED]], [1, 1, 0, 1, 0], `${len} bytes`);
  }
  for (const len of [0, 3]) {
    const c = counters([query(T0, 5), answer(T0 + 0.01, msg.subarray(0, len))]);
    assert.deepEqual([c[DNS_R + 2], c[DNS_MALFORMED]], [0, 1], `${len} bytes`);
  }
});

/** A DNS-over-TCP conversation past its handshake; `server` sends `pieces` (cut to the given lengths). */
function tcpAnswers(queries: Buffer, pieces: readonly { data: Buffer; capture?: number; dt: number }[]): TimedFrame[] {
  const conv = new TcpConversation(C, S, 41000, 53, 7000, 9000);
  conv.syn(T0);
  conv.synAck(T0 + 0.001);
  conv.ack(T0 + 0.002);
  conv.raw(true, T0 + 0.01, 0x18, conv.cseq, queries);
  const cuts = new Map<number, number>();
  for (const p of pieces) {
    conv.raw(false, T0 + 0.01 + p.dt, 0x18, conv.sseq, p.data);
    conv.sseq = (conv.sseq + p.data.length) >>> 0;
    if (p.capture !== undefined) cuts.set(conv.frames.length - 1, p.capture);
  }
  return conv.frames.map((f, i) => (cuts.has(i) ? cutTo(f, cuts.get(i)!) : f));
}
/** Ethernet, IPv4 and TCP (20-byte) headers before a TCP frame's payload. */
const TCP_AT = 14 + 20 + 20;

test('in a capture file, a cut TCP segment is read as messages from its first byte, as far as captured', () => {
  const qs = tcpFramed(...[1, 2, 3].map((id) => dnsMessage({ id, response: false, qtype: 1 })));
  const a1 = dnsMessage({ id: 1, response: true, qtype: 1, answerBytes: 30 });
  const a2 = dnsMessage({ id: 2, response: true, qtype: 1, rcode: 3, answerBytes: 300 });
  const a3 = dnsMessage({ id: 3, response: true, qtype: 1, answerBytes: 30 });
  // One segment holding answers 1 and 2, cut inside 2: 1 is timed, 2 counts untimed.
  const both = tcpFramed(a1, a2);
  const c = counters(tcpAnswers(qs, [{ data: both, capture: TCP_AT + 2 + a1.length + 40, dt: 0.005 }]));
  assert.deepEqual([c[DNS_R + 0], c[DNS_R + 3], c[DNS_TIME_COUNT], c[DNS_UNTIMED]], [1, 1, 1, 1]);
  assert.ok(Math.abs(c[DNS_TIME_SUM]! - 0.005) < 1e-6);
  // Answer 2 spans two segments, the first cut: it counts there, untimed; the next segment's bytes
  // up to its end are skipped (Wireshark's PDU tracking) and answer 3 after them is timed.
  const framed = tcpFramed(a2, a3);
  const split = 200;
  const t = counters(tcpAnswers(qs, [{ data: framed.subarray(0, split), capture: TCP_AT + 60, dt: 0.005 }, { data: framed.subarray(split), dt: 0.007 }]));
  assert.deepEqual([t[DNS_R + 3], t[DNS_R + 0], t[DNS_UNTIMED], t[DNS_TIME_COUNT]], [1, 1, 1, 1]);
  assert.ok(Math.abs(t[DNS_TIME_SUM]! - 0.007) < 1e-6);
  // Live, the same cuts are netmon's own: both answers whole, timed where they end.
  const live = runFrames(tcpAnswers(qs, [{ data: framed.subarray(0, split), capture: TCP_AT + 60, dt: 0.005 }, { data: framed.subarray(split), dt: 0.007 }]), {}, Infinity, true).p.dns!.perInterface[0]!;
  assert.deepEqual([live[DNS_R + 3], live[DNS_R + 0], live[DNS_UNTIMED], live[DNS_TIME_COUNT]], [1, 1, 0, 2]);
  assert.ok(Math.abs(live[DNS_TIME_SUM]! - 0.014) < 1e-6);
});

test('in a capture file, a message begun in a whole segment whose middle segment was cut never completes; the message after it does', () => {
  const qs = tcpFramed(...[1, 2].map((id) => dnsMessage({ id, response: false, qtype: 1 })));
  const a1 = dnsMessage({ id: 1, response: true, qtype: 1, answerBytes: 600 });
  const a2 = dnsMessage({ id: 2, response: true, qtype: 1, rcode: 5 });
  const framed = tcpFramed(a1, a2);
  // The middle piece starts inside answer 1's body (zeros there: read as empty messages, malformed).
  const c = counters(tcpAnswers(qs, [{ data: framed.subarray(0, 100), dt: 0.004 }, { data: framed.subarray(100, 400), capture: TCP_AT + 50, dt: 0.005 }, { data: framed.subarray(400), dt: 0.006 }]));
  assert.deepEqual([c[DNS_R + 0], c[DNS_R + 5], c[DNS_TIME_COUNT], c[DNS_UNTIMED]], [0, 1, 1, 0]);
  assert.ok(Math.abs(c[DNS_TIME_SUM]! - 0.006) < 1e-6);
});
