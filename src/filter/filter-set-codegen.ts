import type { Bool } from './filter-ir';
import type { Cfg, Test } from './filter-cfg';
import { buildCfg } from './filter-cfg';
import { topoOrder } from './cfg-order';
import { BASE, constLoadKey, Emitter, hex, PRELUDE } from './codegen';

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
  return t.a === 'e' ? 'e' : constLoadKey(t.a);
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
function countingBody(graphs: readonly Cfg[], ids: readonly number[]): string {
  const em = new Emitter(graphs);
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
function countingFunctions(graphs: readonly Cfg[], prefix: string): { defs: string; calls: string } {
  const chunks: number[][] = [];
  let size = Infinity;
  graphs.forEach((g, i) => {
    const n = countingBody([g], [i]).length;
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
    defs += `function ${name}(b, p, packets, bytes, w, f, c, l, e) {\n${countingBody(ids.map((i) => graphs[i]!), ids)}}\n`;
    calls += `${name}(b, p, packets, bytes, w, f, c, l, e); `;
  });
  return { defs, calls };
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
      const fns = countingFunctions(graphs.map((g) => withFacts(g, [{ key: 'e', value: et }, { key, value }])), `count${j}v${k}`);
      src += fns.defs;
      inner += `if (v === ${hex(value)}) { ${fns.calls}}\n    else `;
    });
    dispatch += `if (e === ${hex(et)}) {\n    ${inner}{ ${generic.calls}}\n  } else `;
  });
  const other = countingFunctions(graphs, 'countOther');
  src += other.defs;
  return `${src}return function countFilters(b, p, packets, bytes, w) {
  ${BASE}  ${dispatch}{ ${other.calls}}
};`;
}
