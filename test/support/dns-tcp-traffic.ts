/**
 * Seeded random traffic for the DNS and TCP oracle tests: DNS over UDP and TCP (retransmitted,
 * repeated, unanswered and unsolicited messages, truncated answers retried over TCP, TCP streams cut
 * at random points) and TCP connections (retransmitted SYNs, refusals, unanswered SYNs, timeout and
 * fast retransmissions, keep-alives, zero windows and their probes, port reuse), interleaved in time.
 * Delays are drawn away from histogram bounds only by chance; tests compare sums and counts.
 */
import { dnsMessage, TcpConversation, tcpFramed, udpFrame } from './dns-tcp-frames';
import type { TimedFrame } from './dns-tcp-frames';
import { randomIpv4, randomIpv6 } from './frames';

export interface TrafficOptions {
  start: number;
  dnsUdp: number;
  dnsTcp: number;
  tcp: number;
  /** Seconds over which exchanges start. */
  span: number;
  /** Idle time before a keep-alive, seconds: [min, max) (default 5 to 15, as a stack would wait). */
  keepAliveGap?: readonly [number, number];
  /** Zone transfers over TCP (AXFR or IXFR, answered in several messages), generated last (default 0). */
  zoneTransfers?: number;
  /** Share of the UDP answers that are 1.5 to 4 KB long (an EDNS0 buffer above the MTU; default 0). */
  largeAnswers?: number;
}

const QTYPES = [1, 1, 1, 28, 28, 5, 15, 2, 12, 6, 33, 16, 65, 64, 255, 99];

