import type { DecodedPacket } from '../decode/packet';
import { generateSource } from './codegen';
import { generateSetSource } from './filter-set-codegen';
import { FilterError, FilterSyntaxError } from './filter-error';
import type { Bool } from './filter-ir';
import { parseFilter } from './parser';

export { FilterError } from './filter-error';

/** Returns true when the packet matches. Reads only `buf` and `pkt`; allocates nothing. */
export type FilterPredicate = (buf: Buffer, pkt: DecodedPacket) => boolean;

/** A compiled set of named filters, counting into the arrays given to compileFilterSet(). */
export interface FilterSetCounter {
  /**
   * Runs every filter of the set on the packet (`wireLen` must be pkt.wireLen): each filter i that
   * matches counts 1 packet and wireLen bytes. Reads only `buf` and `pkt`; allocates nothing.
   */
  readonly count: (buf: Buffer, pkt: DecodedPacket, wireLen: number) => void;
  /** Adds what count() tallied since the last flush to packets[i] and bytes[i]: call before reading them. */
  readonly flush: () => void;
}

/** A named filter that parsed; compile a set of them with compileFilterSet(). */
export interface ParsedFilter {
  readonly name: string;
  readonly ir: Bool;
}

/**
 * Compiles a tcpdump (pcap-filter(7)) expression once, at start-up, into a predicate over the
 * decoded packet with libpcap 1.10.3 semantics. The expression is applied to the network layer
 * after any VLAN tags (where tcpdump would need `vlan and ...`).
 *
 * @throws FilterError naming the filter, the column and what was expected there.
 */
export function compileFilter(name: string, expr: string): FilterPredicate {
  return new Function(filterSource(name, expr))() as FilterPredicate;
}

/** The generated JavaScript for an expression (for debugging and the benchmark). */
export function filterSource(name: string, expr: string): string {
  return generateSource(parseNamedFilter(name, expr).ir);
}

/**
 * Parses one named filter (the first step of compileFilterSet, so that every bad filter of a
 * configuration can be reported, not just the first).
 *
 * @throws FilterError naming the filter, the column and what was expected there.
 */
export function parseNamedFilter(name: string, expr: string): ParsedFilter {
  try {
    return { name, ir: parseFilter(expr) };
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw new FilterError(name, e.column, e.expected, e.got);
    throw e;
  }
}

/**
 * Fuses parsed filters into one function that counts, per filter, exactly what compileFilter()'s
 * predicate of each would match: filter i into packets[i] and bytes[i]. One call per packet
 * instead of one per filter: see filter-set-codegen.ts.
 */
export function compileFilterSet(filters: readonly ParsedFilter[], packets: Float64Array, bytes: Float64Array): FilterSetCounter {
  if (packets.length < filters.length || bytes.length < filters.length) throw new RangeError('one packet and one byte counter per filter');
  return new Function('packets', 'bytes', filterSetSource(filters))(packets, bytes) as FilterSetCounter;
}

/** The generated JavaScript of compileFilterSet() (for debugging). */
export function filterSetSource(filters: readonly ParsedFilter[]): string {
  return generateSetSource(filters.map((f) => f.ir));
}
