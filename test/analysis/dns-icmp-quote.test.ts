import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DNS_ICMP_QUOTED, DNS_Q, DNS_R, DNS_TIME_COUNT, DNS_TRUNCATED, DNS_UNANSWERED, DNS_UNMATCHED,
} from '../../src/analysis/dns-counters';
import { DNS_QTYPE_NAMES } from '../../src/analysis/dns-names';
import { runFrames } from '../support/analysis-run';
import { dnsMessage, tcpFrame, tcpFramed, udpFrame } from '../support/dns-tcp-frames';
import type { TimedFrame } from '../support/dns-tcp-frames';
import { ETH, ethernet, icmp, icmpv6, ipv4, ipv6, prng, PROTO } from '../support/frames';
import { ICMP_UNREACHABLE, ICMPV6_UNREACHABLE, icmpErrorFor } from '../support/icmp-errors';
import { wrap } from '../support/tunnel-frames';

const C = '10.0.0.1', S = '10.0.0.53', C6 = 'fd00::1', S6 = 'fd00::53';
const T0 = 1_700_000_000;
const NXDOMAIN = 3;
const query = (id: number, qtype = 1, c = C, s = S) => udpFrame(c, s, 40000, 53, dnsMessage({ id, response: false, qtype }));
const answer = (id: number, o: { rcode?: number; tc?: boolean; c?: string; s?: string } = {}) =>
  udpFrame(o.s ?? S, o.c ?? C, 53, 40000, dnsMessage({ id, response: true, qtype: 1, rcode: o.rcode ?? NXDOMAIN, tc: o.tc, answerBytes: 40 }));
/** The client's port closed: its port unreachable quoting the answer. */
const unreachable = (frame: Buffer, quote?: number) => icmpErrorFor(frame, { from: frame.readUInt16BE(12) === ETH.IPV4 ? C : C6, type: frame.readUInt16BE(12) === ETH.IPV4 ? ICMP_UNREACHABLE : ICMPV6_UNREACHABLE, code: frame.readUInt16BE(12) === ETH.IPV4 ? 3 : 4, quote });
const run = (frames: Buffer[], config: object = {}) => runFrames(frames.map((data, i): TimedFrame => ({ data, ts: T0 + i * 0.01 })), config).p.dns!.perInterface[0]!;

test('an answer quoted in a port unreachable counts by RCODE (and TC) as tshark counts it, and is no transaction: not timed, not unmatched', () => {
  const r = answer(1, { tc: true });
  const c = run([query(1), r, unreachable(r), unreachable(r)]);
  assert.equal(c[DNS_R + NXDOMAIN], 3);
  assert.equal(c[DNS_TRUNCATED], 3);
  assert.equal(c[DNS_ICMP_QUOTED], 2);
  assert.equal(c[DNS_TIME_COUNT], 1);
  assert.equal(c[DNS_UNMATCHED], 0);
  // IPv6 the same.
  const r6 = answer(2, { c: C6, s: S6 });
  const c6 = run([query(2, 1, C6, S6), r6, unreachable(r6)]);
  assert.deepEqual([c6[DNS_R + NXDOMAIN], c6[DNS_ICMP_QUOTED], c6[DNS_TIME_COUNT]], [2, 1, 1]);
});

test('how much of the message the quote holds: none (RFC 792\'s 8 bytes) counts nothing; its id and flags are enough for the RCODE', () => {
  const r = answer(1);
  assert.deepEqual([...[28, 28 + 3, 28 + 4, 28 + 12].map((q) => run([unreachable(r, q)])[DNS_R + NXDOMAIN])], [0, 0, 1, 1]);
  // A query cut before its question counts under "other", as a type tshark cannot show.
  const q = run([unreachable(query(2, 28), 28 + 12)]);
  assert.equal(q[DNS_Q + DNS_QTYPE_NAMES.indexOf('other')], 1);
  const whole = run([unreachable(query(2, 28))]);
  assert.equal(whole[DNS_Q + DNS_QTYPE_NAMES.indexOf('aaaa')], 1);
});

