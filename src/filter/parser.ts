import type { Bool } from './filter-ir';
import { and, not, num, or, TRUE } from './filter-ir';
import { FilterSyntaxError } from './filter-error';
import type { Token } from './lexer';
import { tokenize } from './lexer';
import type { Addr, Dir, Proto, Qual } from './qualifiers';
import { PROTO_NAMES } from './qualifiers';
import { genHid, genHid6, genName, genNum } from './id-primitives';
import { protoAbbrev } from './primitives';
import { ArithParser, isAnd, isKw, isNot, isOp, isOr, unsupported, UNSUPPORTED } from './arith-parser';

/**
 * Recursive-descent version of libpcap 1.10's grammar.y. Points that differ from intuition and
 * were checked against tcpdump: `and` and `or` have EQUAL precedence and associate left
 * (`a or b and c` is `(a or b) and c`), `not` binds tighter; a bare id after `and`/`or` reuses
 * the qualifiers of the previous primitive, also across a parenthesised group
 * (`port 80 or (host h) or 443` tests port 443); arithmetic precedence is C's.
 */
interface Res {
  b: Bool;
  q: Qual | null;
}

const ADDR_WORDS: ReadonlySet<string> = new Set(['host', 'net', 'port', 'portrange']);

export function parseFilter(src: string): Bool {
  return new Parser(tokenize(src)).program();
}

class Parser extends ArithParser {
  program(): Bool {
    // An empty expression matches every packet, as with tcpdump.
    if (this.peek().kind === 'end') return TRUE;
    const r = this.expr(null);
    const t = this.peek();
    if (t.kind !== 'end') this.fail(t, isOp(t, ')') ? 'no unmatched ")"' : '"and", "or" or the end of the expression');
    return r.b;
  }

  private expr(qIn: Qual | null): Res {
    let r = this.term(qIn);
    for (;;) {
      const t = this.peek();
      const isA = isAnd(t);
      if (!isA && !isOr(t)) return r;
      this.next();
      const r2 = this.idAhead(this.i) ? this.id(r.q) : this.term(r.q);
      r = { b: isA ? and(r.b, r2.b) : or(r.b, r2.b), q: r2.q };
    }
  }

  /** True when the tokens at `pos` form a bare id (libpcap `id`), not the start of a term. */
  private idAhead(pos: number): boolean {
    const tk = (j: number): Token => this.toks[Math.min(j, this.toks.length - 1)]!;
    const follows = (t: Token): boolean => t.kind === 'end' || isOp(t, ')') || isAnd(t) || isOr(t);
    let j = pos;
    while (isNot(tk(j))) j++;
    const t = tk(j);
    if (isOp(t, '(')) {
      let depth = 0;
      for (let k = j; k < this.toks.length; k++) {
        const u = tk(k);
        if (isOp(u, '(')) depth++;
        else if (isOp(u, ')')) {
          if (--depth === 0) return follows(tk(k + 1));
        } else if (!(u.kind === 'num' || u.kind === 'hid' || u.kind === 'hid6' || u.kind === 'id'
          || isAnd(u) || isOr(u) || isNot(u) || isKw(u, 'mask') || isOp(u, '/'))) return false;
      }
      return false;
    }
    if (t.kind === 'num' || t.kind === 'hid' || t.kind === 'hid6' || t.kind === 'id') {
      j++;
      if (isOp(tk(j), '/') || isKw(tk(j), 'mask')) j += 2;
      return follows(tk(j));
    }
    return false;
  }

  private term(qIn: Qual | null): Res {
    const t = this.peek();
    if (isNot(t)) {
      this.next();
      const r = this.term(qIn);
      return { b: not(r.b), q: r.q };
    }
    if (isOp(t, '(')) {
      const save = this.i;
      let relErr: FilterSyntaxError | undefined;
      try {
        return { b: this.relation(), q: null };
      } catch (e) {
        if (!(e instanceof FilterSyntaxError)) throw e;
        relErr = e;
        this.i = save;
      }
      try {
        this.next();
        const r = this.expr(qIn);
        this.expectOp(')', '")"');
        return { b: r.b, q: qIn };
      } catch (e) {
        if (e instanceof FilterSyntaxError && relErr.column > e.column) throw relErr;
        throw e;
      }
    }
    if (t.kind === 'num' || isOp(t, '-') || isKw(t, 'len')) return { b: this.relation(), q: null };
    if (t.kind === 'kw') {
      if (PROTO_NAMES.has(t.text)) {
        const n = this.peek(1);
        if (isOp(n, '[')) return { b: this.relation(), q: null };
        if (!(isKw(n, 'src', 'dst', 'proto') || (n.kind === 'kw' && ADDR_WORDS.has(n.text)) || (n.kind === 'kw' && UNSUPPORTED.has(n.text)))) {
          this.next();
          return { b: protoAbbrev(t.text as Proto), q: null };
        }
        return this.headAndId();
      }
      if (isKw(t, 'src', 'dst', 'proto') || ADDR_WORDS.has(t.text)) return this.headAndId();
      if (isKw(t, 'less', 'greater')) {
        this.next();
        const n = this.peek();
        if (n.kind !== 'num') this.fail(n, `a length in bytes after "${t.text}"`);
        this.next();
        // less N: len <= N; greater N: len >= N (pcap-filter(7)), on the wire length.
        return {
          b: t.text === 'less'
            ? { k: 'rel', op: 'gt', a: { k: 'len' }, b: num(n.num), neg: true }
            : { k: 'rel', op: 'ge', a: { k: 'len' }, b: num(n.num), neg: false },
          q: null,
        };
      }
      if (UNSUPPORTED.has(t.text)) unsupported(t);
    }
    return this.fail(t, 'a primitive (host, net, port, portrange, proto, tcp, udp, ...), "not" or "("');
  }

