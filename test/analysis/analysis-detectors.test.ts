/**
 * The detectors that name who the DNS and TCP analysers' events concern: DNS servers by SERVFAIL
 * responses, by unanswered queries, by response times and by messages lost in IP fragments,
 * (source, destination) pairs by retransmitted segments. The
 * expected values are counted by hand from the frames each test builds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TopList } from '../../src/analysis/detectors';
import { TCP_RETRANSMISSIONS } from '../../src/analysis/tcp-counters';
import { netmonFamilies } from '../../src/metrics/netmon-families';
import { renderFamilies } from '../../src/metrics/text-exposition';
import { runFrames } from '../support/analysis-run';
import { dnsMessage, TcpConversation, udpFrame } from '../support/dns-tcp-frames';
import type { TimedFrame } from '../support/dns-tcp-frames';
import { fragmentFrame } from '../support/ip-fragments';

const T0 = 1_700_000_000;

function query(ts: number, client: string, server: string, id: number): TimedFrame {
  return { data: udpFrame(client, server, 40000 + id, 53, dnsMessage({ id, response: false, qtype: 1 })), ts };
}
function answer(ts: number, client: string, server: string, id: number, rcode: number): TimedFrame {
  return { data: udpFrame(server, client, 53, 40000 + id, dnsMessage({ id, response: true, qtype: 1, rcode, answerBytes: 16 })), ts };
}
function asMap(t: TopList, labelCount: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < t.values.length; i++) m.set(t.labels.slice(i * labelCount, i * labelCount + labelCount).join(' '), t.values[i]!);
  return m;
}

/** Queries to several servers: some answered SERVFAIL, some NOERROR, some never. */
function dnsTraffic(t: number): TimedFrame[] {
  const f: TimedFrame[] = [];
  let id = 1;
  const ask = (server: string, rcode: number | null, client = '10.0.0.1') => {
    const q = id++;
    f.push(query(t, client, server, q));
    if (rcode !== null) f.push(answer(t + 0.01, client, server, q, rcode));
    t += 0.05;
  };
  for (let i = 0; i < 5; i++) ask('10.0.0.53', 2); // 5 SERVFAIL
  for (let i = 0; i < 2; i++) ask('10.0.0.54', 2, '10.0.0.2'); // 2 SERVFAIL
  for (let i = 0; i < 9; i++) ask('10.0.0.54', 0); // answered: neither
  for (let i = 0; i < 3; i++) ask('fd00::53', 2, 'fd00::1'); // 3 SERVFAIL over IPv6
  for (let i = 0; i < 4; i++) ask('10.0.0.55', null); // 4 unanswered
  ask('fd00::53', null, 'fd00::1'); // 1 unanswered
  ask('10.0.0.53', 3); // NXDOMAIN: neither
  return f;
}

test('DNS servers named by SERVFAIL responses and by unanswered queries (IPv4 and IPv6), within the window', () => {
  const frames = dnsTraffic(T0);
  const { p } = runFrames(frames, { dns: { timeout: '2s' }, detect: { window: '60s' } });
  const r = p.detections!;
  assert.deepEqual(asMap(r.dnsServfail, 1), new Map([['10.0.0.53', 5], ['fd00::53', 3], ['10.0.0.54', 2]]));
  assert.deepEqual([...r.dnsServfail.values], [5, 3, 2]); // best first
  // runFrames expires the queries still waiting 2 s after their time only if packet time got there:
  // move it on with a late packet, then the unanswered ones are counted.
  const late = runFrames([...frames, query(T0 + 10, '10.0.0.9', '10.0.0.99', 999)], { dns: { timeout: '2s' }, detect: { window: '60s' } }).p.detections!;
  assert.deepEqual(asMap(late.dnsUnanswered, 1), new Map([['10.0.0.55', 4], ['fd00::53', 1]]));
  assert.equal(asMap(late.dnsServfail, 1).get('10.0.0.53'), 5);
  // Queries expire when packet time passes their timeout (in a replay, at the next packet; live,
  // within a second), and count then. A window after that, both gauges are empty.
  const later = [query(T0 + 10, '10.0.0.9', '10.0.0.99', 998), query(T0 + 100, '10.0.0.9', '10.0.0.99', 999)];
  const gone = runFrames([...frames, ...later], { dns: { timeout: '2s' }, detect: { window: '60s' } }).p.detections!;
  assert.equal(gone.dnsServfail.values.length, 0);
  // Only the query of T0 + 10, which expired at T0 + 100, is in this window.
  assert.deepEqual(asMap(gone.dnsUnanswered, 1), new Map([['10.0.0.99', 1]]));
});

