import type { Arith, Bool } from './filter-ir';
import { topoOrder } from './cfg-order';
import { pullups } from './filter-pullup';

/**
 * The filter as a control-flow graph of tests, shaped like the BPF libpcap generates, then
 * simplified the way libpcap's optimizer (optimize.c, opt_j / fold_edge) does.
 *
 * Why bother: a load past the captured length rejects the packet only if it is still executed
 * after optimization. `dst host 1.2.3.4 or tcp dst portrange 1-1024 or not src net 10.1.2`
 * never loads the TCP port of an IPv6 packet in tcpdump, because the optimizer threads the
 * IPv6 path past tests whose outcome it already knows. So we do the same transformations:
 *  - an edge into a test whose outcome is implied by a test on a dominating edge (same value
 *    and same comparison; or "value == c1" taken and the test is "value == c2") jumps straight
 *    to the known successor; like libpcap's opt_j(), with the edge dominators computed before
 *    each pass and edges threaded from the leaves up (the order changes which tests survive);
 *  - a test whose two successors are the same is bypassed;
 *  - or_pullup()/and_pullup() move a test of an already tested value up a chain (pullups).
 * and keep tests the optimizer keeps (a test shared by paths where it matters and paths where
 * it does not stays, and runs on all of them). Checked against tcpdump by
 * test/integration/filter-oracle.test.ts on truncated packets. This reproduces libpcap 1.10.3
 * also where its pull-up is wrong (see the unit test "pull-up bug"), by design: netmon's counts
 * must equal tcpdump's. Residual differences (pass ordering details of optimize.c) only affect
 * packets cut inside their headers.
 */
export interface Test {
  /** `e`: the EtherType; otherwise a load/arithmetic expression. */
  a: Arith | 'e';
  op: 'eq' | 'gt' | 'ge';
  b: Arith;
  /** Identity of the compared value and of the whole test, for the optimizer's facts. */
  aKey: string;
  key: string;
}

/** Node ids: 0 = no match, 1 = match, >= 2 tests. */
export interface Cfg {
  root: number;
  /** The entry test before optimization (its loads still run, see codegen). */
  firstRoot: number;
  tests: Test[]; // indexed by node id (0 and 1 unused)
  jt: number[];
  jf: number[];
}

function mkTest(a: Arith | 'e', op: Test['op'], b: Arith): Test {
  const aKey = a === 'e' ? 'e' : JSON.stringify(a);
  return { a, op, b, aKey, key: `${aKey}|${op}|${JSON.stringify(b)}` };
}

function constRel(op: Test['op'], x: number, y: number): boolean {
  return op === 'eq' ? x === y : op === 'gt' ? x > y : x >= y;
}

export function buildCfg(expr: Bool): Cfg {
  const g: Cfg = { root: 0, firstRoot: 0, tests: [undefined as unknown as Test, undefined as unknown as Test], jt: [0, 1], jf: [0, 1] };
  const node = (t: Test, jt: number, jf: number): number => {
    g.tests.push(t);
    g.jt.push(jt);
    g.jf.push(jf);
    return g.tests.length - 1;
  };
  // Continuation-style short-circuit compilation: each sub-expression is emitted once.
  const compile = (b: Bool, T: number, F: number): number => {
    switch (b.k) {
      case 'const': return b.v ? T : F;
      case 'and': return compile(b.a, compile(b.b, T, F), F);
      case 'or': return compile(b.a, T, compile(b.b, T, F));
      case 'not': return compile(b.a, F, T);
      case 'et': return node(mkTest('e', 'eq', { k: 'num', v: b.v }), T, F);
      case 'rel': {
        const [t, f] = b.neg ? [F, T] : [T, F];
        if (b.a.k === 'num' && b.b.k === 'num') return constRel(b.op, b.a.v, b.b.v) ? t : f;
        return node(mkTest(b.a, b.op, b.b), t, f);
      }
    }
  };
  g.root = compile(expr, 1, 0);
  g.firstRoot = g.root;
  optimize(g);
  return g;
}

function push(m: Map<string, number[]>, k: string, v: number): void {
  const l = m.get(k);
  if (l === undefined) m.set(k, [v]);
  else l.push(v);
}

const MAX_ROUNDS = 1000;

