/**
 * Ethernet frames of ordinary traffic and of attacks, for the detector tests and the alerting end to
 * end test: complete TCP handshakes, DNS exchanges, SYN floods from random sources, port scans, host
 * sweeps, reset storms, UDP probes answered by ICMP port unreachable. IPv4 or IPv6 by the addresses
 * given. Headers only carry what the scenario needs; checksums are right (frames.ts).
 */
import { ETH, PROTO, TCP_FLAGS, ethernet, icmp, icmpv6, ipv4, ipv6, tcp, udp } from './frames';

const { SYN, ACK, RST, FIN, PSH } = TCP_FLAGS;

const isV6 = (ip: string): boolean => ip.includes(':');

function ip(src: string, dst: string, proto: number, payload: Buffer): Buffer {
  return isV6(src)
    ? ethernet({ etherType: ETH.IPV6 }, ipv6({ src, dst, nextHeader: proto }, payload))
    : ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst, proto }, payload));
}

export function tcpFrame(o: { src: string; dst: string; sport: number; dport: number; flags: number; seq?: number; ack?: number; payload?: number }): Buffer {
  return ip(o.src, o.dst, PROTO.TCP, tcp({ sport: o.sport, dport: o.dport, flags: o.flags, seq: o.seq, ack: o.ack }, Buffer.alloc(o.payload ?? 0, 0x61)));
}

export function udpFrame(o: { src: string; dst: string; sport: number; dport: number; payload?: Buffer }): Buffer {
  return ip(o.src, o.dst, PROTO.UDP, udp({ sport: o.sport, dport: o.dport }, o.payload ?? Buffer.alloc(16)));
}

/** ICMP echo request (type 8) or ICMPv6 echo request (128); `reply` for the replies (0, 129). */
export function echoFrame(src: string, dst: string, reply = false, id = 1): Buffer {
  if (isV6(src)) return ethernet({ etherType: ETH.IPV6 }, ipv6({ src, dst, nextHeader: PROTO.ICMPV6 }, icmpv6({ type: reply ? 129 : 128, code: 0, rest: (id << 16) | 1 }, Buffer.alloc(32))));
  return ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst, proto: PROTO.ICMP }, icmp({ type: reply ? 0 : 8, code: 0, rest: (id << 16) | 1 }, Buffer.alloc(32))));
}

/**
 * The ICMP port unreachable (ICMPv6: type 1 code 4) that `target` sends back to `prober` for a UDP
 * datagram prober:sport → target:dport, quoting its IP header and first 8 bytes (RFC 792, RFC 4443).
 */
export function portUnreachableFrame(target: string, prober: string, sport: number, dport: number): Buffer {
  if (isV6(target)) {
    const quoted = ipv6({ src: prober, dst: target, nextHeader: PROTO.UDP }, udp({ sport, dport }, Buffer.alloc(0)));
    return ethernet({ etherType: ETH.IPV6 }, ipv6({ src: target, dst: prober, nextHeader: PROTO.ICMPV6 }, icmpv6({ type: 1, code: 4 }, quoted)));
  }
  const quoted = ipv4({ src: prober, dst: target, proto: PROTO.UDP }, udp({ sport, dport }, Buffer.alloc(0)));
  return ethernet({ etherType: ETH.IPV4 }, ipv4({ src: target, dst: prober, proto: PROTO.ICMP }, icmp({ type: 3, code: 3 }, quoted)));
}

/** A complete TCP connection: handshake, a request and an answer, and both FINs. */
export function tcpConnection(client: string, server: string, cport: number, sport: number, o: { resend?: boolean } = {}): Buffer[] {
  const c = (flags: number, payload = 0, seq = 1, ack = 1) => tcpFrame({ src: client, dst: server, sport: cport, dport: sport, flags, payload, seq, ack });
  const s = (flags: number, payload = 0, seq = 1, ack = 1) => tcpFrame({ src: server, dst: client, sport, dport: cport, flags, payload, seq, ack });
  // `resend`: the client sends its request again after it was acknowledged (a spurious retransmission).
  const again = o.resend === true ? [c(PSH | ACK, 200)] : [];
  return [c(SYN, 0, 0, 0), s(SYN | ACK, 0, 0, 1), c(ACK), c(PSH | ACK, 200), s(ACK, 0, 1, 201), ...again, s(PSH | ACK, 900, 1, 201), c(ACK, 0, 201, 901), c(FIN | ACK, 0, 201, 901), s(FIN | ACK, 0, 901, 202), c(ACK, 0, 202, 902)];
}

/** A DNS query (A record) and its answer (RCODE `rcode`), as UDP datagrams between client:cport and server:53. */
export function dnsExchange(client: string, server: string, cport: number, id: number, rcode = 0): Buffer[] {
  // Header: id, flags (RD / QR|RD|RA), QDCOUNT 1, ANCOUNT 0/1; question "netmon.test" IN A.
  const question = Buffer.concat([Buffer.from([6, ...Buffer.from('netmon'), 4, ...Buffer.from('test'), 0]), Buffer.from([0, 1, 0, 1])]);
  const header = (flags: number, an: number) => {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(id & 0xffff, 0);
    h.writeUInt16BE(flags, 2);
    h.writeUInt16BE(1, 4);
    h.writeUInt16BE(an, 6);
    return h;
  };
  const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
  return [
    udpFrame({ src: client, dst: server, sport: cport, dport: 53, payload: Buffer.concat([header(0x0100, 0), question]) }),
    udpFrame({ src: server, dst: client, sport: 53, dport: cport, payload: Buffer.concat([header(0x8180 | rcode, rcode === 0 ? 1 : 0), question, ...(rcode === 0 ? [answer] : [])]) }),
  ];
}

/** A random IPv4 source outside the ranges the tests' own hosts use (1.0.0.0 - 126.255.255.255). */
export function randomSource(rand: () => number): string {
  return `${1 + Math.floor(rand() * 126)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`;
}

/** `count` SYNs to target:port from random sources and ports, none answered. */
export function synFlood(target: string, port: number, count: number, rand: () => number): Buffer[] {
  return Array.from({ length: count }, () => tcpFrame({ src: randomSource(rand), dst: target, sport: 1024 + Math.floor(rand() * 64000), dport: port, flags: SYN, seq: Math.floor(rand() * 2 ** 32) }));
}

/** A SYN scan of `ports` on target from scanner (one source port), each port probed once. */
export function portScan(scanner: string, target: string, ports: readonly number[], sport = 41234): Buffer[] {
  return ports.map((dport) => tcpFrame({ src: scanner, dst: target, sport, dport, flags: SYN }));
}

/** `count` RST segments from src to dst (to changing ports, as a host refusing a stream of connections). */
export function resetStorm(src: string, dst: string, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => tcpFrame({ src, dst, sport: 80, dport: 1024 + (i % 60000), flags: RST | ACK, seq: 0, ack: i + 1 }));
}
