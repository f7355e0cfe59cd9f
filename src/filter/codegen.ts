import type { Arith, Bool } from './filter-ir';
import type { Cfg } from './filter-cfg';
import { buildCfg } from './filter-cfg';
import { finalOrder } from './cfg-order';

/**
 * Turns the filter IR into JavaScript source: one predicate here, or the code of each filter in
 * the fused counting functions of filter-set-codegen.ts (the same Emitter). Generated code rather
 * than a tree of closures: V8 compiles it with constants inlined, and nothing is allocated per
 * packet.
 *
 * BPF semantics kept exactly (libpcap bpf_filter.c): all arithmetic is unsigned 32-bit, load
 * offsets wrap modulo 2^32 and are checked against the captured length, a load past it or a
 * division by zero makes the WHOLE filter return 0. Loads are inlined; a load at a constant
 * offset used more than once is read once per packet into a local that remembers a failure
 * (see Emitter), and a test using it rejects when it failed; other loads record a failure in the
 * local `R` and yield 0, evaluation continues harmlessly, and the test then rejects. `R` is reset
 * at the start of each filter, so in a fused function a failed load rejects that filter only.
 * The EtherType test rejects the same way when the link header itself was truncated.
 */
export const PRELUDE = `"use strict";
// Division by zero makes the filter fail: -1 (never a quotient) tells the caller to set R.
function DIV(a, d) { return d === 0 ? -1 : (a / d) >>> 0; }
function MOD(a, d) { return d === 0 ? -1 : a % d; }
// bpf_filter.c: a shift by 32 or more gives 0 (not the count modulo 32 of x86 and JavaScript).
function SHL(a, n) { return n < 32 ? (a << n) >>> 0 : 0; }
function SHR(a, n) { return n < 32 ? a >>> n : 0; }
const LINK_HDR = { 0: 4, 1: 14, 108: 4, 113: 16, 276: 20 };
`;

export function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

/** A division or remainder whose divisor may be 0 (which makes the filter fail); not `x / 4`. */
function mayDivideByZero(a: Extract<Arith, { k: 'bin' }>): boolean {
  return (a.op === '/' || a.op === '%') && !(a.b.k === 'num' && a.b.v !== 0);
}

function hasLoad(a: Arith): boolean {
  switch (a.k) {
    case 'num': case 'len': return false;
    case 'load': return true;
    case 'neg': return hasLoad(a.a);
    case 'bin': return mayDivideByZero(a) || hasLoad(a.a) || hasLoad(a.b);
  }
}

/**
 * Identity of a load at a constant offset (its value and its failure are the same all packet
 * long): size, base, offset, e.g. `1l39` for `ip[9]` (filter-set-codegen.ts relies on this form).
 */
export function constLoadKey(a: Arith): string | undefined {
  if (a.k !== 'load' || a.idx.k !== 'num') return undefined;
  // Asked for the same load many times by every specialised copy of a graph: built once.
  let k = loadKeys.get(a);
  if (k === undefined) {
    k = `${a.size}${a.base}${a.idx.v}`;
    loadKeys.set(a, k);
  }
  return k;
}

const loadKeys = new WeakMap<Arith, string>();

/** Calls `fn` on every load in the tests the generated code can run. */
export function forEachLoad(g: Cfg, fn: (a: Arith) => void): void {
  const walk = (a: Arith | 'e'): void => {
    if (a === 'e') return;
    switch (a.k) {
      case 'num': case 'len': return;
      case 'load': fn(a); walk(a.idx); return;
      case 'neg': walk(a.a); return;
      case 'bin': walk(a.a); walk(a.b); return;
    }
  };
  const visit = (n: number): void => {
    const t = g.tests[n];
    if (t !== undefined) { walk(t.a); walk(t.b); }
  };
  for (const n of finalOrder(g)) visit(n);
  if (g.root !== g.firstRoot && g.root >= 2) visit(g.firstRoot);
}

/** Per-packet values every filter starts from: frame start, captured length, network layer, EtherType. */
export const BASE = `const f = p.frameOffset, c = p.capEnd - f;
  // Without a decoded network layer (802.3 frames), BPF still counts from the fixed link header.
  const l = p.l3Offset >= 0 ? p.l3Offset - f : LINK_HDR[p.linkType] ?? 0;
  // -1: the link header (or a VLAN tag) is cut short, so libpcap's EtherType load itself fails
  // and rejects the packet; 0: an 802.3 length field, not an EtherType (matches no protocol).
  const e = p.l3Offset >= 0 ? p.etherType
    : (p.linkType === 1 && c >= 14 && ((b[f + 12] << 8) | b[f + 13]) < 0x600 ? 0 : -1);
`;

const MAX_NESTED = 300;