/**
 * Above this many tests (about 250 host or port primitives) the pull-ups are skipped: their
 * dominator sets cost O(tests^2 / 32) per pass. Such filters keep the edge threading, so they
 * can differ from tcpdump only on packets cut inside their headers.
 */
const MAX_PULLUP_TESTS = 3000;

function optimize(g: Cfg): void {
  const big = g.tests.length > MAX_PULLUP_TESTS;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    // libpcap's threading, repeated until it changes nothing before the pull-ups run (which agrees
    // with tcpdump on more random expressions than one pass per round: the oracle's seeds 1-64);
    // for very big graphs the cheaper single sweep (edge dominator sets are quadratic).
    let threaded = false;
    if (big) threaded = optimizeOnce(g);
    else for (let k = 0; k < MAX_ROUNDS && threadByDominators(g); k++) threaded = true;
    const bypassed = bypassEqual(g);
    const pulled = big ? false : pullups(g);
    if (!threaded && !bypassed && !pulled) return;
  }
}

/**
 * libpcap's opt_j() pass: the edge dominators of every edge are computed first (edge 2n+1 is
 * test n taken true, 2n false), then edges are threaded level by level from the leaves up: an
 * edge into a test that a dominating edge decides (the same value and comparison: the same
 * outcome; `value == c1` taken and the test is `value == c2`: false) jumps past it, and an edge
 * into a test with equal successors skips it. True if anything changed.
 */
function threadByDominators(g: Cfg): boolean {
  const order = topoOrder(g);
  if (order.length === 0) return false;
  // Levels: leaves 0, a test one more than its highest successor. (Flat typed arrays throughout:
  // this runs at start-up, in code too cold to be optimised, where allocations are what costs.)
  const size = g.tests.length;
  const level = new Int32Array(size);
  let maxLevel = 0;
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!;
    const t = g.jt[n]!;
    const f = g.jf[n]!;
    const l = 1 + Math.max(t < 2 ? 0 : level[t]!, f < 2 ? 0 : level[f]!);
    level[n] = l;
    if (l > maxLevel) maxLevel = l;
  }
  // Edge dominators: words per edge, edge e = 2n + 1 (test n true) or 2n (false) at e * words.
  const words = (2 * size + 31) >>> 5;
  const edom = new Uint32Array(2 * size * words).fill(0xffffffff);
  edom.fill(0, 2 * g.root * words, (2 * g.root + 2) * words);
  const meet = (e: number, succ: number): void => {
    edom[e * words + (e >>> 5)]! |= 1 << (e & 31);
    if (succ < 2) return;
    for (let i = 0; i < words; i++) {
      const d = edom[e * words + i]!;
      edom[2 * succ * words + i]! &= d;
      edom[(2 * succ + 1) * words + i]! &= d;
    }
  };
  // Root level first: every predecessor of a test has a higher level than the test.
  for (let l = maxLevel; l >= 1; l--) {
    for (const n of order) {
      if (level[n] !== l) continue;
      meet(2 * n + 1, g.jt[n]!);
      meet(2 * n, g.jf[n]!);
    }
  }
  const fold = (child: number, e: number): number => {
    const c = g.tests[child]!;
    const m = g.tests[e >>> 1]!;
    if (m.op !== c.op || m.aKey !== c.aKey) return -1;
    const sense = (e & 1) === 1;
    if (m.key === c.key) return sense ? g.jt[child]! : g.jf[child]!;
    if (sense && c.op === 'eq' && c.b.k === 'num' && m.b.k === 'num') return g.jf[child]!;
    return -1;
  };
  let changed = false;
  const optJ = (n: number, sense: boolean): void => {
    const e = sense ? 2 * n + 1 : 2 * n;
    let succ = sense ? g.jt[n]! : g.jf[n]!;
    if (succ < 2) return;
    if (g.jt[succ] === g.jf[succ]) {
      succ = g.jt[succ]!;
      changed = true;
    }
    top: for (let guard = 0; succ >= 2 && guard < 100000; guard++) {
      for (let i = 0; i < words; i++) {
        let x = edom[e * words + i]!;
        while (x !== 0) {
          const k = 31 - Math.clz32(x & -x);
          x &= x - 1;
          const target = fold(succ, i * 32 + k);
          if (target >= 0) {
            succ = target;
            changed = true;
            continue top;
          }
        }
      }
      break;
    }
    if (sense) g.jt[n] = succ;
    else g.jf[n] = succ;
  };
  for (let l = 1; l <= maxLevel; l++) {
    for (const n of order) {
      if (level[n] !== l) continue;
      optJ(n, true);
      optJ(n, false);
    }
  }
  return skipEqualRoot(g) || changed;
}

