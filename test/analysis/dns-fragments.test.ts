import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DNS_FRAGMENTED_INCOMPLETE, DNS_FRAGMENTED_REASSEMBLED, DNS_MALFORMED, DNS_Q, DNS_R, DNS_TIME_COUNT, DNS_TIME_SUM, DNS_UNANSWERED, DNS_UNMATCHED, DNS_UNTIMED,
} from '../../src/analysis/dns-counters';
import { REASSEMBLY_TIMEOUT } from '../../src/analysis/ip-reassembly';
import { runFrames } from '../support/analysis-run';
import { dnsMessage, udpFrame } from '../support/dns-tcp-frames';
import type { TimedFrame } from '../support/dns-tcp-frames';
import { ETH, ethernet, ipv6, prng, PROTO, udp } from '../support/frames';
import { fragmentFrame } from '../support/ip-fragments';

const C = '10.0.0.1', S = '10.0.0.53', C6 = 'fd00::1', S6 = 'fd00::53';
const T0 = 1_700_000_000;
const RCODE_NXDOMAIN = 3;

const query = (ts: number, id: number, o: { c?: string; s?: string; port?: number } = {}): TimedFrame =>
  ({ data: udpFrame(o.c ?? C, o.s ?? S, o.port ?? 40000, 53, dnsMessage({ id, response: false, qtype: 255 })), ts });
/** The fragments of a 3 KB answer (three at a 1 500-byte MTU), in the order given, 1 ms apart from `ts`. */
function answer(ts: number, id: number, order: readonly number[], o: { c?: string; s?: string; port?: number; sport?: number; ipId?: number } = {}): TimedFrame[] {
  const frame = udpFrame(o.s ?? S, o.c ?? C, o.sport ?? 53, o.port ?? 40000, dnsMessage({ id, response: true, qtype: 255, rcode: RCODE_NXDOMAIN, answerBytes: 3000 }));
  const parts = fragmentFrame(frame, { mtu: 1500, id: o.ipId ?? id });
  assert.equal(parts.length, 3);
  return order.map((k, i) => ({ data: parts[k]!, ts: ts + i * 0.001 }));
}
const dns = (frames: TimedFrame[], config: object = {}, snaplen = Infinity, live = false) => runFrames(frames, config, snaplen, live).p.dns!;

test('an answer in fragments counts once, when its last missing fragment comes, whatever their order; it is timed from its query to that fragment', () => {
  for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1], [0, 0, 1, 2, 1], [2, 2, 0, 1]]) {
    const d = dns([query(T0, 1), ...answer(T0 + 0.1, 1, order)]);
    const c = d.perInterface[0]!;
    // The fragment completing the datagram is the first that leaves no part missing.
    const seen = new Set<number>();
    const complete = order.findIndex((k) => (seen.add(k), seen.size === 3));
    assert.equal(c[DNS_R + RCODE_NXDOMAIN], 1, `order ${order}`);
    assert.equal(c[DNS_TIME_COUNT], 1, `order ${order}`);
    assert.ok(Math.abs(c[DNS_TIME_SUM]! - (0.1 + complete * 0.001)) < 1e-6, `order ${order}: ${c[DNS_TIME_SUM]}`);
    assert.equal(c[DNS_FRAGMENTED_REASSEMBLED], 1);
    assert.equal(c[DNS_UNMATCHED] + c[DNS_MALFORMED]!, 0);
  }
});

test('in any order, with repeats, the datagram completes at the first fragment after which no byte is missing (200 random orders)', () => {
  const rand = prng(73);
  const frame = udpFrame(S, C, 53, 40000, dnsMessage({ id: 5, response: true, qtype: 1, answerBytes: 3900 }));
  const parts = fragmentFrame(frame, { mtu: 220, id: 5 });
  assert.equal(parts.length, 20);
  for (let round = 0; round < 200; round++) {
    const order = parts.map((_, k) => k).concat(Array.from({ length: Math.floor(rand() * 6) }, () => Math.floor(rand() * 20)));
    for (let k = order.length - 1; k > 0; k--) {
      const j = Math.floor(rand() * (k + 1));
      [order[k], order[j]] = [order[j]!, order[k]!];
    }
    // The completing fragment, by hand: the first after which all 20 have come.
    const seen = new Set<number>();
    const complete = order.findIndex((k) => (seen.add(k), seen.size === 20));
    const c = dns([query(T0, 5), ...order.map((k, i) => ({ data: parts[k]!, ts: T0 + 0.1 + i * 0.001 }))]).perInterface[0]!;
    assert.equal(c[DNS_TIME_COUNT], 1, `order ${order}`);
    assert.ok(Math.abs(c[DNS_TIME_SUM]! - (0.1 + complete * 0.001)) < 1e-6, `order ${order}: ${c[DNS_TIME_SUM]}`);
  }
});

