import type { Arith, Bool } from './filter-ir';
import type { Cfg } from './filter-cfg';
import { buildCfg } from './filter-cfg';
import { topoOrder } from './cfg-order';

/**
 * Turns the filter IR into JavaScript source for one predicate. Generated code rather than a
 * tree of closures: V8 compiles the whole filter into one function with constants inlined
 * (figures: test/filter/filter-perf.test.ts), and nothing is allocated per packet.
 *
 * BPF semantics kept exactly (libpcap bpf_filter.c): all arithmetic is unsigned 32-bit, load
 * offsets wrap modulo 2^32 and are checked against the captured length, a load past it or a
 * division by zero makes the WHOLE filter return 0. The helpers record that in `R` and
 * evaluation continues harmlessly; the predicate then returns false. The EtherType test
 * rejects the same way when the link header itself was truncated.
 */
const PRELUDE = `"use strict";
let R = 0;
function L1(b, f, c, o) { if (o >= c) { R = 1; return 0; } return b[f + o]; }
function L2(b, f, c, o) { if (o + 2 > c) { R = 1; return 0; } return (b[f + o] << 8) | b[f + o + 1]; }
function L4(b, f, c, o) {
  if (o + 4 > c) { R = 1; return 0; }
  return ((b[f + o] << 24) | (b[f + o + 1] << 16) | (b[f + o + 2] << 8) | b[f + o + 3]) >>> 0;
}
function X(b, f, c, l) { if (l < 0 || l >= c) { R = 1; return 0; } return (b[f + l] & 15) << 2; }
function DIV(a, d) { if (d === 0) { R = 1; return 0; } return (a / d) >>> 0; }
function MOD(a, d) { if (d === 0) { R = 1; return 0; } return a % d; }
// bpf_filter.c: a shift by 32 or more gives 0 (not the count modulo 32 of x86 and JavaScript).
function SHL(a, n) { return n < 32 ? (a << n) >>> 0 : 0; }
function SHR(a, n) { return n < 32 ? a >>> n : 0; }
const LINK_HDR = { 0: 4, 1: 14, 108: 4, 113: 16, 276: 20 };
`;

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

function arith(a: Arith): string {
  switch (a.k) {
    case 'num': return hex(a.v);
    case 'len': return 'p.wireLen';
    case 'neg': return `((-${arith(a.a)}) >>> 0)`;
    case 'load': {
      const fn = a.size === 1 ? 'L1' : a.size === 2 ? 'L2' : 'L4';
      const base = a.base === 'l4v4' ? 'l + X(b, f, c, l)' : 'l';
      return `${fn}(b, f, c, (${base} + ${arith(a.idx)}) >>> 0)`;
    }
    case 'bin': {
      const x = arith(a.a);
      const y = arith(a.b);
      switch (a.op) {
        case '+': return `((${x} + ${y}) >>> 0)`;
        case '-': return `((${x} - ${y}) >>> 0)`;
        case '*': return `(Math.imul(${x}, ${y}) >>> 0)`;
        case '/': return `DIV(${x}, ${y})`;
        case '%': return `MOD(${x}, ${y})`;
        case '&': return `((${x} & ${y}) >>> 0)`;
        case '|': return `((${x} | ${y}) >>> 0)`;
        case '^': return `((${x} ^ ${y}) >>> 0)`;
        case '<<': return `SHL(${x}, ${y})`;
        case '>>': return `SHR(${x}, ${y})`;
      }
    }
  }
}

function hasLoad(a: Arith): boolean {
  switch (a.k) {
    case 'num': case 'len': return false;
    case 'load': return true;
    case 'neg': return hasLoad(a.a);
    case 'bin': return a.op === '/' || a.op === '%' || hasLoad(a.a) || hasLoad(a.b);
  }
}

const MAX_NESTED = 300;

/**
 * Code for the optimized test graph: one block per test, laid out in topological order and
 * nested so that `break N<id>` continues at test <id> (a forward goto); leaves return. Big
 * graphs become a `switch` in a loop instead.
 */
function cfgBody(g: Cfg): string {
  const order = topoOrder(g);
  // Past a few hundred tests the nesting would exceed V8's parser depth: use a state machine.
  const flat = order.length > MAX_NESTED;
  const jump = (k: number): string => (k < 2 ? `return ${k === 1};` : flat ? `{ s = ${k}; continue; }` : `break N${k};`);
  const nodeCode = (n: number): string => {
    const t = g.tests[n]!;
    const op = t.op === 'eq' ? '===' : t.op === 'gt' ? '>' : '>=';
    if (t.a === 'e') {
      return `if (e ${op} ${arith(t.b)}) ${jump(g.jt[n]!)}\nif (e < 0) return false;\n${jump(g.jf[n]!)}\n`;
    }
    let s: string;
    if (t.b.k === 'num') s = `t = ${arith(t.a)};\n`;
    else s = `t = ${arith(t.a)};\nu = ${arith(t.b)};\n`;
    if (hasLoad(t.a) || hasLoad(t.b)) s += 'if (R !== 0) return false;\n';
    const rhs = t.b.k === 'num' ? arith(t.b) : 'u';
    return s + `if (t ${op} ${rhs}) ${jump(g.jt[n]!)}\n${jump(g.jf[n]!)}\n`;
  };
  let src = '';
  const first = g.tests[g.firstRoot];
  if (g.root !== g.firstRoot && g.root >= 2 && first !== undefined) {
    // libpcap keeps the statements of the entry block even when the optimizer removed its test:
    // its load still runs, and still rejects a packet too short for it.
    if (first.a === 'e') src += 'if (e < 0) return false;\n';
    else if (hasLoad(first.a)) src += `t = ${arith(first.a)};\nif (R !== 0) return false;\n`;
  }
  if (order.length === 0) return src + `return ${g.root === 1};`;
  if (flat) {
    src += `let s = ${order[0]};\nfor (;;) {\nswitch (s) {\n`;
    for (const n of order) src += `case ${n}:\n${nodeCode(n)}`;
    return src + 'default: return false;\n}\n}\n';
  }
  for (let i = order.length - 1; i >= 1; i--) src += `N${order[i]}: {\n`;
  src += nodeCode(order[0]!);
  for (let i = 1; i < order.length; i++) src += `}\n` + nodeCode(order[i]!);
  return src;
}

/** Source of a factory function returning the predicate `(buf, pkt) => boolean`. */
export function generateSource(b: Bool): string {
  const body = cfgBody(buildCfg(b));
  return `${PRELUDE}return function filter(b, p) {
  const f = p.frameOffset, c = p.capEnd - f;
  // Without a decoded network layer (802.3 frames), BPF still counts from the fixed link header.
  const l = p.l3Offset >= 0 ? p.l3Offset - f : LINK_HDR[p.linkType] ?? 0;
  // -1: the link header (or a VLAN tag) is cut short, so libpcap's EtherType load itself fails
  // and rejects the packet; 0: an 802.3 length field, not an EtherType (matches no protocol).
  const e = p.l3Offset >= 0 ? p.etherType
    : (p.linkType === 1 && c >= 14 && ((b[f + 12] << 8) | b[f + 13]) < 0x600 ? 0 : -1);
  let t = 0, u = 0;
  R = 0;
  ${body}
};`;
}
