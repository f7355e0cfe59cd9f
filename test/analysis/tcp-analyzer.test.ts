import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TCP_DATA_SEGMENTS, TCP_ESTABLISHED, TCP_REFUSED, TCP_RETRANSMISSIONS, TCP_RTT_COUNT, TCP_RTT_SUM, TCP_TIMEOUT, TCP_ZERO_WINDOW,
} from '../../src/analysis/tcp-counters';
import type { FlowRecord } from '../../src/flow/flow-record';
import { runFrames } from '../support/analysis-run';
import { TcpConversation } from '../support/dns-tcp-frames';
import { ETH, ethernet, ipv6, PROTO, tcp } from '../support/frames';
import type { TimedFrame } from '../support/dns-tcp-frames';

const C = '10.1.0.1', S = '10.1.0.2';
const T0 = 1_700_000_000;
const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;

function conv(cport = 40000, isn = 1000, sisn = 9000): TcpConversation {
  return new TcpConversation(C, S, cport, 443, isn, sisn);
}
function handshake(c: TcpConversation, t: number, rtt = 0.02): void {
  c.syn(t);
  c.synAck(t + rtt / 2);
  c.ack(t + rtt);
}
const tcpOf = (frames: TimedFrame[], config: object = {}) => {
  const r = runFrames(frames, config);
  return { c: r.p.tcp!.perInterface[0]!, t: r.p.tcp!, records: r.records };
};
const record = (records: FlowRecord[], fromClient: boolean) => records.find((r) => r.srcIp === (fromClient ? C : S))!;

test('handshake: RTT from SYN to the ACK, one established connection, RTT on the client flow\'s record', () => {
  const a = conv();
  handshake(a, T0, 0.02);
  a.data(true, T0 + 0.03, 100);
  a.ackFrom(false, T0 + 0.05);
  const { c, records } = tcpOf(a.frames);
  assert.equal(c[TCP_RTT_COUNT], 1);
  assert.ok(near(c[TCP_RTT_SUM]!, 0.02));
  assert.deepEqual([c[TCP_ESTABLISHED], c[TCP_REFUSED], c[TCP_TIMEOUT], c[TCP_RETRANSMISSIONS]], [1, 0, 0, 0]);
  assert.equal(c[TCP_DATA_SEGMENTS], 3); // SYN, SYN-ACK, the data
  assert.ok(near(record(records, true).tcpHandshakeRtt!, 0.02));
  assert.equal(record(records, false).tcpHandshakeRtt, null);
  assert.deepEqual(records.map((r) => r.tcpRetransmissions), [0, 0]);
});

test('without the SYN-ACK the RTT counts at the next segment Wireshark analyses (data), and never when none comes (a SYN, then a FIN), as tshark shows initial_rtt', () => {
  // The server side not captured: SYN, the ACK (of the unseen SYN-ACK) 20 ms later, data 1 s later.
  const a = conv(40000);
  a.syn(T0);
  a.ack(T0 + 0.02);
  a.data(true, T0 + 1, 100);
  // A SYN with 4 bytes of data (TCP Fast Open), no answer captured, a FIN 10 s later.
  const b = conv(40001);
  b.raw(true, T0, 0x02, b.cseq, Buffer.alloc(4, 1), 0);
  b.cseq = (b.cseq + 5) >>> 0;
  b.fin(true, T0 + 10);
  const { c, records } = tcpOf([...a.frames, ...b.frames].sort((x, y) => x.ts - y.ts));
  assert.equal(c[TCP_RTT_COUNT], 1);
  assert.ok(near(c[TCP_RTT_SUM]!, 0.02), String(c[TCP_RTT_SUM]));
  assert.ok(near(records.find((r) => r.srcPort === 40000)!.tcpHandshakeRtt!, 0.02));
  assert.equal(records.find((r) => r.srcPort === 40001)!.tcpHandshakeRtt, null);
  // Neither was answered: no result counts as established.
  assert.equal(c[TCP_ESTABLISHED], 0);
});