test('a fragment never captured: no response, the query unanswered, and the datagram given up incomplete after 30 s', () => {
  const frames = [query(T0, 1), ...answer(T0 + 0.1, 1, [0, 2]), query(T0 + REASSEMBLY_TIMEOUT + 1, 2, { port: 40001 })];
  const c = dns(frames).perInterface[0]!;
  assert.equal(c[DNS_R + RCODE_NXDOMAIN], 0);
  assert.equal(c[DNS_UNANSWERED], 1);
  assert.equal(c[DNS_FRAGMENTED_REASSEMBLED], 0);
  assert.equal(c[DNS_FRAGMENTED_INCOMPLETE], 1);
  // Its first fragment missing, the datagram is not known to be DNS: given up, not counted.
  const d = dns([query(T0, 1), ...answer(T0 + 0.1, 1, [1, 2]), query(T0 + REASSEMBLY_TIMEOUT + 1, 2, { port: 40001 })]).perInterface[0]!;
  assert.deepEqual([d[DNS_R + RCODE_NXDOMAIN], d[DNS_FRAGMENTED_INCOMPLETE], d[DNS_FRAGMENTED_REASSEMBLED]], [0, 0, 0]);
});

test('fragmented UDP of other ports is analysed as nothing, and its fragments leave the table after 30 s', () => {
  const frames = [...answer(T0, 1, [0, 1, 2], { sport: 5000 }), ...answer(T0 + 1, 2, [2, 1, 0], { sport: 5000 }), ...answer(T0 + 2, 3, [1, 0, 2], { sport: 5000 })];
  const d = dns(frames);
  assert.equal(d.perInterface[0]!.reduce((a, b) => a + b, 0), 0);
  // The later fragments (no ports) wait for a first fragment that the DNS analysis never gets.
  assert.equal(d.reassembling, 3);
  const later = dns([...frames, query(T0 + 2 + REASSEMBLY_TIMEOUT, 9)]);
  assert.equal(later.reassembling, 0);
  assert.equal(later.perInterface[0]!.reduce((a, b) => a + b, 0), 1);
});

test('at most dns.max_fragmented datagrams at once: the oldest is dropped first, a DNS one counted incomplete', () => {
  // 20 answers whose first fragments all come before any second one; 16 fit, the 4 oldest go.
  const frames: TimedFrame[] = [];
  const parts = Array.from({ length: 20 }, (_, i) => answer(T0 + 1, i, [0, 1, 2], { port: 41000 + i }));
  for (let i = 0; i < 20; i++) frames.push(query(T0 + i * 0.001, i, { port: 41000 + i }));
  for (let i = 0; i < 20; i++) frames.push({ data: parts[i]![0]!.data, ts: T0 + 1 + i * 0.001 });
  // The rest of the 16 kept, then of the 4 dropped (new datagrams whose first fragment never comes).
  for (const i of [...Array.from({ length: 16 }, (_, j) => j + 4), 0, 1, 2, 3]) {
    for (const k of [1, 2]) frames.push({ data: parts[i]![k]!.data, ts: T0 + 1.1 + i * 0.01 + k * 0.001 });
  }
  const d = dns(frames, { dns: { max_fragmented: 16 } });
  const c = d.perInterface[0]!;
  assert.deepEqual([c[DNS_FRAGMENTED_REASSEMBLED], c[DNS_FRAGMENTED_INCOMPLETE], c[DNS_R + RCODE_NXDOMAIN]], [16, 4, 16]);
  assert.equal(d.reassembling, 4);
});

test('a datagram arriving in more than 24 separate pieces is given up (counted) rather than followed', () => {
  // A 20 000-byte answer in 8-byte-aligned fragments of 200 bytes: the even ones first.
  const frame = udpFrame(S, C, 53, 40000, dnsMessage({ id: 9, response: true, qtype: 1, answerBytes: 20000 }));
  const parts = fragmentFrame(frame, { mtu: 220, id: 9 });
  assert.ok(parts.length > 60);
  const even = parts.filter((_, i) => i % 2 === 0);
  const odd = parts.filter((_, i) => i % 2 === 1);
  const c = dns([query(T0, 9), ...[...even, ...odd].map((data, i) => ({ data, ts: T0 + 0.1 + i * 0.0001 }))]).perInterface[0]!;
  assert.equal(c[DNS_FRAGMENTED_INCOMPLETE], 1);
  assert.equal(c[DNS_R], 0);
  // In order, the same fragments are one piece all along.
  const inOrder = dns([query(T0, 9), ...parts.map((data, i) => ({ data, ts: T0 + 0.1 + i * 0.0001 }))]).perInterface[0]!;
  assert.deepEqual([inOrder[DNS_R], inOrder[DNS_TIME_COUNT], inOrder[DNS_FRAGMENTED_REASSEMBLED]], [1, 1, 1]);
});

