/**
 * tcpdump expressions over flows (the `filter` of /api/v1/flows and /api/v1/flows/stream).
 *
 * Semantics: a flow matches when the expression, compiled by netmon's filter compiler exactly as
 * for packets, accepts a synthetic packet built from the flow key: an IPv4 header (no options, not a
 * fragment) or a fixed IPv6 header with the key's addresses and protocol, followed by the key's
 * source and destination ports. So `host`, `net`, `port`, `portrange`, `tcp`/`udp`/`icmp`/...,
 * `ip proto N`, `src`/`dst` and header loads of those very fields select the flows whose packets
 * tcpdump would select.
 *
 * Expressions that read anything else are refused before any flow is looked at (FlowFilterError,
 * HTTP 400): the length (`len`, `less`, `greater`), TCP flags, sequence numbers, TTL, ICMP types,
 * any header byte a flow key does not hold, loads at computed offsets, and fields the configuration
 * aggregates away (flows.labels, or address bits beyond a flows.aggregate prefix). The check walks
 * the expression with what each `and` has established on the way (`ip`, `ip6`, the protocol), so
 * the port bytes behind an IPv4 header count as ports only where the protocol is TCP, UDP or SCTP.
 * Branches that no flow can take (ARP, RARP, an IPv6 fragment header) read nothing that matters
 * and are allowed: `host 10.0.0.1` tests ARP addresses too, as in tcpdump, and never matches
 * them for a flow.
 */
import { DecodedPacket } from '../decode/packet';
import { compileFilter, parseNamedFilter } from '../filter/compile-filter';
import type { Arith, Bool } from '../filter/filter-ir';
import type { FlowKeyProjection } from './flow-key';

/** A compiled flow filter: does the flow whose key is at keys[base .. base + KEY_WORDS) match? */
export type FlowFilter = (keys: Int32Array, base: number) => boolean;

/** An expression that reads what a flow key does not hold (or that does not parse: FilterError). */
export class FlowFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlowFilterError';
  }
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const PORT_PROTOS: ReadonlySet<number> = new Set([6, 17, 132]);
/** The synthetic packet is this long whatever the protocol, so no load is ever out of range. */
const SYNTH_BYTES = 64;

interface Facts {
  readonly et?: number;
  /** Value established for the byte at l3 offset 9 (the IPv4 protocol) and 6 (the IPv6 next header). */
  readonly b9?: number;
  readonly b6?: number;
  /** Contradictory facts: no flow takes this branch. */
  readonly dead?: boolean;
}

/** Which bits of each synthetic header byte the flow key determines (0: not held). */
interface KeyBits {
  readonly hasVersion: boolean;
  readonly proto: number;
  readonly src4: readonly number[];
  readonly dst4: readonly number[];
  readonly src6: readonly number[];
  readonly dst6: readonly number[];
  readonly srcPort: number;
  readonly dstPort: number;
}

function maskBytes(words: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]! >>> 0;
    out.push(w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
  }
  return out;
}

function keyBits(p: FlowKeyProjection): KeyBits {
  return {
    hasVersion: p.versionMask !== 0,
    proto: p.protoMask,
    src4: maskBytes([p.srcMask4]),
    dst4: maskBytes([p.dstMask4]),
    src6: maskBytes(p.srcMask6),
    dst6: maskBytes(p.dstMask6),
    srcPort: p.srcPortMask >>> 8,
    dstPort: p.dstPortMask >>> 8,
  };
}

/**
 * Compiles `expr` as a flow filter for flow keys of projection `proj`.
 * @throws FilterError when it does not parse (column and what was expected), FlowFilterError when it
 *   reads what a flow does not have.
 */
export function compileFlowFilter(expr: string, proj: FlowKeyProjection): FlowFilter {
  const ir = parseNamedFilter('filter', expr).ir;
  checkFlowFilter(ir, keyBits(proj));
  const match = compileFilter('filter', expr);
  const buf = Buffer.alloc(SYNTH_BYTES);
  const pkt = new DecodedPacket();
  pkt.frameOffset = 0;
  pkt.l3Offset = 0;
  pkt.capEnd = SYNTH_BYTES;
  return (keys, base) => {
    synthesize(keys, base, buf, pkt);
    return match(buf, pkt);
  };
}