/**
 * How a fused function specialised for fully decoded packets (filter-set-codegen.ts) reads the loads
 * proven in range: from the decoded packet's fields where one holds the same value, else from the
 * buffer at offsets counted from the decoded headers, with no bounds check.
 */
export interface DecodedLoads {
  /** Loads (constLoadKey) that cannot fail in this function. */
  readonly safe: ReadonlySet<string>;
  /** Expressions giving the value of some of those loads, e.g. `p.srcPort`, `A[0]` (A = p.addrs). */
  readonly fields: ReadonlyMap<string, string>;
}

/**
 * Emits the code of one or more test graphs sharing one prologue. A load at a constant offset
 * that the graphs can run more than once (`ip proto` is tested by most filters) is read once per
 * packet into a local `k<n>`: -1 when it failed (never a loaded value, which is unsigned), so
 * every use still rejects exactly as the load itself would. It is read up front when some graph
 * starts with it, else lazily (-2 until first used). Reading a byte has no effect of its own: only
 * the tests that use a failed load reject.
 */
export class Emitter {
  private readonly cached = new Map<string, string>();
  private readonly cacheInit: string[] = [];
  /** The load each cached local is filled from (its failure yields -1). */
  private readonly raw = new Map<string, string>();
  private needX = false;
  /** Set when code that checks R was emitted (a fused filter then resets R first). */
  checksR = false;
  /** Which scratch locals the emitted code uses (only those are declared). */
  private readonly scratch = new Set<'t' | 'u' | 'o' | 'v' | 'R' | 'A' | 'base' | 'e'>();
  /** Whether BASE's values (f, c, l, e) are parameters; else (specialised functions) locals() derives them. */
  private readonly hasBase: boolean;
  /** Constant-offset loads (constLoadKey) the caller proved in range before calling: no bounds check, cannot fail. */
  private readonly safe: ReadonlySet<string>;
  private readonly fields: ReadonlyMap<string, string>;
  /** The frame length (`len`): the fused functions' `w`, the predicate's `p.wireLen`. */
  private readonly len: string;

  constructor(graphs: readonly Cfg[], len = 'p.wireLen', decoded?: DecodedLoads) {
    this.safe = decoded?.safe ?? new Set();
    this.fields = decoded?.fields ?? new Map();
    this.len = len;
    this.hasBase = decoded === undefined;
    // Every load the graphs can run, in order (walked twice below).
    const loads: Arith[] = [];
    for (const g of graphs) forEachLoad(g, (a) => loads.push(a));
    const uses = new Map<string, number>();
    for (const a of loads) {
      const k = constLoadKey(a);
      if (k !== undefined) uses.set(k, (uses.get(k) ?? 0) + 1);
      if (a.k === 'load' && a.base === 'l4v4' && (k === undefined || !this.safe.has(k))) this.needX = true;
    }
    // Loads of a graph's first test run on every packet: read those up front instead.
    const always = new Set<string>();
    for (const g of graphs) {
      for (const n of g.root >= 2 ? [g.root, g.firstRoot] : []) {
        const t = g.tests[n];
        const k = t === undefined || t.a === 'e' ? undefined : constLoadKey(t.a);
        if (k !== undefined) always.add(k);
      }
    }
    for (const a of loads) {
      const k = constLoadKey(a);
      if (k === undefined || this.cached.has(k) || uses.get(k)! < 2) continue;
      const name = `k${this.cached.size}`;
      this.cached.set(k, name);
      const raw = this.rawLoad(a as Extract<Arith, { k: 'load' }>, '-1');
      // A load proved in range is read up front: a plain read is cheaper than the laziness test.
      if (always.has(k) || this.safe.has(k)) {
        this.cacheInit.push(`const ${name} = ${raw};`);
      } else {
        this.cacheInit.push(`let ${name} = -2;`);
        this.raw.set(name, raw);
      }
    }
  }

  /** Per-packet locals of one generated function (after `f`, `c`, `l` and `e` are known). */
  locals(): string {
    const vars = (['t', 'u', 'o', 'v', 'R'] as const).filter((n) => this.scratch.has(n));
    let s = vars.length > 0 ? `  let ${vars.map((n) => `${n} = 0`).join(', ')};\n` : '';
    if (this.scratch.has('A')) s += '  const A = p.addrs;\n';
    // libpcap's `ldxb 4*([l]&0xf)`, the same for every filter: -1 when that byte is not captured.
    if (!this.hasBase) {
      // A specialised function's packet has a decoded network layer (see DecodedLoads).
      if (this.needX || this.scratch.has('base')) s += '  const f = p.frameOffset, c = p.capEnd - f, l = p.l3Offset - f;\n';
      if (this.scratch.has('e')) s += '  const e = p.etherType;\n';
    }
    if (this.needX) s += '  const x = l >= 0 && l < c ? (b[f + l] & 15) << 2 : -1;\n';
    for (const line of this.cacheInit) s += `  ${line}\n`;
    return s;
  }