export function generateTraffic(rand: () => number, o: TrafficOptions): TimedFrame[] {
  const out: TimedFrame[] = [];
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)]!;
  const v6 = () => rand() < 0.25;
  const resolvers4 = [randomIpv4(rand), randomIpv4(rand)];
  const resolvers6 = [randomIpv6(rand)];
  let port = 20000;
  const nextPort = () => (port = port >= 65000 ? 20000 : port + 1 + int(3));

  for (let i = 0; i < o.dnsUdp; i++) {
    const six = v6();
    const client = six ? randomIpv6(rand) : randomIpv4(rand);
    const server = pick(six ? resolvers6 : resolvers4);
    const cport = nextPort();
    const id = int(65536);
    const qtype = pick(QTYPES);
    let t = o.start + rand() * o.span;
    const q = dnsMessage({ id, response: false, qtype, name: `h${int(1000)}.example.org` });
    const r = rand();
    out.push({ data: udpFrame(client, server, cport, 53, q), ts: t });
    if (r < 0.1) {
      // Retransmitted query (within Wireshark's 5 s), then the answer.
      t += 0.5 + rand() * 3;
      out.push({ data: udpFrame(client, server, cport, 53, q), ts: t });
    }
    if (r >= 0.1 && r < 0.15) continue; // unanswered
    const rcode = rand() < 0.7 ? 0 : pick([1, 2, 2, 3, 3, 3, 4, 5, 9, 13]);
    const tc = rand() < 0.05;
    const large = o.largeAnswers !== undefined && rand() < o.largeAnswers;
    const resp = dnsMessage({ id, response: true, qtype, rcode, tc, answerBytes: large ? 1500 + int(2500) : int(300) });
    const delay = rand() < 0.8 ? 0.0002 + rand() * 0.05 : 0.05 + rand() * 2;
    out.push({ data: udpFrame(server, client, 53, cport, resp), ts: t + delay });
    if (r >= 0.15 && r < 0.2) out.push({ data: udpFrame(server, client, 53, cport, resp), ts: t + delay + 0.001 }); // repeated answer
    if (r >= 0.2 && r < 0.23) {
      // Unsolicited answer to a port that asked nothing.
      out.push({ data: udpFrame(server, client, 53, nextPort(), dnsMessage({ id: int(65536), response: true, qtype: 1, rcode: 3 })), ts: t + delay / 2 });
    }
  }

  for (let i = 0; i < o.dnsTcp; i++) {
    const six = v6();
    const c = new TcpConversation(six ? randomIpv6(rand) : randomIpv4(rand), pick(six ? resolvers6 : resolvers4), nextPort(), 53, int(2 ** 32), int(2 ** 32));
    let t = o.start + rand() * o.span;
    const rtt = 0.0005 + rand() * 0.03;
    c.syn(t);
    c.synAck(t + rtt / 2);
    c.ack(t + rtt);
    t += rtt;
    const n = 1 + int(3);
    const ids = Array.from({ length: n }, () => int(65536));
    const qs = tcpFramed(...ids.map((id) => dnsMessage({ id, response: false, qtype: pick(QTYPES) })));
    c.raw(true, t + 0.0001, 0x18, c.cseq, qs);
    c.cseq = (c.cseq + qs.length) >>> 0;
    t += 0.0001;
    const rs = tcpFramed(...ids.map((id) => dnsMessage({ id, response: true, qtype: 1, rcode: rand() < 0.8 ? 0 : 3, answerBytes: int(900) })));
    // The answer stream cut at random points (1-byte pieces included), sometimes one piece sent twice.
    let at = 0;
    t += 0.001 + rand() * 0.05;
    while (at < rs.length) {
      const len = Math.min(rs.length - at, rand() < 0.2 ? 1 + int(3) : 1 + int(600));
      const piece = rs.subarray(at, at + len);
      c.raw(false, t, 0x18, c.sseq, piece);
      if (rand() < 0.1) c.raw(false, t + 0.2, 0x18, c.sseq, piece);
      c.sseq = (c.sseq + len) >>> 0;
      at += len;
      t += 0.0003 + rand() * 0.002;
      if (rand() < 0.5) c.ackFrom(true, t);
    }
    c.fin(true, t + 0.001);
    c.fin(false, t + 0.002);
    c.ackFrom(true, t + 0.003);
    out.push(...c.frames);
  }

  for (let i = 0; i < o.tcp; i++) {
    const six = v6();
    const c = new TcpConversation(six ? randomIpv6(rand) : randomIpv4(rand), six ? randomIpv6(rand) : randomIpv4(rand), nextPort(), pick([80, 443, 5432, 8080]), int(2 ** 32), int(2 ** 32));
    let t = o.start + rand() * o.span;
    const rtt = 0.0003 + rand() * 0.1;
    const kind = rand();
    c.syn(t);
    if (kind < 0.05) {
      out.push(...c.frames); // never answered
      continue;
    }
    if (kind < 0.1) {
      c.refuse(t + rtt / 2);
      out.push(...c.frames);
      continue;
    }
    if (kind < 0.18) {
      t += 1; // SYN retransmitted after 1 s
      c.synAgain(t);
    }
    c.synAck(t + rtt / 2);
    c.ack(t + rtt);
    t += rtt;
    const segments = 2 + int(30);
    for (let k = 0; k < segments; k++) {
      t += 0.0005 + rand() * 0.05;
      const fromClient = rand() < 0.4;
      const len = 1 + int(1400);
      const x = rand();
      if (x < 0.05) {
        // Lost and resent after a timeout.
        const seq = c.data(fromClient, t, len);
        c.resend(fromClient, t + 0.2 + rand() * 0.5, seq, len);
        t += 0.75;
        c.ackFrom(!fromClient, t);
      } else if (x < 0.09) {
        // Lost; three more segments; three duplicate ACKs; resent at once (fast retransmission).
        const seq = c.data(fromClient, t, len);
        for (let j = 0; j < 3; j++) c.data(fromClient, t + 0.0001 * (j + 1), 100);
        for (let j = 0; j < 3; j++) c.ackFrom(!fromClient, t + rtt + 0.0001 * (j + 1), seq);
        c.resend(fromClient, t + rtt + 0.0005, seq, len);
        t += rtt + 0.001;
        c.ackFrom(!fromClient, t);
      } else if (x < 0.11) {
        // Keep-alive and its ACK.
        const [k0, k1] = o.keepAliveGap ?? [5, 15];
        t += k0 + rand() * (k1 - k0);
        c.keepAlive(fromClient, t);
        c.ackFrom(!fromClient, t + rtt);
      } else if (x < 0.13) {
        // The receiver's window closes, a zero-window probe, the window opens.
        c.data(fromClient, t, len);
        const w = fromClient ? 'server' : 'client';
        c.window[w] = 0;
        c.ackFrom(!fromClient, t + rtt);
        c.data(fromClient, t + rtt + 0.2, 1);
        c.ackFrom(!fromClient, t + rtt + 0.21, fromClient ? (c.cseq - 1) >>> 0 : (c.sseq - 1) >>> 0);
        c.window[w] = 65535;
        c.ackFrom(!fromClient, t + rtt + 0.5);
        t += rtt + 0.5;
      } else {
        c.data(fromClient, t, len);
        if (rand() < 0.5) c.ackFrom(!fromClient, t + rtt);
      }
    }
    c.fin(true, t + 0.01);
    c.fin(false, t + 0.01 + rtt / 2);
    c.ackFrom(true, t + 0.01 + rtt);
    if (rand() < 0.1) {
      // Port reuse: the same ports again later, a new initial sequence number.
      const again = new TcpConversation(c.client, c.server, c.cport, c.sport, int(2 ** 32), int(2 ** 32));
      const t2 = t + 2 + rand();
      again.syn(t2);
      again.synAck(t2 + rtt / 2);
      again.ack(t2 + rtt);
      again.data(true, t2 + rtt + 0.001, 50);
      again.fin(true, t2 + rtt + 0.01);
      out.push(...again.frames);
    }
    out.push(...c.frames);
  }
  // Interleave by time; equal times keep their order.
  for (let i = 0; i < (o.zoneTransfers ?? 0); i++) {
    // One query, then 2 to 5 response messages with its id: the first repeats the question, the
    // others have none (Wireshark times each one, the transaction being a zone transfer); sometimes a
    // second query of another type on the same connection, answered once.
    const c = new TcpConversation(randomIpv4(rand), pick(resolvers4), nextPort(), 53, int(2 ** 32), int(2 ** 32));
    let t = o.start + rand() * o.span;
    const rtt = 0.0005 + rand() * 0.03;
    c.syn(t);
    c.synAck(t + rtt / 2);
    c.ack(t + rtt);
    t += rtt + 0.0001;
    const id = int(65536);
    const qtype = rand() < 0.7 ? 252 : 251;
    const q = tcpFramed(dnsMessage({ id, response: false, qtype, name: 'example.org' }));
    c.raw(true, t, 0x18, c.cseq, q);
    c.cseq = (c.cseq + q.length) >>> 0;
    const n = 2 + int(4);
    for (let m = 0; m < n; m++) {
      t += 0.001 + rand() * 0.02;
      const r = tcpFramed(dnsMessage({ id, response: true, qtype, name: 'example.org', noQuestion: m > 0, answerBytes: 50 + int(1200) }));
      c.raw(false, t, 0x18, c.sseq, r);
      c.sseq = (c.sseq + r.length) >>> 0;
      if (rand() < 0.5) c.ackFrom(true, t + 0.0002);
    }
    if (rand() < 0.3) {
      t += 0.002;
      const q2 = tcpFramed(dnsMessage({ id: int(65536), response: false, qtype: 6, name: 'example.org' }));
      c.raw(true, t, 0x18, c.cseq, q2);
      c.cseq = (c.cseq + q2.length) >>> 0;
      const r2 = tcpFramed(dnsMessage({ id: q2.readUInt16BE(2), response: true, qtype: 6, name: 'example.org', answerBytes: 40 }));
      c.raw(false, t + 0.003, 0x18, c.sseq, r2);
      c.sseq = (c.sseq + r2.length) >>> 0;
    }
    c.fin(true, t + 0.01);
    c.fin(false, t + 0.011);
    c.ackFrom(true, t + 0.012);
    out.push(...c.frames);
  }

  return out.map((f, i) => ({ f, i })).sort((a, b) => a.f.ts - b.f.ts || a.i - b.i).map((x) => x.f);
}
