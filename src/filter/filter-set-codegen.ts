import type { Bool } from './filter-ir';
import type { Cfg, Test } from './filter-cfg';
import { buildCfg } from './filter-cfg';
import { topoOrder } from './cfg-order';
import type { Arith } from './filter-ir';
import { BASE, constLoadKey, Emitter, forEachLoad, hex, PRELUDE } from './codegen';

/**
 * All the named filters of a configuration fused into generated counting code (see codegen.ts for
 * the code of one filter). Instead of one call per filter per packet, a megamorphic call site
 * whose every callee recomputes the same offsets and loads, one call per packet runs every
 * filter, sharing the prologue and the loads at constant offsets (codegen.ts, Emitter).
 *
 * Nearly every filter starts by testing the EtherType and the IP protocol, so the filters are
 * also compiled once per EtherType they test (IPv4, IPv6, ...) and, within one, once per value of
 * its most tested protocol byte, with those tests decided at generation time. The returned
 * function reads the two values once and calls the matching functions. Fewer tests per packet,
 * and smaller functions, which V8 optimises sooner. Every specialisation is exact: a decided test
 * is one whose operand is known (the EtherType, or a byte that was read successfully).
 */

/** A value known in a specialised function: the EtherType, or a load at a constant offset that succeeded. */
interface Fact {
  readonly key: 'e' | string;
  readonly value: number;
}