test('an IPv6 atomic fragment (fragment header, offset 0, no more) is a whole segment: analysed; a real fragment is not', () => {
  const c6 = 'fd00::1', s6 = 'fd00::2';
  const seg = (src: string, dst: string, sport: number, dport: number, flags: number, seq: number, ack: number, frag?: { more: boolean }) =>
    ethernet({ etherType: ETH.IPV6 }, ipv6({ src, dst, nextHeader: PROTO.TCP, ext: frag ? [{ type: 44, offset: 0, more: frag.more, id: 7 }] : [] }, tcp({ sport, dport, flags, seq, ack, window: 1000 })));
  const frames = (more: boolean): TimedFrame[] => [
    { data: seg(c6, s6, 40000, 80, 0x02, 100, 0), ts: T0 },
    { data: seg(s6, c6, 80, 40000, 0x12, 500, 101), ts: T0 + 0.01 },
    // The ACK completing the handshake, sent with a fragment header.
    { data: seg(c6, s6, 40000, 80, 0x10, 101, 501, { more }), ts: T0 + 0.02 },
  ];
  const atomic = tcpOf(frames(false)).c;
  assert.deepEqual([atomic[TCP_RTT_COUNT], atomic[TCP_ESTABLISHED]], [1, 1]);
  assert.ok(near(atomic[TCP_RTT_SUM]!, 0.02));
  const fragment = tcpOf(frames(true)).c;
  assert.deepEqual([fragment[TCP_RTT_COUNT], fragment[TCP_ESTABLISHED]], [0, 0]);
});

test('a retransmitted SYN is a retransmission; the RTT runs from the latest SYN, as Wireshark\'s initial_rtt', () => {
  const a = conv();
  a.syn(T0);
  a.synAgain(T0 + 1);
  a.synAgain(T0 + 3);
  a.synAck(T0 + 3.01);
  a.ack(T0 + 3.02);
  const { c, records } = tcpOf(a.frames);
  assert.equal(c[TCP_RETRANSMISSIONS], 2);
  assert.ok(near(c[TCP_RTT_SUM]!, 0.02), String(c[TCP_RTT_SUM]));
  assert.equal(c[TCP_ESTABLISHED], 1);
  assert.equal(record(records, true).tcpRetransmissions, 2);
});

test('RST answering a SYN: refused (and its RTT, SYN to RST+ACK, as Wireshark measures it)', () => {
  const a = conv();
  a.syn(T0);
  a.refuse(T0 + 0.001);
  const { c } = tcpOf(a.frames);
  assert.deepEqual([c[TCP_REFUSED], c[TCP_ESTABLISHED], c[TCP_TIMEOUT], c[TCP_RTT_COUNT]], [1, 0, 0, 1]);
  assert.ok(near(c[TCP_RTT_SUM]!, 0.001));
});

test('a SYN never answered times out after tcp.syn_timeout; answered ones do not', () => {
  const a = conv(40000);
  a.syn(T0);
  a.synAgain(T0 + 1);
  const b = conv(40001);
  handshake(b, T0 + 2);
  const late = conv(40002);
  late.syn(T0 + 40); // still within its timeout at the end
  const { c } = tcpOf([...a.frames, ...b.frames, ...late.frames].sort((x, y) => x.ts - y.ts), { tcp: { syn_timeout: '10s' } });
  assert.deepEqual([c[TCP_TIMEOUT], c[TCP_ESTABLISHED]], [1, 1]);
});

test('zero window counted; a zero-window probe and its ACK are not zero windows, nor retransmissions', () => {
  const a = conv();
  handshake(a, T0);
  a.data(true, T0 + 0.1, 1000);
  a.window.server = 0;
  a.ackFrom(false, T0 + 0.11); // window 0
  a.data(true, T0 + 0.5, 1); // zero-window probe: 1 byte at the next sequence number
  a.ackFrom(false, T0 + 0.51, (a.cseq - 1) >>> 0); // probe not accepted, still 0
  a.window.server = 65535;
  a.ackFrom(false, T0 + 1); // window update
  a.data(true, T0 + 1.1, 500);
  const { c } = tcpOf(a.frames);
  assert.equal(c[TCP_ZERO_WINDOW], 2); // the two ACKs with window 0
  assert.equal(c[TCP_RETRANSMISSIONS], 0);
});

test('keep-alives (0 or 1 byte at the previous sequence number) are not retransmissions', () => {
  const a = conv();
  handshake(a, T0);
  a.data(true, T0 + 0.1, 200);
  a.ackFrom(false, T0 + 0.12);
  a.keepAlive(true, T0 + 60);
  a.ackFrom(false, T0 + 60.01);
  a.raw(true, T0 + 120, 0x10, (a.cseq - 1) >>> 0, Buffer.from([0]), a.cack); // 1-byte keep-alive (BSD style)
  a.ackFrom(false, T0 + 120.01);
  const { c } = tcpOf(a.frames);
  assert.equal(c[TCP_RETRANSMISSIONS], 0);
});

