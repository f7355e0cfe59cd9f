import type { Bool } from './filter-ir';
import type { Cfg, Test } from './filter-cfg';
import { buildCfg } from './filter-cfg';
import { finalOrder } from './cfg-order';
import { BASE, constLoadKey, Emitter, forEachLoad, hex, PRELUDE } from './codegen';
import type { DecodedLoads } from './codegen';
import { MAX_TALLY_BITS, Tally } from './tally-codegen';

/**
 * All the named filters of a configuration fused into generated counting code (see codegen.ts for
 * the code of one filter). Instead of one call per filter per packet, a megamorphic call site
 * whose every callee recomputes the same offsets and loads, one call per packet runs every
 * filter, sharing the prologue and the loads at constant offsets (codegen.ts, Emitter).
 *
 * Nearly every filter starts by testing the EtherType and the IP protocol, so the filters are
 * also compiled once per IP version and protocol (IPv4 TCP, IPv6 UDP, ...) for the packets whose
 * headers the decoder found intact (see DecodedClass), with those tests decided at generation
 * time and the loads the decoder already made read from its fields. The returned function picks
 * the functions from the decoded packet; any other packet (truncated, a fragment, ARP, ...) runs
 * the generic functions, which assume nothing. Fewer tests and no bounds checks for nearly every
 * packet, and small functions, which V8 optimises sooner. Every specialisation is exact: a
 * decided test is one whose operand is known (the EtherType, or a byte that was read successfully).
 */

/** A value known in a specialised function: the EtherType, or a load at a constant offset that succeeded. */
interface Fact {
  readonly key: 'e' | string;
  readonly value: number;
}

/** testKey() of each test: tests are shared by every specialised copy of a graph (withFacts). */
const testKeys = new WeakMap<Test, string | null>();

function testKey(t: Test): string | undefined {
  let k = testKeys.get(t);
  if (k === undefined) {
    k = computeTestKey(t) ?? null;
    testKeys.set(t, k);
  }
  return k ?? undefined;
}

function computeTestKey(t: Test): string | undefined {
  if (t.b.k !== 'num') return undefined;
  if (t.a === 'e') return 'e';
  // A masked field, e.g. `ip[6:2] & 0x1fff` (the IPv4 fragment offset): `2l36&0x1fff`.
  if (t.a.k === 'bin' && t.a.op === '&' && t.a.b.k === 'num') {
    const k = constLoadKey(t.a.a);
    return k === undefined ? undefined : `${k}&${hex(t.a.b.v)}`;
  }
  return constLoadKey(t.a);
}

/**
 * The graph for packets where each fact holds (EtherType `et`, `ip proto` 6, ...): every test of
 * a known value is decided, so the generated code keeps only the other tests. A test of a load
 * that is known to succeed cannot reject, so nothing of it is left, not even in the entry block.
 */
function withFacts(g: Cfg, facts: readonly Fact[]): Cfg {
  const known = (k: number): Fact | undefined => {
    const t = k >= 2 ? g.tests[k] : undefined;
    const key = t === undefined ? undefined : testKey(t);
    return key === undefined ? undefined : facts.find((f) => f.key === key);
  };
  const res = (k: number): number => {
    // Tests only jump forward (the graph is acyclic), so this ends.
    for (let f = known(k); f !== undefined; f = known(k)) {
      const t = g.tests[k]!;
      k = constRel(t.op, f.value, (t.b as { v: number }).v) ? g.jt[k]! : g.jf[k]!;
    }
    return k;
  };
  const root = res(g.root);
  const firstRoot = known(g.firstRoot) !== undefined ? root : g.firstRoot;
  return { root, firstRoot, tests: g.tests, jt: g.jt.map(res), jf: g.jf.map(res) };
}

/** How often each (key, constant) pair is tested for equality in the graphs. */
function testedValues(graphs: readonly Cfg[], keep: (key: string) => boolean): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const g of graphs) {
    for (const n of finalOrder(g)) {
      const t = g.tests[n]!;
      const key = testKey(t);
      if (key === undefined || t.op !== 'eq' || !keep(key)) continue;
      const m = out.get(key) ?? new Map<number, number>();
      m.set((t.b as { v: number }).v, (m.get((t.b as { v: number }).v) ?? 0) + 1);
      out.set(key, m);
    }
  }
  return out;
}