/** Writes the synthetic packet of the flow key at keys[base..] (see the module comment). */
function synthesize(keys: Int32Array, base: number, buf: Buffer, pkt: DecodedPacket): void {
  const version = (keys[base + 8]! >>> 8) & 0xff;
  const proto = keys[base + 8]! & 0xff;
  const ports = keys[base + 9]!;
  buf.fill(0);
  if (version === 6) {
    buf[0] = 0x60;
    buf[6] = proto;
    for (let w = 0; w < 8; w++) buf.writeInt32BE(keys[base + w]!, 8 + 4 * w);
    buf.writeInt32BE(ports, 40);
    pkt.etherType = ETH_IPV6;
    pkt.ipVersion = 6;
  } else {
    buf[0] = 0x45;
    buf[9] = proto;
    buf.writeInt32BE(keys[base]!, 12);
    buf.writeInt32BE(keys[base + 4]!, 16);
    buf.writeInt32BE(ports, 20);
    pkt.etherType = version === 4 ? ETH_IPV4 : 0;
    pkt.ipVersion = version;
  }
}

function factsOf(b: Bool): Facts {
  if (b.k === 'et') return { et: b.v };
  if (b.k === 'and') return merge(factsOf(b.a), factsOf(b.b));
  if (b.k === 'rel' && b.op === 'eq' && !b.neg && b.b.k === 'num' && b.a.k === 'load' && b.a.base === 'l3' && b.a.size === 1 && b.a.idx.k === 'num') {
    if (b.a.idx.v === 9) return { b9: b.b.v };
    if (b.a.idx.v === 6) return { b6: b.b.v };
  }
  return {};
}

function merge(x: Facts, y: Facts): Facts {
  const clash = (a: number | undefined, b: number | undefined): boolean => a !== undefined && b !== undefined && a !== b;
  return {
    et: x.et ?? y.et,
    b9: x.b9 ?? y.b9,
    b6: x.b6 ?? y.b6,
    dead: x.dead === true || y.dead === true || clash(x.et, y.et) || clash(x.b9, y.b9) || clash(x.b6, y.b6),
  };
}

/** No flow takes a branch with these facts: a flow is IPv4 or IPv6, and its IPv6 header is followed by its transport. */
function isDead(f: Facts): boolean {
  return f.dead === true || (f.et !== undefined && f.et !== ETH_IPV4 && f.et !== ETH_IPV6) || (f.et === ETH_IPV6 && f.b6 === 44);
}

function checkFlowFilter(b: Bool, bits: KeyBits): void {
  const walk = (x: Bool, facts: Facts): void => {
    if (isDead(facts)) return;
    switch (x.k) {
      case 'const': return;
      case 'and':
        walk(x.a, facts);
        walk(x.b, merge(facts, factsOf(x.a)));
        return;
      case 'or': walk(x.a, facts); walk(x.b, facts); return;
      case 'not': walk(x.a, facts); return;
      case 'et':
        if (!bits.hasVersion) throw new FlowFilterError('tests the IP version (ip, ip6, host, net, port, tcp, udp...), which flows do not keep when flows.labels has no address');
        return;
      case 'rel': arith(x.a, 0xffffffff, facts); arith(x.b, 0xffffffff, facts); return;
    }
  };
  const arith = (a: Arith, used: number, facts: Facts): void => {
    switch (a.k) {
      case 'num': return;
      case 'len': throw new FlowFilterError('reads the packet length (len, less, greater), which a flow does not have');
      case 'neg': arith(a.a, 0xffffffff, facts); return;
      case 'bin':
        // The fragment test of port and protocol primitives: a flow's synthetic header is not a fragment.
        if (a.jset === true) return;
        if (a.op === '&' && a.b.k === 'num') return arith(a.a, used & a.b.v, facts);
        if (a.op === '&' && a.a.k === 'num') return arith(a.b, used & a.a.v, facts);
        arith(a.a, 0xffffffff, facts);
        arith(a.b, 0xffffffff, facts);
        return;
      case 'load': {
        if (a.idx.k !== 'num') throw new FlowFilterError('reads a header at a computed offset, which a flow does not have');
        const versions: Array<4 | 6> = facts.et === ETH_IPV4 ? [4] : facts.et === ETH_IPV6 ? [6] : [4, 6];
        for (const v of versions) {
          const why = loadProblem(v, a.base, a.idx.v, a.size, used, facts, bits);
          if (why !== undefined) throw new FlowFilterError(`reads ${why}`);
        }
        return;
      }
    }
  };
  walk(b, {});
}

