import type { Arith, ArithOp, Bool } from './filter-ir';
import { allOf, load, num } from './filter-ir';
import { FilterSyntaxError } from './filter-error';
import type { Token } from './lexer';
import type { Proto } from './qualifiers';
import { PROTO_NAMES } from './qualifiers';
import { loadChecks } from './primitives';

/**
 * Token cursor and the arithmetic part of libpcap's grammar (`arth relop arth`): header loads
 * `proto[expr:size]`, `len`, numbers, C operator precedence (`|` < `^` < `&` < shifts < `+ -` <
 * `* / %` < unary minus, checked with tcpdump -d), all unsigned 32-bit.
 */
interface ArithRes {
  a: Arith;
  checks: Bool[];
  /**
   * The constant of the first BPF statement libpcap emits for this operand (`ld #k`), if it is
   * one: gen_arth() checks only that for division by zero and oversized shifts, so
   * `len / ip[0]` is "division by zero" (the index 0 is loaded first).
   */
  first: number | undefined;
}

/** Keywords of primitives libpcap knows but netmon does not implement. */
export const UNSUPPORTED = new Set([
  'gateway', 'ether', 'fddi', 'tr', 'wlan', 'link', 'ppp', 'slip', 'vlan', 'mpls', 'pppoed', 'pppoes',
  'geneve', 'broadcast', 'multicast', 'inbound', 'outbound', 'igmp', 'igrp', 'pim', 'vrrp', 'carp',
  'ah', 'esp', 'atalk', 'aarp', 'decnet', 'lat', 'sca', 'moprc', 'mopdl', 'iso', 'esis', 'es-is',
  'isis', 'is-is', 'clnp', 'stp', 'ipx', 'netbeui', 'llc', 'protochain', 'byte', 'ifname', 'on',
  'rnr', 'rulenum', 'reason', 'rset', 'ruleset', 'srnr', 'subrulenum', 'action', 'radio', 'type',
  'subtype', 'dir', 'ra', 'ta', 'addr1', 'addr2', 'addr3', 'addr4', 'l1', 'l2', 'iih', 'lsp', 'snp',
  'csnp', 'psnp', 'atmfield', 'vpi', 'vci', 'lane', 'oamf4ec', 'oamf4sc', 'oamf4', 'oam', 'metac',
  'bcc', 'sc', 'ilmic', 'connectmsg', 'metaconnect', 'fisu', 'lssu', 'msu', 'sio', 'opc', 'dpc',
  'sls', 'hfisu', 'hlssu', 'hmsu', 'hsio', 'hopc', 'hdpc', 'hsls',
]);

const BIN_PREC: Readonly<Record<string, number>> = {
  '|': 1, '^': 2, '&': 3, '<<': 4, '>>': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6,
};

export function isKw(t: Token, ...words: string[]): boolean {
  return t.kind === 'kw' && words.includes(t.text);
}
export function isAnd(t: Token): boolean {
  return isKw(t, 'and') || (t.kind === 'op' && t.text === '&&');
}
export function isOr(t: Token): boolean {
  return isKw(t, 'or') || (t.kind === 'op' && t.text === '||');
}
export function isNot(t: Token): boolean {
  return isKw(t, 'not') || (t.kind === 'op' && t.text === '!');
}
export function isOp(t: Token, ...ops: string[]): boolean {
  return t.kind === 'op' && ops.includes(t.text);
}
export function unsupported(t: Token): never {
  throw new FilterSyntaxError(t.col, `a primitive netmon supports (netmon does not support "${t.text}")`, t.text);
}

function checksKey(b: Bool): string {
  return JSON.stringify(b);
}
function mergeChecks(a: Bool[], b: Bool[]): Bool[] {
  const seen = new Set(a.map(checksKey));
  const out = a.slice();
  for (const c of b) if (!seen.has(checksKey(c))) { seen.add(checksKey(c)); out.push(c); }
  return out;
}

export class ArithParser {
  protected i = 0;
  constructor(protected readonly toks: Token[]) {}