function constRel(op: Test['op'], x: number, y: number): boolean {
  return op === 'eq' ? x === y : op === 'gt' ? x > y : x >= y;
}

/** At most this many protocols per IP version get their own specialised functions. */
const MAX_SPECIALISED = 4;
/** A protocol gets specialised functions only when it is tested this often (else: not worth the code). */
const MIN_TESTS_TO_SPECIALISE = 4;

/**
 * Generated source per function, at most (one filter bigger than this gets a function of its
 * own). V8 does not optimise a function of more than 60 KB of bytecode at all, and optimises a
 * big one later (it compiles longer): many filters are split across several functions.
 */
const MAX_FUNCTION_SOURCE = 24_000;

/**
 * Statements running `graphs` (filter ids `ids`). Directly: filter i adds to index i of `packets`
 * and `bytes`. With a tally: filter ids[j] sets bit j of the local M, and `tally` counts M.
 */
function countingBody(graphs: readonly Cfg[], ids: readonly number[], decoded?: DecodedLoads, tally?: Tally): string {
  const em = new Emitter(graphs, 'w', decoded);
  let body = '';
  // With a tally, filters decided at generation time (`tcp` among TCP packets) cost nothing.
  let always = 0;
  graphs.forEach((g, j) => {
    const i = ids[j]!;
    em.checksR = false;
    const code = em.cfgBody(g, `break T${i};`, `break F${i};`);
    if (tally !== undefined && code === `break F${i};\n`) return;
    if (tally !== undefined && code === `break T${i};\n`) {
      always += 2 ** j;
      return;
    }
    const count = tally === undefined ? `packets[${i}]++;\nbytes[${i}] += w;` : `M |= ${hex(2 ** j)};`;
    body += `F${i}: {\nT${i}: {\n${em.checksR ? 'R = 0;\n' : ''}${code}}\n${count}\n}\n`;
  });
  return tally === undefined ? em.locals() + body : `${em.locals()}  let M = ${hex(always)};\n${body}${tally.update()}`;
}

/** Generated functions and what runs them: their calls in the dispatcher, their tallies' flushes. */
interface Functions {
  defs: string;
  calls: string;
  flushes: string;
}

/** Names the tallies of one generated source. */
class TallyNames {
  private n = 0;
  next(ids: readonly number[]): Tally {
    return new Tally(`t${this.n++}`, ids);
  }
}

/**
 * Functions running all the graphs, split by size (and, with tallies, by MAX_TALLY_BITS); returns
 * their definitions and the calls to them. The specialised functions (`decoded`) count through
 * tallies: they run for nearly every packet. The generic ones count directly.
 */
function countingFunctions(graphs: readonly Cfg[], prefix: string, decoded?: DecodedLoads, tallies?: TallyNames): Functions {
  // The specialised functions read the decoded packet; the generic ones also take BASE's values.
  const params = decoded === undefined ? 'b, p, w, f, c, l, e' : 'b, p, w';
  const out: Functions = { defs: '', calls: '', flushes: '' };
  const add = (name: string, body: string, tally: Tally | undefined): void => {
    if (tally !== undefined) {
      out.defs += tally.declarations();
      out.flushes += `  ${tally.flushCall()}\n`;
    }
    out.defs += `function ${name}(${params}) {\n${body}}\n`;
    out.calls += `${name}(${params}); `;
  };
  const maxFilters = tallies === undefined ? Infinity : MAX_TALLY_BITS;
  const all = graphs.map((_, i) => i);
  // Most filter sets fit in one function: only split when the whole would be too big.
  if (graphs.length <= maxFilters) {
    const tally = tallies?.next(all);
    const body = countingBody(graphs, all, decoded, tally);
    if (body.length <= MAX_FUNCTION_SOURCE) {
      add(`${prefix}_0`, body, tally);
      return out;
    }
  }
  const chunks: number[][] = [];
  let size = Infinity;
  graphs.forEach((g, i) => {
    const n = countingBody([g], [i], decoded).length;
    if (size + n > MAX_FUNCTION_SOURCE || chunks[chunks.length - 1]!.length >= maxFilters) {
      chunks.push([]);
      size = 0;
    }
    chunks[chunks.length - 1]!.push(i);
    size += n;
  });
  chunks.forEach((ids, k) => {
    const tally = tallies?.next(ids);
    add(`${prefix}_${k}`, countingBody(ids.map((i) => graphs[i]!), ids, decoded, tally), tally);
  });
  return out;
}