  /** A load whose failure yields `fail` (after setting R, or a sentinel). */
  private rawLoad(a: Extract<Arith, { k: 'load' }>, fail: string): string {
    const key = constLoadKey(a);
    if (key !== undefined && this.safe.has(key)) {
      const field = this.fields.get(key);
      if (field !== undefined) {
        if (field.startsWith('A[')) this.scratch.add('A');
        return field;
      }
      // In range (see DecodedLoads): the decoder found these headers where BPF looks for them.
      const at = `${a.base === 'l4v4' ? 'p.l4Offset' : 'p.l3Offset'} + ${(a.idx as { v: number }).v}`;
      if (a.size === 1) return `b[${at}]`;
      if (a.size === 2) return `((b[${at}] << 8) | b[${at} + 1])`;
      return `(((b[${at}] << 24) | (b[${at} + 1] << 16) | (b[${at} + 2] << 8) | b[${at} + 3]) >>> 0)`;
    }
    // One temporary `o` is enough: an index's own loads finish before `o` is assigned, and
    // `o` is read right after, with nothing evaluated in between.
    this.scratch.add('o').add('base');
    if (fail !== '-1') this.scratch.add('R');
    const o = `(o = (${a.base === 'l4v4' ? 'l + x' : 'l'} + ${this.arith(a.idx)}) >>> 0)`;
    let s: string;
    if (a.size === 1) s = `(${o} < c ? b[f + o] : ${fail})`;
    else if (a.size === 2) s = `(${o} + 2 <= c ? (b[f + o] << 8) | b[f + o + 1] : ${fail})`;
    else s = `(${o} + 4 <= c ? ((b[f + o] << 24) | (b[f + o + 1] << 16) | (b[f + o + 2] << 8) | b[f + o + 3]) >>> 0 : ${fail})`;
    return a.base === 'l4v4' ? `(x < 0 ? ${fail} : ${s})` : s;
  }

  arith(a: Arith): string {
    switch (a.k) {
      case 'num': return hex(a.v);
      case 'len': return this.len;
      case 'neg': return `((-${this.arith(a.a)}) >>> 0)`;
      case 'load': {
        // A cached load was read (and its failure checked) before the test: see testCode().
        const k = constLoadKey(a);
        const name = k === undefined ? undefined : this.cached.get(k);
        return name ?? this.rawLoad(a, '(R = 1, 0)');
      }
      case 'bin': {
        const x = this.arith(a.a);
        const y = this.arith(a.b);
        switch (a.op) {
          case '+': return `((${x} + ${y}) >>> 0)`;
          case '-': return `((${x} - ${y}) >>> 0)`;
          case '*': return `(Math.imul(${x}, ${y}) >>> 0)`;
          // Operands are unsigned 32-bit: the quotient truncates like BPF's unsigned division.
          case '/':
            if (!mayDivideByZero(a)) return `((${x} / ${y}) >>> 0)`;
            this.scratch.add('v').add('R');
            return `((v = DIV(${x}, ${y})) < 0 ? (R = 1, 0) : v)`;
          case '%':
            if (!mayDivideByZero(a)) return `(${x} % ${y})`;
            this.scratch.add('v').add('R');
            return `((v = MOD(${x}, ${y})) < 0 ? (R = 1, 0) : v)`;
          case '&': return `((${x} & ${y}) >>> 0)`;
          case '|': return `((${x} | ${y}) >>> 0)`;
          case '^': return `((${x} ^ ${y}) >>> 0)`;
          // A constant count below 32 needs no check (see SHL and SHR in PRELUDE).
          case '<<': return a.b.k === 'num' && a.b.v < 32 ? `((${x} << ${a.b.v}) >>> 0)` : `SHL(${x}, ${y})`;
          case '>>': return a.b.k === 'num' && a.b.v < 32 ? `(${x} >>> ${a.b.v})` : `SHR(${x}, ${y})`;
        }
      }
    }
  }

