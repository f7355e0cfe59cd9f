import type { Cfg } from './filter-cfg';
import { topoOrder } from './cfg-order';

/**
 * libpcap's or_pullup()/and_pullup(): in a chain of tests sharing their true (or, for and,
 * false) successor, a test of the value the chain's predecessors tested is moved up before
 * tests of other values. `host A or host B` thus compares the source address with A and B
 * before it loads the destination address (visible on packets cut inside the addresses).
 */
export function pullups(g: Cfg): boolean {
  const order = topoOrder(g);
  if (order.length === 0) return false;
  const preds = new Map<number, number[]>();
  const addPred = (k: number, n: number): void => {
    if (k < 2) return;
    const l = preds.get(k);
    if (l === undefined) preds.set(k, [n]);
    else if (!l.includes(n)) l.push(n);
  };
  for (const n of order) {
    addPred(g.jt[n]!, n);
    addPred(g.jf[n]!, n);
  }
  // Dominators (every path from the root to n passes through them), as bit sets: words per test in
  // one flat array (start-up code, too cold to be optimised: allocations are what costs).
  const size = g.tests.length;
  const words = (size + 31) >>> 5;
  const dom = new Uint32Array(size * words);
  for (const n of order) {
    const ps = preds.get(n);
    if (ps !== undefined) {
      dom.copyWithin(n * words, ps[0]! * words, (ps[0]! + 1) * words);
      for (let j = 1; j < ps.length; j++) {
        for (let i = 0; i < words; i++) dom[n * words + i]! &= dom[ps[j]! * words + i]!;
      }
    }
    dom[n * words + (n >>> 5)]! |= 1 << (n & 31);
  }
  // Levels as in libpcap (leaves 0), processed bottom-up.
  const level = new Int32Array(size);
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!;
    const t = g.jt[n]!;
    const f = g.jf[n]!;
    level[n] = 1 + Math.max(t < 2 ? 0 : level[t]!, f < 2 ? 0 : level[f]!);
  }
  const byLevel = order.slice().sort((a, b) => level[a]! - level[b]! || a - b);
  // Like opt_blks(): every block in turn, with the in-edges and dominators of the pass start.
  let changed = false;
  for (const b of byLevel) {
    if (pullup(g, b, preds.get(b) ?? [], dom, words, true)) changed = true;
    if (pullup(g, b, preds.get(b) ?? [], dom, words, false)) changed = true;
  }
  return changed;
}

function pullup(g: Cfg, b: number, preds: number[], dom: Uint32Array, words: number, isOr: boolean): boolean {
  // Only reachable tests have dominators; any other test's bits are all 0.
  const dominated = (n: number): boolean => (dom[n * words + (b >>> 5)]! & (1 << (b & 31))) !== 0;
  if (preds.length === 0) return false;
  // Along an or-chain: false edges, shared true successor; and-chain: the reverse.
  const along = isOr ? g.jf : g.jt;
  const shared = isOr ? g.jt : g.jf;
  const val = g.tests[preds[0]!]!.aKey;
  for (const p of preds) if (g.tests[p]!.aKey !== val) return false;
  // diff: first test in the chain from b that tests another value.
  let diffOwner = -1; // node whose `along` edge points at diff; -1 = the predecessors (top)
  let diff = b;
  for (;;) {
    if (diff < 2) return false;
    if (shared[diff] !== shared[b]) return false;
    if (!dominated(diff)) return false;
    if (g.tests[diff]!.aKey !== val) break;
    diffOwner = diff;
    diff = along[diff]!;
  }
  let sameOwner = diff;
  let same = along[diff]!;
  for (;;) {
    if (same < 2) return false;
    if (shared[same] !== shared[b]) return false;
    if (!dominated(same)) return false;
    if (g.tests[same]!.aKey === val) break;
    sameOwner = same;
    same = along[same]!;
  }
  along[sameOwner] = along[same]!;
  along[same] = diff;
  if (diffOwner < 0) {
    for (const p of preds) {
      if (g.jt[p] === b) g.jt[p] = same;
      if (g.jf[p] === b) g.jf[p] = same;
    }
    if (g.root === b) g.root = same;
  } else {
    along[diffOwner] = same;
  }
  return true;
}