test('live, fragments cut short by netmon\'s snap length still complete the datagram (their wire lengths); the header comes from the first', () => {
  const c = dns([query(T0, 1), ...answer(T0 + 0.1, 1, [0, 1, 2])], {}, 256, true).perInterface[0]!;
  assert.deepEqual([c[DNS_R + RCODE_NXDOMAIN], c[DNS_TIME_COUNT], c[DNS_FRAGMENTED_REASSEMBLED]], [1, 1, 1]);
  // A first fragment cut inside the DNS header: the message is malformed (and so is the query,
  // cut at the same length, though its id and flags count it).
  const m = dns([query(T0, 1), ...answer(T0 + 0.1, 1, [0, 1, 2])], {}, 14 + 20 + 8 + 6, true).perInterface[0]!;
  assert.deepEqual([m[DNS_R + RCODE_NXDOMAIN], m[DNS_MALFORMED], m[DNS_FRAGMENTED_REASSEMBLED]], [0, 2, 1]);
});

test('in a capture file, fragments cut by its snap length are not reassembled (as Wireshark); a cut IPv4 first fragment is read as it is', () => {
  // IPv4: the first fragment's DNS message counts (its RCODE; it answers the query) but is not timed.
  const v4 = dns([query(T0, 1), ...answer(T0 + 0.1, 1, [1, 0, 2]), query(T0 + 40, 2, { port: 40001 })], {}, 256).perInterface[0]!;
  assert.deepEqual([v4[DNS_R + RCODE_NXDOMAIN], v4[DNS_TIME_COUNT], v4[DNS_UNTIMED], v4[DNS_UNANSWERED]], [1, 0, 1, 0]); // answered (the query at +40 s ends its wait)
  assert.deepEqual([v4[DNS_FRAGMENTED_REASSEMBLED], v4[DNS_FRAGMENTED_INCOMPLETE], v4[DNS_UNMATCHED]], [0, 0, 0]);
  // IPv6: Wireshark shows a cut fragment as data, the first one too.
  const v6 = dns([query(T0, 1, { c: C6, s: S6 }), ...answer(T0 + 0.1, 1, [0, 1, 2], { c: C6, s: S6 })], {}, 256).perInterface[0]!;
  assert.deepEqual([v6[DNS_R + RCODE_NXDOMAIN], v6[DNS_UNTIMED], v6[DNS_FRAGMENTED_REASSEMBLED]], [0, 0, 0]);
  // Only a later fragment cut by one byte: the datagram never completes.
  const [f0, f1, f2] = answer(T0 + 0.1, 1, [0, 1, 2]);
  const cut = { data: f1!.data.subarray(0, f1!.data.length - 1), ts: f1!.ts, wireLen: f1!.data.length };
  const c = dns([query(T0, 1), f0!, cut, f2!, query(T0 + 40, 2, { port: 40001 })]).perInterface[0]!;
  assert.deepEqual([c[DNS_R + RCODE_NXDOMAIN], c[DNS_FRAGMENTED_REASSEMBLED], c[DNS_FRAGMENTED_INCOMPLETE], c[DNS_UNANSWERED]], [0, 0, 1, 1]);
  // Live, the same cut is netmon's own: reassembled, timed.
  const live = dns([query(T0, 1), f0!, cut, f2!], {}, Infinity, true).perInterface[0]!;
  assert.deepEqual([live[DNS_R + RCODE_NXDOMAIN], live[DNS_TIME_COUNT], live[DNS_FRAGMENTED_REASSEMBLED]], [1, 1, 1]);
});