  /**
   * A test's operands `a` and `b` and the statements `pre` to run before comparing them, which
   * reject when a load fails. BPF evaluates every load of a test (no short circuit), so reading
   * its cached loads first, and rejecting if any failed, is what the test itself would do.
   */
  private testCode(ta: Arith, tb: Arith, reject: string): { pre: string; a: string; b: string } {
    const names: string[] = [];
    const collect = (x: Arith): void => {
      switch (x.k) {
        case 'num': case 'len': return;
        case 'load': {
          const k = constLoadKey(x);
          const name = k === undefined ? undefined : this.cached.get(k);
          if (name !== undefined && !names.includes(name)) {
            if (!this.safe.has(k!)) names.push(name);
          }
          else if (name === undefined) collect(x.idx);
          return;
        }
        case 'neg': collect(x.a); return;
        case 'bin': collect(x.a); collect(x.b); return;
      }
    };
    collect(ta);
    collect(tb);
    let pre = '';
    for (const name of names) {
      const raw = this.raw.get(name);
      if (raw !== undefined) pre += `if (${name} === -2) ${name} = ${raw};\n`;
    }
    if (names.length > 0) pre += `if (${names.map((k) => `${k} < 0`).join(' || ')}) ${reject}\n`;
    let a = this.arith(ta);
    let b = this.arith(tb);
    if (this.setsR(ta) || this.setsR(tb)) {
      // Uncached loads (variable offsets) and divisions set R: compute both operands, then check it.
      this.checksR = true;
      this.scratch.add('t').add('R');
      pre += `t = ${a};\n`;
      a = 't';
      if (tb.k !== 'num') {
        this.scratch.add('u');
        pre += `u = ${b};\n`;
        b = 'u';
      }
      pre += `if (R !== 0) ${reject}\n`;
    }
    return { pre, a, b };
  }

  /** Whether evaluating `x` can set R (an uncached load, a division). */
  private setsR(x: Arith): boolean {
    switch (x.k) {
      case 'num': case 'len': return false;
      case 'load': {
        const k = constLoadKey(x);
        return k === undefined ? true : !this.cached.has(k) && !this.safe.has(k);
      }
      case 'neg': return this.setsR(x.a);
      case 'bin': return mayDivideByZero(x) || this.setsR(x.a) || this.setsR(x.b);
    }
  }

  /**
   * Code for the optimized test graph: one block per test, laid out in topological order and
   * nested so that `break N<id>` continues at test <id> (a forward goto); leaves run `accept` or
   * `reject` (statements that leave the block: a return, or a break out of a fused filter). Big
   * graphs become a `switch` in a loop instead.
   */
  cfgBody(g: Cfg, accept: string, reject: string): string {
    const order = finalOrder(g);
    // Past a few hundred tests the nesting would exceed V8's parser depth: use a state machine.
    const flat = order.length > MAX_NESTED;
    const jump = (k: number): string => (k < 2 ? (k === 1 ? accept : reject) : flat ? `{ s = ${k}; continue; }` : `break N${k};`);
    const nodeCode = (n: number): string => {
      const t = g.tests[n]!;
      const op = t.op === 'eq' ? '===' : t.op === 'gt' ? '>' : '>=';
      if (t.a === 'e') {
        this.scratch.add('e');
        return `if (e ${op} ${this.arith(t.b)}) ${jump(g.jt[n]!)}\nif (e < 0) ${reject}\n${jump(g.jf[n]!)}\n`;
      }
      const { pre, a, b } = this.testCode(t.a, t.b, reject);
      return pre + `if (${a} ${op} ${b}) ${jump(g.jt[n]!)}\n${jump(g.jf[n]!)}\n`;
    };
    let src = '';
    const first = g.tests[g.firstRoot];
    if (g.root !== g.firstRoot && g.root >= 2 && first !== undefined) {
      // libpcap keeps the statements of the entry block even when the optimizer removed its test:
      // its load still runs, and still rejects a packet too short for it.
      if (first.a === 'e') {
        this.scratch.add('e');
        src += `if (e < 0) ${reject}\n`;
      }
      else if (hasLoad(first.a)) src += this.testCode(first.a, { k: 'num', v: 0 }, reject).pre;
    }
    if (order.length === 0) return src + (g.root === 1 ? accept : reject) + '\n';
    if (flat) {
      // In its own block: each fused filter may have its own `s`.
      src += `{\nlet s = ${order[0]};\nfor (;;) {\nswitch (s) {\n`;
      for (const n of order) src += `case ${n}:\n${nodeCode(n)}`;
      return src + `default: ${reject}\n}\n}\n}\n`;
    }
    for (let i = order.length - 1; i >= 1; i--) src += `N${order[i]}: {\n`;
    src += nodeCode(order[0]!);
    for (let i = 1; i < order.length; i++) src += `}\n` + nodeCode(order[i]!);
    return src;
  }
}

/** Source of a factory function returning the predicate `(buf, pkt) => boolean`. */
export function generateSource(b: Bool): string {
  const g = buildCfg(b);
  const em = new Emitter([g]);
  const body = em.cfgBody(g, 'return true;', 'return false;');
  return `${PRELUDE}return function filter(b, p) {
  ${BASE}${em.locals()}
${body}
};`;
}