test('retransmissions: timeout, fast (after duplicate ACKs), spurious; out-of-order is not one', () => {
  const a = conv();
  handshake(a, T0, 0.02);
  // Timeout retransmission: segment sent, no ACK, sent again 300 ms later.
  const s1 = a.data(true, T0 + 0.1, 100);
  a.resend(true, T0 + 0.4, s1, 100);
  a.ackFrom(false, T0 + 0.42);
  // Fast retransmission: a segment lost, the next three arrive, three duplicate ACKs, resent at once.
  const lost = a.data(true, T0 + 1, 100);
  for (let i = 0; i < 3; i++) a.data(true, T0 + 1.001 + i * 0.001, 100);
  for (let i = 0; i < 3; i++) a.ackFrom(false, T0 + 1.02 + i * 0.001, lost);
  a.resend(true, T0 + 1.025, lost, 100);
  a.ackFrom(false, T0 + 1.05);
  // Spurious: data the receiver had already acknowledged.
  a.resend(true, T0 + 2, lost, 100);
  // Out of order: a lower segment arriving within the initial RTT after the highest one.
  const hi = a.cseq;
  a.cseq = (a.cseq + 100) >>> 0;
  a.data(true, T0 + 3, 100); // sent after a gap of 100 bytes
  a.resend(true, T0 + 3.005, hi, 100); // the missing one, 5 ms later (< 20 ms RTT): out of order
  const { c, records } = tcpOf(a.frames);
  assert.equal(c[TCP_RETRANSMISSIONS], 3);
  assert.equal(record(records, true).tcpRetransmissions, 3);
  assert.equal(record(records, false).tcpRetransmissions, 0);
});

test('a SYN with a new initial sequence number on the same ports is a new connection (port reuse)', () => {
  const a = conv(40000, 1000, 9000);
  handshake(a, T0, 0.02);
  a.fin(true, T0 + 1);
  a.fin(false, T0 + 1.01);
  a.ackFrom(true, T0 + 1.02);
  const b = conv(40000, 555555, 777777);
  handshake(b, T0 + 5, 0.04);
  const { c } = tcpOf([...a.frames, ...b.frames]);
  assert.equal(c[TCP_ESTABLISHED], 2);
  assert.equal(c[TCP_RTT_COUNT], 2);
  assert.ok(near(c[TCP_RTT_SUM]!, 0.06));
  assert.equal(c[TCP_RETRANSMISSIONS], 0);
});

test('the connection table is bounded: unanswered SYNs are evicted first, counted, and hold at most half of it', () => {
  const frames: TimedFrame[] = [];
  const ok = conv(39999);
  handshake(ok, T0);
  frames.push(...ok.frames);
  for (let i = 0; i < 40; i++) {
    const x = conv(41000 + i);
    x.syn(T0 + 1 + i * 0.001);
    frames.push(...x.frames);
  }
  const late = ok.data(true, T0 + 2, 10);
  ok.resend(true, T0 + 2.5, late, 10);
  frames.push(...ok.frames.slice(3));
  const { c, t } = tcpOf(frames, { tcp: { max_connections: 16 } });
  // 40 SYNs, at most 8 (half of 16) waiting at a time: 32 evicted, 1 + 8 tracked.
  assert.equal(t.evictions, 32);
  assert.equal(t.connections, 9);
  // The established connection survived the flood: its retransmission is still recognised.
  assert.equal(c[TCP_RETRANSMISSIONS], 1);
});

