import type { Arith, Bool } from './filter-ir';
import { allOf, and, anyOf, eq, et, load, num, or, TRUE } from './filter-ir';
import type { Dir, Proto } from './qualifiers';

/**
 * Builders for pcap-filter primitives, each emitting the same tests, in the same order, as
 * libpcap 1.10.3's gencode.c after tcpdump's optimizer (checked against `tcpdump -d`).
 * Offsets are relative to the network header: IPv4 RFC 791, IPv6 RFC 8200, ARP RFC 826.
 */
export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const ETH_ARP = 0x0806;
export const ETH_RARP = 0x8035;

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_SCTP = 132;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_FRAGMENT = 44;

export const TRANSPORT_PROTO: Readonly<Record<string, number>> = {
  tcp: IPPROTO_TCP, udp: IPPROTO_UDP, sctp: IPPROTO_SCTP, icmp: IPPROTO_ICMP, icmp6: IPPROTO_ICMPV6,
};

/** IPv4 first fragment or unfragmented: `ldh [6]; jset #0x1fff` false. */
export const IPV4_FRAG0: Bool = eq({ k: 'bin', op: '&', a: load('l3', 6, 2), b: num(0x1fff), jset: true }, 0);

/**
 * `ip6 proto N`: the Next Header right after the fixed header, or behind exactly one fragment
 * header (libpcap does not walk other extension headers).
 */
export function ip6Proto(n: number): Bool {
  const nh = load('l3', 6, 1);
  if (n === IPPROTO_FRAGMENT) return and(et(ETH_IPV6), eq(nh, n));
  return and(et(ETH_IPV6), or(eq(nh, n), and(eq(nh, IPPROTO_FRAGMENT), eq(load('l3', 40, 1), n))));
}

export function ipProto(n: number): Bool {
  return and(et(ETH_IPV4), eq(load('l3', 9, 1), n));
}

/** `tcp`, `udp`, `ip`, ... used alone. */
export function protoAbbrev(p: Proto): Bool {
  switch (p) {
    case 'ip': return et(ETH_IPV4);
    case 'ip6': return et(ETH_IPV6);
    case 'arp': return et(ETH_ARP);
    case 'rarp': return et(ETH_RARP);
    case 'icmp': return ipProto(IPPROTO_ICMP);
    case 'icmp6': return ip6Proto(IPPROTO_ICMPV6);
    case 'tcp': case 'udp': case 'sctp': {
      const n = TRANSPORT_PROTO[p]!;
      return or(ipProto(n), ip6Proto(n));
    }
    case '': return TRUE;
  }
}

/**
 * Source/destination tests combined by direction; each side carries its own protocol guard,
 * as libpcap's gen_hostop() emits it (`(ip and src) or (ip and dst)`), which matters for the
 * optimizer emulation.
 */
function byDir(guard: () => Bool, src: Bool, dst: Bool, dir: Dir): Bool {
  switch (dir) {
    case 'src': return and(guard(), src);
    case 'dst': return and(guard(), dst);
    case 'and': return and(and(guard(), src), and(guard(), dst));
    default: return or(and(guard(), src), and(guard(), dst));
  }
}

function maskedWord(off: number, value: number, mask: number): Bool {
  if (mask === 0) return TRUE; // the optimizer drops `and #0; jeq #0` and the load with it
  const w = load('l3', off, 4);
  return eq(mask === 0xffffffff ? w : { k: 'bin', op: '&', a: w, b: num(mask) }, (value & mask) >>> 0);
}

/**
 * IPv4 host/net: IPv4 source/destination (offsets 12/16) and, unless a protocol was named,
 * ARP and RARP sender/target protocol addresses (offsets 14/24).
 */
export function hostV4(value: number, mask: number, dir: Dir, proto: Proto): Bool {
  const part = (ethType: number, srcOff: number, dstOff: number): Bool =>
    byDir(() => et(ethType), maskedWord(srcOff, value, mask), maskedWord(dstOff, value, mask), dir);
  if (proto === 'ip') return part(ETH_IPV4, 12, 16);
  if (proto === 'arp') return part(ETH_ARP, 14, 24);
  if (proto === 'rarp') return part(ETH_RARP, 14, 24);
  return or(or(part(ETH_IPV4, 12, 16), part(ETH_ARP, 14, 24)), part(ETH_RARP, 14, 24));
}