/** constLoadKey() of a load at a constant offset. */
function loadKey(size: 1 | 2 | 4, base: 'l3' | 'l4v4', off: number): string {
  return `${size}${base}${off}`;
}

/**
 * A class of packets whose headers the decoder found intact, and what that proves. Among the
 * packets with a decoded transport header, `cond` (on the decoded packet `p`) selects those of
 * EtherType `et` whose
 * protocol byte (`protoKey`) equals p.ipProto and whose transport header, if the decoder decoded
 * one, starts where BPF looks for it: for IPv4, 4 * IHL bytes after a header of at least 20
 * bytes, in a packet that is not a later fragment (the decoder decodes no transport header then);
 * for IPv6, right after the fixed header (no extension header). For a packet of protocol v in the
 * class, `facts` hold, the loads within `ranges(v)` are captured (the decoder checked that much),
 * and those named in `fields(v)` equal a decoded field.
 */
interface DecodedClass {
  readonly et: number;
  readonly protoKey: string;
  /** Beyond the EtherType, if anything. */
  readonly cond?: string;
  readonly facts: readonly Fact[];
  /** Protocols whose transport header the decoder decodes (tcp.ts, udp.ts, ...). */
  readonly protocols: ReadonlySet<number>;
  ranges(v: number): ReadonlyArray<readonly ['l3' | 'l4v4', number]>;
  fields(v: number): Map<string, string>;
}

/** Bytes the decoder requires of each transport header it decodes: TCP, UDP, ICMP, SCTP, ICMPv6. */
const TRANSPORT_MIN: Readonly<Record<number, number>> = { 6: 20, 17: 8, 1: 8, 132: 12, 58: 4 };

/** Ports of TCP (RFC 9293), UDP (RFC 768) and SCTP (RFC 9260); type and code of ICMP and ICMPv6. */
function transportFields(fields: Map<string, string>, base: 'l3' | 'l4v4', at: number, v: number): Map<string, string> {
  if (v === 6 || v === 17 || v === 132) {
    fields.set(loadKey(2, base, at), 'p.srcPort');
    fields.set(loadKey(2, base, at + 2), 'p.dstPort');
  }
  if (v === 6) fields.set(loadKey(1, base, at + 13), 'p.tcpFlags');
  if (v === 1 || v === 58) {
    fields.set(loadKey(1, base, at), 'p.icmpType');
    fields.set(loadKey(1, base, at + 1), 'p.icmpCode');
  }
  return fields;
}

const IPV4: DecodedClass = {
  et: 0x800,
  protoKey: loadKey(1, 'l3', 9),
  // Without options: with a source route, p.addrs holds its final destination, not ip[16:4].
  cond: 'p.ipHeaderLen === 20',
  // Not a later fragment: the fragment offset, ip[6:2] & 0x1fff, is 0.
  facts: [{ key: `${loadKey(2, 'l3', 6)}&${hex(0x1fff)}`, value: 0 }],
  protocols: new Set([6, 17, 1, 132]),
  ranges: (v) => [['l3', 20], ['l4v4', TRANSPORT_MIN[v]!]],
  // The addresses are A[0] and A[4] (A = p.addrs, see Emitter).
  fields: (v) => transportFields(new Map([[loadKey(4, 'l3', 12), 'A[0]'], [loadKey(4, 'l3', 16), 'A[4]']]), 'l4v4', 0, v),
};