function testKey(t: Test): string | undefined {
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
    for (const n of topoOrder(g)) {
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

/** Start of the constLoadKey() of a one-byte load at a constant offset in the network header. */
const L3_BYTE = '1l3';

/** At most this many EtherTypes (and protocols within each) get their own specialised functions. */
const MAX_SPECIALISED = 4;
/** A protocol byte gets specialised functions only when it is tested this often (else: not worth the code). */
const MIN_TESTS_TO_SPECIALISE = 4;

/**
 * Generated source per function, at most (one filter bigger than this gets a function of its
 * own). V8 does not optimise a function of more than 60 KB of bytecode at all, and optimises a
 * big one later (it compiles longer): many filters are split across several functions.
 */
const MAX_FUNCTION_SOURCE = 24_000;

/** Statements running `graphs` (filter ids `ids`), filter i counting into index i of `packets` and `bytes`. */
function countingBody(graphs: readonly Cfg[], ids: readonly number[], safe?: ReadonlySet<string>): string {
  const em = new Emitter(graphs, safe);
  let body = '';
  graphs.forEach((g, j) => {
    const i = ids[j]!;
    em.checksR = false;
    const code = em.cfgBody(g, `break T${i};`, `break F${i};`);
    body += `F${i}: {\nT${i}: {\n${em.checksR ? 'R = 0;\n' : ''}${code}}\npackets[${i}]++;\nbytes[${i}] += w;\n}\n`;
  });
  return em.locals() + body;
}

/** Functions running all the graphs, split by size; returns their definitions and the calls to them. */
function countingFunctions(graphs: readonly Cfg[], prefix: string, safe?: ReadonlySet<string>): { defs: string; calls: string } {
  const chunks: number[][] = [];
  let size = Infinity;
  graphs.forEach((g, i) => {
    const n = countingBody([g], [i], safe).length;
    if (size + n > MAX_FUNCTION_SOURCE) {
      chunks.push([]);
      size = 0;
    }
    chunks[chunks.length - 1]!.push(i);
    size += n;
  });
  let defs = '';
  let calls = '';
  chunks.forEach((ids, k) => {
    const name = `${prefix}_${k}`;
    defs += `function ${name}(b, p, packets, bytes, w, f, c, l, e) {\n${countingBody(ids.map((i) => graphs[i]!), ids, safe)}}\n`;
    calls += `${name}(b, p, packets, bytes, w, f, c, l, e); `;
  });
  return { defs, calls };
}

const ETH_IPV4 = 0x800;
const ETH_IPV6 = 0x86dd;

/**
 * Fixed transport header length per IP protocol: TCP 20 (RFC 9293), UDP 8 (RFC 768), ICMP 8
 * (RFC 792), ICMPv6 8 (RFC 4443 type, code, checksum and 4 bytes), SCTP 12 (RFC 9260 common header).
 * A fast path assumes at most this much captured (almost every packet has it).
 */
const TRANSPORT_MIN: Readonly<Record<number, number>> = { 6: 20, 17: 8, 1: 8, 58: 8, 132: 12 };

/**
 * The loads at constant offsets of `graphs` that end within `l3Cap` bytes of the network header
 * (`l4Cap` of the IPv4 payload), and how far the furthest of them ends: when the dispatcher has
 * checked that that much is captured, none of them can fail.
 */
function inRangeLoads(graphs: readonly Cfg[], l3Cap: number, l4Cap: number): { keys: Set<string>; l3: number; l4: number } {
  const keys = new Set<string>();
  let l3 = 0;
  let l4 = 0;
  for (const g of graphs) {
    forEachLoad(g, (a) => {
      const k = constLoadKey(a);
      if (k === undefined || a.k !== 'load') return;
      const end = (a.idx as { v: number }).v + a.size;
      if (a.base === 'l3' && end <= l3Cap) {
        keys.add(k);
        l3 = Math.max(l3, end);
      } else if (a.base === 'l4v4' && end <= l4Cap) {
        keys.add(k);
        l4 = Math.max(l4, end);
      }
    });
  }
  return { keys, l3, l4 };
}

/** The masked field (e.g. the IPv4 fragment offset) most often tested for 0, if any. */
function commonZeroTest(graphs: readonly Cfg[]): { key: string; a: Arith } | undefined {
  const counts = new Map<string, { n: number; a: Arith }>();
  for (const g of graphs) {
    for (const n of topoOrder(g)) {
      const t = g.tests[n]!;
      const key = testKey(t);
      if (key === undefined || !key.includes('&') || t.op !== 'eq' || (t.b as { v: number }).v !== 0 || t.a === 'e') continue;
      const c = counts.get(key) ?? { n: 0, a: t.a };
      c.n++;
      counts.set(key, c);
    }
  }
  let best: { key: string; a: Arith } | undefined;
  let bestN = 0;
  for (const [key, { n, a }] of counts) if (n > bestN) [best, bestN] = [{ key, a }, n];
  return best;
}

/**
 * Functions for the packets of EtherType `et` and protocol byte `key` = `value` (IPv4 TCP, ...)
 * whose usual headers are fully captured, and, for IPv4, that are not a later fragment; and the
 * condition (on the dispatcher's locals) that a packet is one of them. In these functions the
 * loads within those headers need no bounds check and cannot fail, and the fragment test is
 * decided. Other packets of that protocol take the EtherType's generic functions.
 */
function fastPath(graphs: readonly Cfg[], et: number, key: string, value: number, prefix: string): { defs: string; calls: string; cond: string } {
  const facts: Fact[] = [{ key: 'e', value: et }, { key, value }];
  let gs = graphs.map((g) => withFacts(g, facts));
  const tmin = TRANSPORT_MIN[value] ?? 0;
  const range = et === ETH_IPV4 ? inRangeLoads(gs, 20, tmin) : et === ETH_IPV6 ? inRangeLoads(gs, 40 + tmin, 0) : inRangeLoads(gs, 0, 0);
  const conds: string[] = [];
  if (range.l3 > 0) conds.push(`l + ${range.l3} <= c`);
  // The byte at l is captured: the protocol byte at l + 9 was.
  if (range.l4 > 0) conds.push(`l + ((b[f + l] & 15) << 2) + ${range.l4} <= c`);
  const zero = commonZeroTest(gs);
  const zeroLoad = zero === undefined ? undefined : constLoadKey((zero.a as { a: Arith }).a);
  if (zero !== undefined && zeroLoad !== undefined && range.keys.has(zeroLoad)) {
    conds.push(`${new Emitter([], range.keys).arith(zero.a)} === 0`);
    gs = gs.map((g) => withFacts(g, [{ key: zero.key, value: 0 }]));
  }
  const fns = countingFunctions(gs, prefix, range.keys);
  return { ...fns, cond: conds.join(' && ') };
}

/**
 * Source of a factory function returning `(buf, pkt, packets, bytes, wireLen) => void`, which
 * runs every filter of `filters` on the packet and, for each filter i that matches, adds 1 to
 * packets[i] and wireLen to bytes[i]. Filter i is the block `F<i>`: a reject leaves it, an accept
 * leaves the inner block `T<i>` and reaches the counting statements.
 */
export function generateSetSource(filters: readonly Bool[]): string {
  const graphs = filters.map((b) => buildCfg(b));
  const byCount = (m: Map<number, number>): number[] => [...m.keys()].sort((x, y) => m.get(y)! - m.get(x)! || x - y);
  const ets = byCount(testedValues(graphs, (k) => k === 'e').get('e') ?? new Map()).slice(0, MAX_SPECIALISED);
  let src = PRELUDE;
  let dispatch = '';
  ets.forEach((et, j) => {
    const eGraphs = graphs.map((g) => withFacts(g, [{ key: 'e', value: et }]));
    const generic = countingFunctions(eGraphs, `count${j}`);
    src += generic.defs;
    // Then the network-layer byte tested most (the IPv4 protocol, the IPv6 next header), if
    // tested by several filters: one more set of functions for each of its most tested values.
    let best: [string, Map<number, number>] | undefined;
    let bestTotal = 0;
    for (const [key, m] of testedValues(eGraphs, (k) => k.startsWith(L3_BYTE))) {
      const total = [...m.values()].reduce((x, y) => x + y, 0);
      if (total > bestTotal) [best, bestTotal] = [[key, m], total];
    }
    if (best === undefined || bestTotal < MIN_TESTS_TO_SPECIALISE) {
      dispatch += `if (e === ${hex(et)}) { ${generic.calls}}\n  else `;
      return;
    }
    const [key, m] = best;
    const off = Number(key.slice(L3_BYTE.length));
    let inner = `const v = l + ${off} < c ? b[f + l + ${off}] : -1;\n    `;
    byCount(m).slice(0, MAX_SPECIALISED).forEach((value, k) => {
      const fast = fastPath(graphs, et, key, value, `count${j}v${k}`);
      src += fast.defs;
      inner += fast.cond === ''
        ? `if (v === ${hex(value)}) { ${fast.calls}}\n    else `
        : `if (v === ${hex(value)}) {\n      if (${fast.cond}) { ${fast.calls}}\n      else { ${generic.calls}}\n    } else `;
    });
    dispatch += `if (e === ${hex(et)}) {\n    ${inner}{ ${generic.calls}}\n  } else `;
  });
  const other = countingFunctions(graphs, 'countOther');
  src += other.defs;
  return `${src}return function countFilters(b, p, packets, bytes, w) {
  ${BASE}  ${dispatch}{ ${other.calls}}
};`;
}
