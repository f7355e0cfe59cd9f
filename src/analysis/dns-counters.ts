import { DNS_RESPONSE_TIME_BUCKETS } from '../metrics/catalog';
import { DNS_QTYPE_NAMES } from './dns-names';

/**
 * Layout of one interface's DNS counters: one Float64Array per interface, so that a snapshot for the
 * HTTP process is one copy per interface and the packet path increments array cells.
 */
export const DNS_Q = 0; // queries by qtype index (DNS_QTYPE_NAMES)
export const DNS_R = DNS_Q + DNS_QTYPE_NAMES.length; // responses by rcode (16)
export const DNS_TRUNCATED = DNS_R + 16;
export const DNS_UNANSWERED = DNS_TRUNCATED + 1;
export const DNS_UNMATCHED = DNS_UNANSWERED + 1;
export const DNS_RETRANSMITTED = DNS_UNMATCHED + 1;
export const DNS_MALFORMED = DNS_RETRANSMITTED + 1;
/** DNS messages in IP fragments: reassembled (and analysed), given up incomplete. */
export const DNS_FRAGMENTED_REASSEMBLED = DNS_MALFORMED + 1;
export const DNS_FRAGMENTED_INCOMPLETE = DNS_FRAGMENTED_REASSEMBLED + 1;
/** DNS messages quoted in ICMP errors (also counted by qtype or rcode). */
export const DNS_ICMP_QUOTED = DNS_FRAGMENTED_INCOMPLETE + 1;
/** Responses matched to their query but not timed: cut by a file's snap length, or shorter than a header (DnsHeader.cut). */
export const DNS_UNTIMED = DNS_ICMP_QUOTED + 1;
/** Responses timed after dns.timeout (their query counted unanswered), within dns.late_window. */
export const DNS_LATE = DNS_UNTIMED + 1;
/** Response time histogram: non-cumulative bucket counts (the last is +Inf), then sum and count. */
export const DNS_TIME_BUCKETS = DNS_LATE + 1;
export const DNS_TIME_SUM = DNS_TIME_BUCKETS + DNS_RESPONSE_TIME_BUCKETS.length + 1;
export const DNS_TIME_COUNT = DNS_TIME_SUM + 1;
export const DNS_WORDS = DNS_TIME_COUNT + 1;

/** What the DNS families read: the analyser itself (replay) or its snapshot (`netmon run`). */
export interface DnsCounters {
  /** Per interface, in the pipeline's interface order: DNS_* layout. */
  readonly perInterface: readonly Float64Array[];
  /** Queries waiting for a response now. */
  readonly pending: number;
  /** Waiting queries dropped because the pending table was full (dns.max_pending). */
  readonly evictions: number;
}

/** Copy of the counters for the snapshot sent to the HTTP process. */
export function snapshotDnsCounters(c: DnsCounters): DnsCounters {
  return { perInterface: c.perInterface.map((a) => a.slice()), pending: c.pending, evictions: c.evictions };
}