/** IPv6 host/net over the four 32-bit words of source (offset 8) / destination (offset 24). */
export function hostV6(words: Uint32Array, masks: Uint32Array, dir: Dir): Bool {
  const cmp = (base: number): Bool => {
    const parts: Bool[] = [];
    for (let i = 0; i < 4; i++) if (masks[i] !== 0) parts.push(maskedWord(base + 4 * i, words[i]!, masks[i]!));
    return allOf(parts);
  };
  return byDir(() => et(ETH_IPV6), cmp(8), cmp(24), dir);
}

/** Transport protocols a port primitive covers: tcp, udp and sctp unless one is named. */
export function portProtos(p: Proto | 'any'): number[] {
  if (p === 'tcp' || p === 'udp' || p === 'sctp') return [TRANSPORT_PROTO[p]!];
  return [IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP];
}

/** lo <= a <= hi: libpcap's jge/jgt pair, kept for a one-port range too (its optimizer sees a different test than `port`). */
function inRange(a: Arith, lo: number, hi: number, range: boolean): Bool {
  if (!range) return eq(a, lo);
  return and({ k: 'rel', op: 'ge', a, b: num(lo), neg: false }, { k: 'rel', op: 'gt', a, b: num(hi), neg: true });
}

/**
 * port / portrange (`range`: even `portrange 80` is a range), libpcap's gen_port()/gen_portrange():
 * IPv6 first, then IPv4, each an OR over the protocols (sctp, tcp, udp when none is named) of
 * "protocol and ports".
 * IPv4: protocol field, first fragment only, ports behind the IHL-sized header.
 * IPv6: Next Header of the fixed header only and ports at the fixed offsets 40/42: libpcap does
 * not skip extension headers here, so fragments and extension-header packets never match.
 */
export function portRange(lo: number, hi: number, protos: readonly number[], dir: Dir, range: boolean): Bool {
  if (lo > hi) [lo, hi] = [hi, lo];
  const v6 = protos.map((p) => and(eq(load('l3', 6, 1), p),
    dirOnly(inRange(load('l3', 40, 2), lo, hi, range), inRange(load('l3', 42, 2), lo, hi, range), dir)));
  const v4 = protos.map((p) => allOf([eq(load('l3', 9, 1), p), IPV4_FRAG0,
    dirOnly(inRange(load('l4v4', 0, 2), lo, hi, range), inRange(load('l4v4', 2, 2), lo, hi, range), dir)]));
  return or(and(et(ETH_IPV6), anyOf(v6)), and(et(ETH_IPV4), anyOf(v4)));
}

function dirOnly(src: Bool, dst: Bool, dir: Dir): Bool {
  switch (dir) {
    case 'src': return src;
    case 'dst': return dst;
    case 'and': return and(src, dst);
    default: return or(src, dst);
  }
}

/** `proto N` with an optional `ip` / `ip6` qualifier. */
export function protoNumber(n: number, p: Proto): Bool {
  if (p === 'ip') return ipProto(n);
  if (p === 'ip6') return ip6Proto(n);
  return or(ipProto(n), ip6Proto(n));
}

/** Protocol checks that guard a header load `proto[idx]` (ANDed before the comparison). */
export function loadChecks(p: Proto): Bool[] {
  switch (p) {
    case 'ip': return [et(ETH_IPV4)];
    case 'ip6': return [et(ETH_IPV6)];
    case 'arp': return [et(ETH_ARP)];
    case 'rarp': return [et(ETH_RARP)];
    case 'icmp6': return [et(ETH_IPV6), eq(load('l3', 6, 1), IPPROTO_ICMPV6)];
    case 'tcp': case 'udp': case 'sctp': case 'icmp':
      // tcp[] and friends are IPv4 only (pcap-filter(7)); the optimizer drops libpcap's IPv6 arm.
      return [et(ETH_IPV4), eq(load('l3', 9, 1), TRANSPORT_PROTO[p]!), IPV4_FRAG0];
    case '': return [];
  }
}

