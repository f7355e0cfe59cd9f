/**
 * Intermediate form of a compiled filter, mirroring the BPF libpcap generates: every test is a
 * comparison of 32-bit unsigned values, loads are relative to the network-layer header, and an
 * out-of-range load rejects the whole packet (bpf_filter() returns 0), wherever it happens.
 */
export type ArithOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>';

/**
 * Where a load's offset is counted from: `l3` the network header, `l4v4` the IPv4 payload
 * (l3 + 4 * IHL, libpcap's `ldxb 4*([n]&0xf)`).
 */
export type LoadBase = 'l3' | 'l4v4';

export type Arith =
  | { k: 'num'; v: number }
  | { k: 'len' }
  | { k: 'load'; base: LoadBase; idx: Arith; size: 1 | 2 | 4 }
  /**
   * `jset`: the fragment test of the port and protocol primitives, which libpcap compiles as
   * `jset #0x1fff` on the loaded field; its optimizer does not equate it with the user's
   * `ip[6:2] & 0x1fff` (an `and`, then a comparison), so neither does netmon's (filter-cfg.ts).
   */
  | { k: 'bin'; op: ArithOp; a: Arith; b: Arith; jset?: true }
  | { k: 'neg'; a: Arith };

export type Bool =
  | { k: 'const'; v: boolean }
  | { k: 'and' | 'or'; a: Bool; b: Bool }
  | { k: 'not'; a: Bool }
  /** EtherType of the (VLAN-stripped) network layer equals v. */
  | { k: 'et'; v: number }
  /** a OP b, unsigned; `neg` inverts only the comparison (libpcap's reversed jumps). */
  | { k: 'rel'; op: 'eq' | 'gt' | 'ge'; a: Arith; b: Arith; neg: boolean };

export const TRUE: Bool = { k: 'const', v: true };
export const FALSE: Bool = { k: 'const', v: false };

export function num(v: number): Arith {
  return { k: 'num', v: v >>> 0 };
}
export function load(base: LoadBase, off: number | Arith, size: 1 | 2 | 4): Arith {
  return { k: 'load', base, idx: typeof off === 'number' ? num(off) : off, size };
}
export function and(a: Bool, b: Bool): Bool {
  return { k: 'and', a, b };
}
export function or(a: Bool, b: Bool): Bool {
  return { k: 'or', a, b };
}
export function not(a: Bool): Bool {
  return { k: 'not', a };
}
export function et(v: number): Bool {
  return { k: 'et', v };
}
export function eq(a: Arith, v: number): Bool {
  return { k: 'rel', op: 'eq', a, b: num(v), neg: false };
}
export function allOf(parts: Bool[]): Bool {
  let r: Bool | undefined;
  for (const p of parts) r = r === undefined ? p : and(r, p);
  return r ?? TRUE;
}
export function anyOf(parts: Bool[]): Bool {
  let r: Bool | undefined;
  for (const p of parts) r = r === undefined ? p : or(r, p);
  return r ?? FALSE;
}
