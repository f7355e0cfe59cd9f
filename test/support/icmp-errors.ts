/**
 * ICMP and ICMPv6 error messages for the tests: the error a router or host sends back to the source
 * of a frame, quoting the start of its IP packet (RFC 792, RFC 4443 section 2.4).
 */
import { ETH, ethernet, icmp, icmpv6, ipv4, ipv6, PROTO } from './frames';

/** ICMPv4 types 3 (unreachable), 11 (time exceeded); ICMPv6 1 (unreachable), 2 (too big), 3 (time exceeded). */
export const ICMP_UNREACHABLE = 3;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMPV6_UNREACHABLE = 1;
export const ICMPV6_TOO_BIG = 2;

/**
 * The error `from` sends to the source of Ethernet IPv4/IPv6 frame `frame` about it, quoting the
 * first `quote` bytes of its IP packet (default: as Linux does, up to 576 bytes of ICMPv4 in all,
 * 1 280 of ICMPv6).
 */
export function icmpErrorFor(frame: Buffer, o: { from: string; type: number; code: number; quote?: number }): Buffer {
  const ip = frame.subarray(14);
  if (frame.readUInt16BE(12) === ETH.IPV4) {
    const dst = Array.from(ip.subarray(12, 16)).join('.');
    const quoted = ip.subarray(0, Math.min(ip.length, o.quote ?? 576 - 28));
    return ethernet({ etherType: ETH.IPV4 }, ipv4({ src: o.from, dst, proto: PROTO.ICMP }, icmp({ type: o.type, code: o.code }, quoted)));
  }
  const words = Array.from({ length: 8 }, (_, i) => ip.readUInt16BE(8 + 2 * i).toString(16));
  const quoted = ip.subarray(0, Math.min(ip.length, o.quote ?? 1280 - 48));
  return ethernet({ etherType: ETH.IPV6 }, ipv6({ src: o.from, dst: words.join(':'), nextHeader: PROTO.ICMPV6 }, icmpv6({ type: o.type, code: o.code }, quoted)));
}

/**
 * `frames` with an ICMP error after a `share` of them, at random: a port unreachable (the answer's
 * client gone, or a closed server port), a time exceeded from a router, a fragmentation needed /
 * packet too big; quoting the whole start of the packet, the IP and UDP/TCP headers alone (RFC 792's
 * minimum: no DNS header), or through the 12-byte DNS header exactly. Returns the frames in time order
 * and how many errors quote a DNS header over UDP whole. SYNs get none (see below).
 */
export function withIcmpErrors(frames: readonly { data: Buffer; ts: number }[], rand: () => number, share: number): { frames: { data: Buffer; ts: number }[]; quotedDns: number } {
  const out: { data: Buffer; ts: number }[] = [];
  let quotedDns = 0;
  for (const f of frames) {
    out.push(f);
    if (rand() >= share) continue;
    const v4 = f.data.readUInt16BE(12) === ETH.IPV4;
    const ip = f.data.subarray(14);
    const hlen = v4 ? (ip[0]! & 15) * 4 : 40;
    const proto = v4 ? ip[9]! : ip[6]!;
    if (proto !== PROTO.UDP && proto !== PROTO.TCP) continue;
    const l4 = ip.subarray(hlen);
    // Not after a SYN: Wireshark takes a quoted SYN for the connection's latest SYN, timing its
    // handshake from the ICMP error (netmon's analysis ignores quoted segments; README).
    if (proto === PROTO.TCP && (l4[13]! & 0x12) === 0x02) continue;
    const dns = proto === PROTO.UDP && (l4.readUInt16BE(0) === 53 || l4.readUInt16BE(2) === 53);
    const r = rand();
    const quote = r < 0.2 ? hlen + 8 : r < 0.35 ? hlen + 8 + 12 : undefined;
    const k = rand();
    const [type, code] = k < 0.5 ? (v4 ? [ICMP_UNREACHABLE, 3] : [ICMPV6_UNREACHABLE, 4]) : k < 0.75 ? (v4 ? [ICMP_TIME_EXCEEDED, 0] : [3, 0]) : (v4 ? [ICMP_UNREACHABLE, 4] : [ICMPV6_TOO_BIG, 0]);
    const from = v4 ? '192.0.2.254' : '2001:db8:ffff::1';
    out.push({ data: icmpErrorFor(f.data, { from, type, code, quote }), ts: f.ts + 0.00005 });
    if (dns && (quote === undefined || quote >= hlen + 20) && ip.length >= hlen + 20) quotedDns++;
  }
  return { frames: out.map((f, i) => ({ f, i })).sort((a, b) => a.f.ts - b.f.ts || a.i - b.i).map((x) => x.f), quotedDns };
}