test('paths named by retransmitted segments: the sender first, each direction on its own', () => {
  const f: TimedFrame[] = [];
  const convs = [
    { c: new TcpConversation('10.1.0.1', '10.1.0.2', 40000, 443, 1000, 9000), client: 3, server: 1 },
    { c: new TcpConversation('10.1.0.1', '10.1.0.2', 40001, 443, 5000, 7000), client: 2, server: 0 },
    { c: new TcpConversation('10.1.0.3', '10.1.0.2', 40000, 80, 1000, 9000), client: 0, server: 4 },
    { c: new TcpConversation('fd00::1', 'fd00::2', 40000, 80, 1000, 9000), client: 1, server: 0 },
  ];
  let t = T0;
  for (const { c, client, server } of convs) {
    c.syn(t);
    c.synAck(t + 0.01);
    c.ack(t + 0.02);
    for (let i = 0; i < client; i++) {
      const s = c.data(true, t + 0.1 + i, 100);
      c.resend(true, t + 0.5 + i, s, 100); // a timeout retransmission
      c.ackFrom(false, t + 0.52 + i);
    }
    for (let i = 0; i < server; i++) {
      const s = c.data(false, t + 10 + i, 100);
      c.resend(false, t + 10.5 + i, s, 100);
      c.ackFrom(true, t + 10.52 + i);
    }
    f.push(...c.frames);
    t += 0.001;
  }
  f.sort((a, b) => a.ts - b.ts);
  const { p } = runFrames(f, { detect: { window: '60s' } });
  const r = p.detections!;
  assert.deepEqual(asMap(r.tcpRetransmissions, 2), new Map([['10.1.0.1 10.1.0.2', 5], ['10.1.0.2 10.1.0.3', 4], ['10.1.0.2 10.1.0.1', 1], ['fd00::1 fd00::2', 1]]));
  // Every retransmission the analyser counted is named.
  assert.equal(p.tcp!.perInterface[0]![TCP_RETRANSMISSIONS], 11);
  assert.equal([...r.tcpRetransmissions.values].reduce((a, b) => a + b, 0), 11);
});

test('the families serve them, and without the detectors (detect.enabled: false) nothing is named', () => {
  const { p } = runFrames(dnsTraffic(T0), { detect: { window: '60s' } });
  const text = renderFamilies(netmonFamilies({ version: 't', pipeline: p, captures: [] }));
  assert.match(text, /^netmon_detect_dns_servfail\{server_ip="10\.0\.0\.53"\} 5$/m);
  assert.match(text, /^# TYPE netmon_detect_tcp_retransmissions gauge$/m);
  assert.match(text, /^netmon_detect_keys\{detector="dns_servers"\} 3$/m);
  const off = runFrames(dnsTraffic(T0), { detect: { enabled: false } }).p;
  assert.equal(off.detections, undefined);
  assert.ok(!renderFamilies(netmonFamilies({ version: 't', pipeline: off, captures: [] })).includes('netmon_detect_dns_servfail'));
});

test('a connection\'s cached detector slot, taken over by another pair after evictions, is not counted into that pair', () => {
  // detect.max_sources 16: pairs P0..P15 retransmit once each and fill the table; Q0..Q15 then evict
  // them (the oldest one-off keys first) and take their slots; P0 retransmitting again must count for
  // P0 (inserted anew, evicting Q0), not for whichever Q holds the slot P0 used to have.
  const t0 = T0;
  const conns = Array.from({ length: 32 }, (_, i) => new TcpConversation(`10.3.0.${i + 1}`, '10.3.1.1', 40000, 443, 1000, 9000));
  const f: TimedFrame[] = [];
  const once = (c: TcpConversation, t: number) => {
    const s = c.data(true, t, 100);
    c.resend(true, t + 0.3, s, 100);
    c.ackFrom(false, t + 0.31);
  };
  conns.forEach((c, i) => {
    c.syn(t0 + i * 0.01);
    c.synAck(t0 + i * 0.01 + 0.001);
    c.ack(t0 + i * 0.01 + 0.002);
  });
  conns.forEach((c, i) => once(c, t0 + 1 + i)); // P0..P15 at 1..16 s, Q0..Q15 at 17..32 s
  once(conns[0]!, t0 + 40);
  for (const c of conns) f.push(...c.frames);
  f.sort((a, b) => a.ts - b.ts);
  const { p } = runFrames(f, { detect: { window: '60s', max_sources: 16, top_n: 100 } });
  const got = asMap(p.detections!.tcpRetransmissions, 2);
  const want = new Map<string, number>([['10.3.0.1 10.3.1.1', 1], ...Array.from({ length: 15 }, (_, i) => [`10.3.0.${18 + i} 10.3.1.1`, 1] as [string, number])]);
  assert.deepEqual(new Map([...got].sort()), new Map([...want].sort()));
});

test('DNS servers named by the time clients waited on them, with their timed responses (the same servers, in order)', () => {
  const f: TimedFrame[] = [];
  let id = 1;
  let t = T0;
  const ask = (server: string, delay: number, n: number) => {
    for (let i = 0; i < n; i++) {
      const q = id++;
      const client = server.includes(':') ? 'fd00::1' : '10.0.0.1';
      f.push(query(t, client, server, q), answer(t + delay, client, server, q, 0));
      t += 1;
    }
  };
  ask('10.0.0.53', 0.8, 3); // slow: 2.4 s in all
  ask('10.0.0.54', 0.002, 50); // fast but busy: 0.1 s
  ask('fd00::53', 0.25, 4); // 1 s
  f.sort((a, b) => a.ts - b.ts);
  const { p } = runFrames(f, { detect: { window: '120s' } });
  const r = p.detections!;
  assert.deepEqual(r.dnsWait.labels, ['10.0.0.53', 'fd00::53', '10.0.0.54']);
  const want = [2.4, 1, 0.1];
  r.dnsWait.values.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, // packet times near 1.7e9 s carry ~0.2 µs each
    `${r.dnsWait.labels[i]}: ${v}`));
  assert.deepEqual(r.dnsTimed.labels, r.dnsWait.labels);
  assert.deepEqual([...r.dnsTimed.values], [3, 4, 50]);
  // No failures: nothing named there.
  assert.equal(r.dnsServfail.values.length + r.dnsUnanswered.values.length, 0);
});