const IPV6: DecodedClass = {
  et: 0x86dd,
  protoKey: loadKey(1, 'l3', 6),
  cond: 'p.ipHeaderLen === 40',
  facts: [],
  protocols: new Set([6, 17, 58, 132]),
  ranges: (v) => [['l3', 40 + TRANSPORT_MIN[v]!]],
  fields: (v) => transportFields(new Map(Array.from({ length: 8 }, (_, i) => [loadKey(4, 'l3', 8 + 4 * i), `A[${i}]`])), 'l3', 40, v),
};

/** The functions for the packets of class `cls` and protocol `v` (see DecodedClass). */
function decodedFunctions(graphs: readonly Cfg[], cls: DecodedClass, v: number, prefix: string, tallies: TallyNames): Functions {
  const gs = graphs.map((g) => withFacts(g, [{ key: 'e', value: cls.et }, { key: cls.protoKey, value: v }, ...cls.facts]));
  const safe = new Set<string>();
  for (const g of gs) {
    forEachLoad(g, (a) => {
      if (a.k !== 'load' || a.idx.k !== 'num') return;
      const end = a.idx.v + a.size;
      if (cls.ranges(v).some(([base, n]) => a.base === base && end <= n)) safe.add(constLoadKey(a)!);
    });
  }
  const fields = new Map([...cls.fields(v)].filter(([k]) => safe.has(k)));
  return countingFunctions(gs, prefix, { safe, fields }, tallies);
}

/**
 * Source of the body of a factory `(packets, bytes) => { count, flush }`: count(buf, pkt, wireLen)
 * runs every filter of `filters` on the packet (wireLen must be pkt.wireLen), and the packets (1
 * each) and bytes (wireLen) that filter i matches end up in packets[i] and bytes[i], some of them
 * only when flush() is called (see tally-codegen.ts). Filter i is the block `F<i>`: a reject leaves
 * it, an accept leaves the inner block `T<i>` and reaches its counting statements.
 *
 * Packets go to functions specialised for the common case (see DecodedClass), else to generic
 * functions that make no assumption (truncated and malformed packets, fragments, ARP, ...).
 */
export function generateSetSource(filters: readonly Bool[]): string {
  const graphs = filters.map((b) => buildCfg(b));
  const byCount = (m: Map<number, number>): number[] => [...m.keys()].sort((x, y) => m.get(y)! - m.get(x)! || x - y);
  const tallies = new TallyNames();
  const generic = countingFunctions(graphs, 'countAny');
  let src = PRELUDE + generic.defs;
  let flushes = '';
  let dispatch = '';
  for (const cls of [IPV4, IPV6]) {
    const eGraphs = graphs.map((g) => withFacts(g, [{ key: 'e', value: cls.et }]));
    const tested = testedValues(eGraphs, (k) => k === cls.protoKey).get(cls.protoKey) ?? new Map<number, number>();
    const total = [...tested.values()].reduce((x, y) => x + y, 0);
    if (total < MIN_TESTS_TO_SPECIALISE) continue;
    const values = byCount(tested).filter((v) => cls.protocols.has(v)).slice(0, MAX_SPECIALISED);
    if (values.length === 0) continue;
    let inner = '';
    for (const v of values) {
      const fns = decodedFunctions(graphs, cls, v, `count${cls.et === 0x800 ? 4 : 6}p${v}`, tallies);
      src += fns.defs;
      flushes += fns.flushes;
      inner += `      if (v === ${v}) { ${fns.calls}return; }\n`;
    }
    dispatch += `${dispatch === '' ? '    ' : ' else '}if (et === ${hex(cls.et)}${cls.cond === undefined ? '' : ` && ${cls.cond}`}) {\n${inner}    }`;
  }
  src += `function countGeneric(b, p, w) {
  ${BASE}  ${generic.calls}
}
function flush() {
${flushes}}
`;
  if (dispatch === '') return `${src}return { count: countGeneric, flush };`;
  // A decoded transport header (l4Offset >= 0) implies a decoded network layer: etherType is BPF's.
  return `${src}function countFilters(b, p, w) {
  if (p.l4Offset >= 0) {
    const et = p.etherType, v = p.ipProto;
${dispatch}
  }
  countGeneric(b, p, w);
}
return { count: countFilters, flush };`;
}