  protected peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)]!;
  }
  protected next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  protected fail(t: Token, expected: string): never {
    throw new FilterSyntaxError(t.col, expected, t.text);
  }
  protected expectOp(op: string, what = `"${op}"`): Token {
    const t = this.peek();
    if (!isOp(t, op)) this.fail(t, what);
    return this.next();
  }

  // ---- arithmetic relations: arth relop arth ----

  protected relation(): Bool {
    const a = this.arith(1);
    const t = this.peek();
    if (!isOp(t, '>', '>=', '=', '==', '<', '<=', '!=')) this.fail(t, 'a comparison (=, !=, <, <=, >, >=)');
    this.next();
    const b = this.arith(1);
    const op = t.text === '>' || t.text === '<=' ? 'gt' : t.text === '>=' || t.text === '<' ? 'ge' : 'eq';
    const neg = t.text === '<=' || t.text === '<' || t.text === '!=';
    return allOf([...mergeChecks(a.checks, b.checks), { k: 'rel', op, a: a.a, b: b.a, neg }]);
  }

  private arith(minPrec: number): ArithRes {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === 'op' ? BIN_PREC[t.text] : undefined;
      if (prec === undefined || prec < minPrec) return left;
      this.next();
      const rt = this.peek();
      const right = this.arith(prec + 1);
      const op = t.text as ArithOp;
      const zero = right.first === 0 || (right.a.k === 'num' && right.a.v === 0);
      if (zero && (op === '/' || op === '%')) this.fail(rt, op === '/' ? 'a non-zero divisor' : 'a non-zero modulus');
      if (right.first !== undefined && right.first > 31 && (op === '<<' || op === '>>')) {
        this.fail(rt, 'a shift count of at most 31');
      }
      // libpcap's gen_arth() keeps only the LEFT operand's protocol checks and drops the right
      // one's: `len / icmp6[1] != 255` loads icmp6[1] from any packet. Reproduced on purpose.
      left = { a: foldBin(op, left.a, right.a), checks: left.checks, first: left.first };
    }
  }

  private unary(): ArithRes {
    const t = this.peek();
    if (isOp(t, '-')) {
      this.next();
      const r = this.unary();
      return { a: r.a.k === 'num' ? num(-r.a.v) : { k: 'neg', a: r.a }, checks: r.checks, first: r.first };
    }
    return this.primary();
  }

  private primary(): ArithRes {
    const t = this.next();
    if (t.kind === 'num') return { a: num(t.num), checks: [], first: t.num };
    if (isKw(t, 'len')) return { a: { k: 'len' }, checks: [], first: undefined };
    if (isOp(t, '(')) {
      const r = this.arith(1);
      this.expectOp(')', '")"');
      return r;
    }
    if (t.kind === 'kw' && PROTO_NAMES.has(t.text) && isOp(this.peek(), '[')) {
      this.next();
      const idx = this.arith(1);
      let size: 1 | 2 | 4 = 1;
      if (isOp(this.peek(), ':')) {
        this.next();
        const s = this.peek();
        if (s.kind !== 'num' || (s.num !== 1 && s.num !== 2 && s.num !== 4)) this.fail(s, 'a load size of 1, 2 or 4');
        this.next();
        size = s.num as 1 | 2 | 4;
      }
      this.expectOp(']', '"]" or ":size]"');
      const p = t.text as Proto;
      const guards = loadChecks(p);
      // The protocol guard comes first, then the guards of loads inside the index, then the
      // IPv4 protocol/fragment tests (gencode.c gen_load_internal()).
      const checks = mergeChecks(mergeChecks(guards.slice(0, 1), idx.checks), guards.slice(1));
      if (p === 'icmp6') {
        // icmp6[] is counted from the end of the fixed IPv6 header (no extension headers).
        const at: Arith = idx.a.k === 'num' ? num(idx.a.v + 40) : { k: 'bin', op: '+', a: idx.a, b: num(40) };
        return { a: load('l3', at, size), checks, first: idx.first };
      }
      const base = p === 'tcp' || p === 'udp' || p === 'sctp' || p === 'icmp' ? 'l4v4' : 'l3';
      return { a: load(base, idx.a, size), checks, first: idx.first };
    }
    if (t.kind === 'kw' && UNSUPPORTED.has(t.text)) unsupported(t);
    return this.fail(t, 'a number, "len" or a header load such as tcp[13]');
  }
}

/** Constant folding, as libpcap's optimizer does (unsigned 32-bit arithmetic). */
function foldBin(op: ArithOp, a: Arith, b: Arith): Arith {
  if (a.k !== 'num' || b.k !== 'num') return { k: 'bin', op, a, b };
  const x = a.v;
  const y = b.v;
  switch (op) {
    case '+': return num(x + y);
    case '-': return num(x - y);
    case '*': return num(Math.imul(x, y));
    case '/': return num(Math.floor(x / y));
    case '%': return num(x % y);
    case '&': return num(x & y);
    case '|': return num(x | y);
    case '^': return num(x ^ y);
    case '<<': return num(x << y);
    case '>>': return num(x >>> y);
  }
}