/** A root test whose two successors are the same is skipped too (it has no predecessor edge). */
function skipEqualRoot(g: Cfg): boolean {
  let changed = false;
  while (g.root >= 2 && g.jt[g.root] === g.jf[g.root]) {
    g.root = g.jt[g.root]!;
    changed = true;
  }
  return changed;
}

/**
 * Bottom-up sweep: a test whose two successors are the same is skipped by its predecessors.
 * Children are settled before parents, so chains of such tests collapse in one sweep (threading
 * alone skips such a test only on the edge it is processing).
 */
function bypassEqual(g: Cfg): boolean {
  const order = topoOrder(g);
  const skip = (k: number): number => (k >= 2 && g.jt[k] === g.jf[k] ? g.jt[k]! : k);
  let changed = false;
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!;
    const t = skip(g.jt[n]!);
    const f = skip(g.jf[n]!);
    if (t !== g.jt[n] || f !== g.jf[n]) changed = true;
    g.jt[n] = t;
    g.jf[n] = f;
  }
  return skipEqualRoot(g) || changed;
}

/**
 * One top-down pass (for graphs too big for threadByDominators): compute the facts holding on
 * every path into each test (bit 2m+1: test m was true, bit 2m: false), then retarget edges past
 * tests those facts decide. True if anything changed.
 */
function optimizeOnce(g: Cfg): boolean {
  const order = topoOrder(g);
  const words = (2 * g.tests.length + 31) >>> 5;
  const sameKey = new Map<string, number[]>();
  const eqByValue = new Map<string, number[]>();
  for (const n of order) {
    const t = g.tests[n]!;
    push(sameKey, t.key, n);
    if (t.op === 'eq' && t.b.k === 'num') push(eqByValue, t.aKey, n);
  }
  const has = (f: Uint32Array, bit: number): boolean => (f[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  /** Successor of `target` implied by facts `f`, or -1 (libpcap fold_edge()). */
  const decided = (f: Uint32Array, target: number): number => {
    const t = g.tests[target]!;
    for (const m of sameKey.get(t.key) ?? []) {
      if (has(f, 2 * m + 1)) return g.jt[target]!;
      if (has(f, 2 * m)) return g.jf[target]!;
    }
    if (t.op === 'eq' && t.b.k === 'num') {
      for (const m of eqByValue.get(t.aKey) ?? []) {
        if (has(f, 2 * m + 1) && (g.tests[m]!.b as { v: number }).v !== t.b.v) return g.jf[target]!;
      }
    }
    return -1;
  };
  const facts = new Map<number, Uint32Array>();
  if (g.root >= 2) facts.set(g.root, new Uint32Array(words));
  let changed = false;
  for (const n of order) {
    // A test no longer reached by any retargeted edge is dead: its edges must not weaken the
    // facts of its successors.
    const inFacts = facts.get(n);
    if (inFacts === undefined) continue;
    facts.delete(n);
    for (const sense of [true, false]) {
      const edge = inFacts.slice();
      const bit = 2 * n + (sense ? 1 : 0);
      edge[bit >>> 5]! |= 1 << (bit & 31);
      let target = sense ? g.jt[n]! : g.jf[n]!;
      // Thread the edge past tests it already knows the outcome of, or whose branches agree.
      for (let guard = 0; target >= 2 && guard < 100000; guard++) {
        const next = g.jt[target] === g.jf[target] ? g.jt[target]! : decided(edge, target);
        if (next < 0) break;
        target = next;
        changed = true;
      }
      if (sense) g.jt[n] = target;
      else g.jf[n] = target;
      if (target >= 2) {
        const cur = facts.get(target);
        if (cur === undefined) facts.set(target, edge);
        else for (let i = 0; i < words; i++) cur[i]! &= edge[i]!;
      }
    }
  }
  // The root itself may be a test with equal branches.
  return skipEqualRoot(g) || changed;
}