test('IPv6: fragments after a hop-by-hop header reassemble; an atomic fragment (offset 0, no more) is a whole datagram', () => {
  const c = dns([query(T0, 1, { c: C6, s: S6 }), ...answer(T0 + 0.1, 1, [1, 0, 2], { c: C6, s: S6 })]).perInterface[0]!;
  assert.deepEqual([c[DNS_R + RCODE_NXDOMAIN], c[DNS_TIME_COUNT], c[DNS_FRAGMENTED_REASSEMBLED]], [1, 1, 1]);
  const msg = udp({ sport: 53, dport: 40000 }, dnsMessage({ id: 2, response: true, qtype: 255, rcode: RCODE_NXDOMAIN, answerBytes: 3000 }));
  const hbh = (off: number, more: boolean, part: Buffer) =>
    ethernet({ etherType: ETH.IPV6 }, ipv6({ src: S6, dst: C6, nextHeader: PROTO.UDP, ext: [{ type: 0 }, { type: 44, offset: off, more, id: 7 }] }, part));
  const h = dns([query(T0, 2, { c: C6, s: S6 }), { data: hbh(0, true, msg.subarray(0, 1440)), ts: T0 + 0.1 }, { data: hbh(1440, false, msg.subarray(1440)), ts: T0 + 0.2 }]).perInterface[0]!;
  assert.deepEqual([h[DNS_R + RCODE_NXDOMAIN], h[DNS_TIME_COUNT]], [1, 1]);
  assert.ok(Math.abs(h[DNS_TIME_SUM]! - 0.2) < 1e-6);
  const atomic = ethernet({ etherType: ETH.IPV6 }, ipv6({ src: S6, dst: C6, nextHeader: PROTO.UDP, ext: [{ type: 44, offset: 0, more: false, id: 8 }] }, udp({ sport: 53, dport: 40000 }, dnsMessage({ id: 3, response: true, qtype: 1 }))));
  const a = dns([query(T0, 3, { c: C6, s: S6 }), { data: atomic, ts: T0 + 0.05 }]).perInterface[0]!;
  assert.deepEqual([a[DNS_R], a[DNS_TIME_COUNT], a[DNS_FRAGMENTED_REASSEMBLED]], [1, 1, 0]);
  // Cut by a capture file's snap length it is still a whole datagram (cut): counted, untimed.
  const atomicCut = { data: atomic.subarray(0, atomic.length - 10), ts: T0 + 0.05, wireLen: atomic.length };
  const ac = dns([query(T0, 3, { c: C6, s: S6 }), atomicCut]).perInterface[0]!;
  assert.deepEqual([ac[DNS_R], ac[DNS_TIME_COUNT], ac[DNS_UNTIMED], ac[DNS_UNMATCHED]], [1, 0, 1, 0]);
});

test('a datagram mirrored on two VLANs: two if its addresses are private or link-local, one otherwise (IPv4; as tshark 4.0)', () => {
  const tag = (f: TimedFrame, vid: number): TimedFrame => ({ ts: f.ts, data: ethernet({ etherType: f.data.readUInt16BE(12), vlans: [{ vid }] }, f.data.subarray(14)) });
  const mirrored = (c: string, s: string) => {
    const frames = [tag(query(T0, 1, { c, s }), 10)];
    for (const f of answer(T0 + 0.1, 1, [0, 1, 2], { c, s })) frames.push(tag(f, 10), tag({ ts: f.ts + 0.0005, data: f.data }, 20));
    return dns(frames).perInterface[0]![DNS_R + RCODE_NXDOMAIN];
  };
  assert.equal(mirrored('10.1.0.1', '10.1.0.53'), 2);
  assert.equal(mirrored('169.254.0.1', '198.51.100.53'), 2);
  assert.equal(mirrored('198.51.100.1', '203.0.113.53'), 1);
  assert.equal(mirrored(C6, S6), 1);
});

test('queries in fragments are counted when complete too', () => {
  const big = udpFrame(C, S, 40000, 53, dnsMessage({ id: 4, response: false, qtype: 16, name: 'a'.repeat(60) + '.example.com' }));
  // An IP packet of ~100 bytes in 48-byte fragments.
  const parts = fragmentFrame(big, { mtu: 48, id: 4 });
  assert.ok(parts.length >= 3);
  const c = dns(parts.map((data, i) => ({ data, ts: T0 + i * 0.001 }))).perInterface[0]!;
  assert.equal(c.subarray(DNS_Q, DNS_R).reduce((a, b) => a + b, 0), 1);
});

test('fuzz: 20 000 mutated fragments (flags, offsets, lengths, identifications, cut anywhere) never throw and stay within the table', () => {
  const rand = prng(71);
  const base = [...answer(T0, 1, [0, 1, 2]), ...answer(T0, 2, [0, 1, 2], { c: C6, s: S6 })].map((f) => f.data);
  const frames: TimedFrame[] = [];
  let t = T0;
  for (let i = 0; i < 20_000; i++) {
    const f = Buffer.from(base[Math.floor(rand() * base.length)]!);
    // Mutations land mostly in the IP and UDP headers (and the IPv6 fragment header).
    for (let m = 1 + Math.floor(rand() * 3); m > 0; m--) f[14 + Math.floor(rand() * 56)] = Math.floor(rand() * 256);
    t += rand() * 0.01;
    frames.push({ data: rand() < 0.3 ? f.subarray(0, Math.floor(rand() * f.length)) : f, ts: t });
  }
  const d = dns(frames, { dns: { max_fragmented: 16 } });
  assert.ok(d.reassembling <= 16);
  for (const v of d.perInterface[0]!) assert.ok(Number.isFinite(v) && v >= 0);
});