test('a quoted query is counted by type but never waits for an answer', () => {
  const c = run([unreachable(query(3, 28)), query(4), query(5)], { dns: { timeout: 0.005 } });
  assert.equal(c[DNS_Q + DNS_QTYPE_NAMES.indexOf('aaaa')], 1);
  assert.equal(c[DNS_ICMP_QUOTED], 1);
  // The first real query times out (the second is too recent to); the quoted one never waited.
  assert.equal(c[DNS_UNANSWERED], 1);
});

test('a quoted DNS-over-TCP segment is read as messages from its first byte; other ports and messages that are not errors count nothing', () => {
  const two = tcpFramed(dnsMessage({ id: 1, response: true, qtype: 1, rcode: 2 }), dnsMessage({ id: 2, response: true, qtype: 1, rcode: NXDOMAIN }));
  const seg = tcpFrame(S, C, { sport: 53, dport: 40000, flags: 0x18, seq: 1, ack: 1 }, two);
  const c = run([unreachable(seg)]);
  assert.deepEqual([c[DNS_R + 2], c[DNS_R + NXDOMAIN], c[DNS_ICMP_QUOTED]], [1, 1, 2]);
  const other = udpFrame(S, C, 5354, 40000, dnsMessage({ id: 1, response: true, qtype: 1 }));
  const echo = ethernet({ etherType: ETH.IPV4 }, ipv4({ src: C, dst: S, proto: PROTO.ICMP }, icmp({ type: 0, code: 0 }, answer(1).subarray(14))));
  const echo6 = ethernet({ etherType: ETH.IPV6 }, ipv6({ src: C6, dst: S6, nextHeader: PROTO.ICMPV6 }, icmpv6({ type: 129, code: 0 }, answer(1, { c: C6, s: S6 }).subarray(14))));
  const none = run([unreachable(other), echo, echo6]);
  assert.equal(none.reduce((a, b) => a + b, 0), 0);
});

test('quoted in an error inside a tunnel, counted too; with the DNS analysis off, ICMP errors are only counted as packets', () => {
  const r = answer(1);
  const c = run([wrap('vxlan', unreachable(r), 1), wrap('gre', unreachable(r), 2)]);
  assert.deepEqual([c[DNS_R + NXDOMAIN], c[DNS_ICMP_QUOTED]], [2, 2]);
  const off = runFrames([{ data: unreachable(r), ts: T0 }], { dns: { enabled: false } }).p;
  assert.equal(off.dns, null);
  assert.equal(off.interfaces[0]!.packets, 1);
});

test('fuzz: 20 000 mutated ICMP errors (types, quoted headers and lengths, cut anywhere) never throw', () => {
  const rand = prng(72);
  const seg = tcpFrame(S, C, { sport: 53, dport: 40000, flags: 0x18, seq: 1, ack: 1 }, tcpFramed(dnsMessage({ id: 1, response: true, qtype: 1 })));
  const base = [unreachable(answer(1)), unreachable(answer(2, { c: C6, s: S6 })), unreachable(seg), unreachable(query(3))];
  const frames: Buffer[] = [];
  for (let i = 0; i < 20_000; i++) {
    const f = Buffer.from(base[Math.floor(rand() * base.length)]!);
    // Mostly the ICMP header and the quoted IP, UDP or TCP headers and length prefix.
    for (let m = 1 + Math.floor(rand() * 3); m > 0; m--) f[14 + Math.floor(rand() * Math.min(f.length - 14, 110))] = Math.floor(rand() * 256);
    frames.push(rand() < 0.3 ? f.subarray(0, Math.floor(rand() * f.length)) : f);
  }
  for (const v of run(frames)) assert.ok(Number.isFinite(v) && v >= 0);
});