/** Why a load of `size` bytes at `off` (bits `used` of its value) is not determined by the flow key, or undefined. */
function loadProblem(v: 4 | 6, base: 'l3' | 'l4v4', off: number, size: number, used: number, facts: Facts, bits: KeyBits): string | undefined {
  for (let j = 0; j < size; j++) {
    const need = (used >>> (8 * (size - 1 - j))) & 0xff;
    if (need === 0) continue;
    const o = off + j;
    const f = v === 4 ? (base === 'l3' ? v4Byte(o, facts, bits) : l4Byte(o, facts.b9, bits, 'the IPv4')) : base === 'l3' ? v6Byte(o, facts, bits) : { name: 'an IPv4 transport header of an IPv6 packet', have: 0 };
    if ((need & ~f.have) === 0) continue;
    if (f.have !== 0) return `${f.name} beyond the prefix the flow table keeps (flows.aggregate)`;
    return f.reason ?? `${f.name}, which a flow does not have (flows keep addresses, protocol and ports)`;
  }
  return undefined;
}

interface ByteInfo {
  name: string;
  have: number;
  /** Why the key lacks it, when a label could provide it. */
  reason?: string;
}

const notLabel = (name: string, label: string): string => `${name}, which is not a label in flows.labels (${label})`;

function v4Byte(o: number, facts: Facts, bits: KeyBits): ByteInfo {
  if (o === 9) return { name: 'the IPv4 protocol', have: bits.proto, reason: notLabel('the IPv4 protocol', 'proto') };
  if (o >= 12 && o < 16) return { name: 'the IPv4 source address', have: bits.src4[o - 12]!, reason: notLabel('the IPv4 source address', 'src_ip') };
  if (o >= 16 && o < 20) return { name: 'the IPv4 destination address', have: bits.dst4[o - 16]!, reason: notLabel('the IPv4 destination address', 'dst_ip') };
  if (o >= 20) return l4Byte(o - 20, facts.b9, bits, 'the IPv4');
  const names = ['version and header length', 'type of service', 'total length', 'total length', 'identification', 'identification', 'flags and fragment offset', 'fragment offset', 'TTL', '', 'header checksum', 'header checksum'];
  return { name: `the IPv4 ${names[o]}`, have: 0 };
}

function v6Byte(o: number, facts: Facts, bits: KeyBits): ByteInfo {
  if (o === 6) return { name: 'the IPv6 next header', have: bits.proto, reason: notLabel('the IPv6 next header', 'proto') };
  if (o >= 8 && o < 24) return { name: 'the IPv6 source address', have: bits.src6[o - 8]!, reason: notLabel('the IPv6 source address', 'src_ip') };
  if (o >= 24 && o < 40) return { name: 'the IPv6 destination address', have: bits.dst6[o - 24]!, reason: notLabel('the IPv6 destination address', 'dst_ip') };
  if (o >= 40) return l4Byte(o - 40, facts.b6, bits, 'the IPv6');
  return { name: `the IPv6 ${o < 4 ? 'traffic class or flow label' : o < 6 ? 'payload length' : 'hop limit'}`, have: 0 };
}

function l4Byte(o: number, proto: number | undefined, bits: KeyBits, ip: string): ByteInfo {
  if (proto === undefined || !PORT_PROTOS.has(proto)) return { name: `the transport header behind ${ip} header (byte ${o}) of a protocol without ports`, have: 0 };
  if (o < 2) return { name: 'the source port', have: bits.srcPort, reason: notLabel('the source port', 'src_port') };
  if (o < 4) return { name: 'the destination port', have: bits.dstPort, reason: notLabel('the destination port', 'dst_port') };
  return { name: `transport header byte ${o} (flags, sequence numbers, lengths...)`, have: 0 };
}