  private headAndId(): Res {
    let proto: Proto = '';
    let dir: Dir = '';
    let addr: Addr = '';
    let t = this.peek();
    if (t.kind === 'kw' && PROTO_NAMES.has(t.text)) {
      proto = t.text as Proto;
      this.next();
      t = this.peek();
    }
    let last = t;
    if (isKw(t, 'src', 'dst')) {
      this.next();
      dir = t.text as Dir;
      const n = this.peek();
      const other = t.text === 'src' ? 'dst' : 'src';
      if ((isAnd(n) || isOr(n)) && isKw(this.peek(1), other)) {
        dir = isAnd(n) ? 'and' : 'or';
        this.next();
        this.next();
      }
      last = t;
      t = this.peek();
    }
    if (t.kind === 'kw' && (ADDR_WORDS.has(t.text) || t.text === 'proto')) {
      addr = t.text as Addr;
      if (addr === 'proto' && dir !== '') this.fail(t, 'an address after the direction');
      this.next();
      last = t;
    } else if (t.kind === 'kw' && UNSUPPORTED.has(t.text)) {
      unsupported(t);
    }
    return this.id({ proto, dir, addr }, last);
  }

  /** libpcap `id`: an address, number or name, `not id`, or a parenthesised list of ids. */
  private id(q: Qual | null, after?: Token): Res {
    const t = this.peek();
    if (isNot(t)) {
      this.next();
      const r = this.id(q, after);
      return { b: not(r.b), q: r.q };
    }
    if (isOp(t, '(')) {
      this.next();
      let r = this.id(q, after);
      for (;;) {
        const o = this.peek();
        const isA = isAnd(o);
        if (!isA && !isOr(o)) break;
        this.next();
        const r2 = this.id(r.q, after);
        r = { b: isA ? and(r.b, r2.b) : or(r.b, r2.b), q: r2.q };
      }
      this.expectOp(')', '")"');
      return r;
    }
    if (q === null) {
      return this.fail(t, 'a primitive (host, net, port, ...) before this value: there are no qualifiers to reuse');
    }
    switch (t.kind) {
      case 'num':
        this.next();
        return { b: genNum(t, q), q };
      case 'hid': {
        this.next();
        const n = this.peek();
        if (isOp(n, '/')) {
          this.next();
          const len = this.peek();
          if (len.kind !== 'num') this.fail(len, 'a mask length after "/"');
          this.next();
          return { b: genHid(t, q, { len: len.num, tok: len }), q };
        }
        if (isKw(n, 'mask')) {
          this.next();
          const m = this.peek();
          if (m.kind !== 'hid') this.fail(m, 'a dotted network mask after "mask"');
          this.next();
          return { b: genHid(t, q, { mask: m.text, tok: m }), q };
        }
        return { b: genHid(t, q), q };
      }
      case 'hid6': {
        this.next();
        if (isOp(this.peek(), '/')) {
          this.next();
          const len = this.peek();
          if (len.kind !== 'num') this.fail(len, 'a prefix length after "/"');
          this.next();
          return { b: genHid6(t, q, len), q };
        }
        return { b: genHid6(t, q), q };
      }
      case 'id':
        this.next();
        return { b: genName(t, q), q };
      default:
        return this.fail(t, expectedId(q, after));
    }
  }

}

function expectedId(q: Qual, after: Token | undefined): string {
  const word = after !== undefined ? ` after "${after.text}"` : '';
  switch (q.addr) {
    case 'port': case 'portrange': return `a port number or service name${word}`;
    case 'proto': return `a protocol number or \\name${word}`;
    case 'net': return `a network address${word}`;
    default: return `an IPv4 or IPv6 address${word}`;
  }
}
