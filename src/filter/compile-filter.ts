import type { DecodedPacket } from '../decode/packet';
import { generateSource } from './codegen';
import { FilterError, FilterSyntaxError } from './filter-error';
import { parseFilter } from './parser';

export { FilterError } from './filter-error';

/** Returns true when the packet matches. Reads only `buf` and `pkt`; allocates nothing. */
export type FilterPredicate = (buf: Buffer, pkt: DecodedPacket) => boolean;

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
  try {
    return generateSource(parseFilter(expr));
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw new FilterError(name, e.column, e.expected, e.got);
    throw e;
  }
}
