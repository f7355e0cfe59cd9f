import type { Cfg } from './filter-cfg';

/** Reachable tests in topological order (parents before children); iterative (deep graphs). */
export function topoOrder(g: Cfg): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  if (g.root < 2) return out;
  const stack: number[] = [g.root];
  const child: number[] = [0];
  seen.add(g.root);
  while (stack.length > 0) {
    const n = stack[stack.length - 1]!;
    const k = child[child.length - 1]!;
    if (k < 2) {
      child[child.length - 1] = k + 1;
      const c = k === 0 ? g.jt[n]! : g.jf[n]!;
      if (c >= 2 && !seen.has(c)) {
        seen.add(c);
        stack.push(c);
        child.push(0);
      }
    } else {
      out.push(n);
      stack.pop();
      child.pop();
    }
  }
  return out.reverse();
}

const orders = new WeakMap<Cfg, readonly number[]>();

/**
 * topoOrder() of a graph that is no longer modified (the optimizer is done with it), computed once:
 * the code generators walk each graph several times.
 */
export function finalOrder(g: Cfg): readonly number[] {
  let o = orders.get(g);
  if (o === undefined) {
    o = topoOrder(g);
    orders.set(g, o);
  }
  return o;
}