test('established connections survive a flood of SYNs at capacity, then all idle out', { timeout: 20_000 }, () => {
  const est = Array.from({ length: 10 }, (_, k) => conv(30000 + k));
  const frames: TimedFrame[] = [];
  est.forEach((a, k) => {
    handshake(a, T0 + k * 0.01);
    a.data(true, T0 + 0.5, 100);
    a.ackFrom(false, T0 + 0.51);
  });
  for (const a of est) frames.push(...a.frames);
  for (let i = 0; i < 30; i++) {
    const x = conv(42000 + i);
    x.syn(T0 + 1 + i * 0.001);
    frames.push(...x.frames);
  }
  for (const a of est) {
    const n = a.frames.length;
    const seq = a.data(true, T0 + 2, 50);
    a.resend(true, T0 + 2.5, seq, 50);
    frames.push(...a.frames.slice(n));
  }
  frames.sort((x, y) => x.ts - y.ts);
  const r = runFrames(frames, { tcp: { max_connections: 16, idle_timeout: '60s' } });
  const c = r.p.tcp!.perInterface[0]!;
  assert.equal(r.p.tcp!.evictions, 24);
  assert.equal(c[TCP_RETRANSMISSIONS], 10);
  assert.equal(c[TCP_ESTABLISHED], 10);
  r.p.tcp!.advance(T0 + 1000);
  assert.equal(r.p.tcp!.connections, 0);
  // The 6 unanswered SYNs still tracked when they idled out timed out; the evicted ones did not.
  assert.equal(c[TCP_TIMEOUT], 6);
});

test('an established connection idle past tcp.idle_timeout is kept until tcp.established_timeout: a retransmission after a long backoff counts, as in tshark; closed and unanswered ones go after idle_timeout', () => {
  const frames: TimedFrame[] = [];
  // Established, data unacknowledged, retransmitted 300 s later (a backoff past idle_timeout).
  const quiet = conv(40000);
  handshake(quiet, T0);
  const seq = quiet.data(true, T0 + 0.1, 100);
  quiet.resend(true, T0 + 300.1, seq, 100);
  // Closed with FINs both ways, then idle.
  const closed = conv(40001);
  handshake(closed, T0);
  closed.data(true, T0 + 0.1, 100);
  closed.ackFrom(false, T0 + 0.2);
  closed.fin(true, T0 + 0.3);
  closed.fin(false, T0 + 0.4);
  // A SYN nobody answered.
  const unanswered = conv(40002);
  unanswered.syn(T0);
  frames.push(...quiet.frames, ...closed.frames, ...unanswered.frames);
  frames.sort((x, y) => x.ts - y.ts);

  const r = runFrames(frames.filter((f) => f.ts < T0 + 200));
  const t = r.p.tcp!;
  t.advance(T0 + 119);
  assert.equal(t.connections, 3);
  t.advance(T0 + 121);
  assert.equal(t.connections, 1, 'the closed and the unanswered connection are forgotten after idle_timeout, the established one kept');
  t.advance(T0 + 900);
  assert.equal(t.connections, 1, 'idle 899.9 s: kept');
  // Looked at again once per idle_timeout: forgotten at the first look past established_timeout.
  t.advance(T0 + 1020);
  assert.equal(t.connections, 0, 'idle 1019.9 s: forgotten after established_timeout');

  // The whole capture: the retransmission 300 s later is recognised (tshark marks it too).
  const { c } = tcpOf(frames);
  assert.equal(c[TCP_RETRANSMISSIONS], 1);
  // With established_timeout no longer than idle_timeout, the connection is forgotten first.
  const short = tcpOf(frames, { tcp: { established_timeout: '120s' } });
  assert.equal(short.c[TCP_RETRANSMISSIONS], 0);
});

test('one packet whose time is damaged (years ahead) ends nothing: the handshake is timed from SYN to ACK, as tshark does; a gap the next packet confirms still expires', () => {
  const a = conv(40000);
  a.syn(T0);
  a.synAck(T0 + 1.5e9); // a damaged timestamp between packets of the present
  a.ack(T0 + 0.00005);
  a.data(true, T0 + 0.001, 100);
  a.ackFrom(false, T0 + 0.002);
  // A real gap: another connection's SYN, unanswered, then two packets a day later.
  const b = conv(40001, 5000, 7000);
  b.syn(T0 + 1);
  const later = conv(40002, 6000, 8000);
  later.syn(T0 + 86_400);
  later.synAck(T0 + 86_400.01);
  later.ack(T0 + 86_400.02);
  const { c } = tcpOf([...a.frames, ...b.frames, ...later.frames]);
  assert.equal(c[TCP_RTT_COUNT], 2);
  assert.ok(near(c[TCP_RTT_SUM]!, 0.00005 + 0.02), String(c[TCP_RTT_SUM]));
  assert.deepEqual([c[TCP_ESTABLISHED], c[TCP_TIMEOUT], c[TCP_RETRANSMISSIONS]], [2, 1, 0]);
});