test('DNS servers named by their messages lost in IP fragments: the source of an answer, the destination of a query', () => {
  const f: TimedFrame[] = [];
  let t = T0;
  let id = 1;
  // The fragments of a 3 KB message, all of them or without the second.
  const send = (frame: Buffer, lose: boolean) => {
    const parts = fragmentFrame(frame, { mtu: 1500, id: id++ });
    for (const [k, data] of parts.entries()) if (!lose || k !== 1) f.push({ data, ts: (t += 0.001) });
  };
  const big = (server: string, client: string) => udpFrame(server, client, 53, 40000 + id, dnsMessage({ id, response: true, qtype: 255, answerBytes: 3000 }));
  for (let i = 0; i < 3; i++) send(big('10.0.0.53', '10.0.0.1'), true);
  send(big('10.0.0.53', '10.0.0.1'), false); // complete: not lost
  send(big('fd00::53', 'fd00::1'), true);
  // A query of ~1 600 bytes (padding after its question, as a large EDNS option would be) lost on its way.
  const q = udpFrame('10.0.0.1', '10.0.0.60', 40999, 53, Buffer.concat([dnsMessage({ id: 77, response: false, qtype: 1 }), Buffer.alloc(1600)]));
  const parts = fragmentFrame(q, { mtu: 1500, id: 999 });
  f.push({ data: parts[0]!, ts: (t += 0.001) });
  // An answer whose first fragment ends inside the DNS header (after a query's: its flags are not
  // there to say which end is the server; the DNS port does).
  const cut = fragmentFrame(big('10.0.0.70', '10.0.0.1'), { mtu: 1500, id: 1000 })[0]!;
  f.push({ data: cut.subarray(0, 14 + 20 + 8 + 6), ts: (t += 0.001), wireLen: cut.length });
  // 30 s later the incomplete ones are given up.
  f.push(query(t + 31, '10.0.0.9', '10.0.0.99', 5));
  // Live: the cut fragment is netmon's own snap length (a file's would not be reassembled at all).
  const { p } = runFrames(f, { detect: { window: '120s' } }, Infinity, true);
  assert.deepEqual(asMap(p.detections!.dnsFragmentsLost, 1), new Map([['10.0.0.53', 3], ['fd00::53', 1], ['10.0.0.60', 1], ['10.0.0.70', 1]]));
  const text = renderFamilies(netmonFamilies({ version: 't', pipeline: p, captures: [] }));
  assert.match(text, /^netmon_detect_dns_fragments_lost\{server_ip="10\.0\.0\.53"\} 3$/m);
});
