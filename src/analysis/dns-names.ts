/**
 * Label values of the DNS families: query types (a fixed set, so a client cannot create series by
 * asking odd types) and response codes (RFC 6895 section 2.3, the 4-bit header RCODE).
 */

/** Label values of netmon_dns_queries_total{qtype}, in index order; the last one is "other". */
export const DNS_QTYPE_NAMES: readonly string[] = ['a', 'aaaa', 'cname', 'mx', 'ns', 'ptr', 'soa', 'srv', 'txt', 'https', 'svcb', 'any', 'other'];
export const QTYPE_OTHER = DNS_QTYPE_NAMES.length - 1;

/** QTYPE value → index in DNS_QTYPE_NAMES (RFC 1035, 3596, 2782, 9460; ANY is 255). */
const QTYPE_INDEX = new Uint8Array(256).fill(QTYPE_OTHER);
for (const [value, name] of [[1, 'a'], [28, 'aaaa'], [5, 'cname'], [15, 'mx'], [2, 'ns'], [12, 'ptr'], [6, 'soa'], [33, 'srv'], [16, 'txt'], [65, 'https'], [64, 'svcb'], [255, 'any']] as const) {
  QTYPE_INDEX[value] = DNS_QTYPE_NAMES.indexOf(name);
}

/** Index in DNS_QTYPE_NAMES of a QTYPE (-1: none captured, counted as "other"). */
export function qtypeIndex(qtype: number): number {
  return qtype >= 0 && qtype < 256 ? QTYPE_INDEX[qtype]! : QTYPE_OTHER;
}

/**
 * Label values of netmon_dns_responses_total{rcode}, indexed by RCODE 0..15: IANA's names in lower
 * case, and the unassigned codes 12..15 as numbers.
 */
export const DNS_RCODE_NAMES: readonly string[] = [
  'noerror', 'formerr', 'servfail', 'nxdomain', 'notimp', 'refused', 'yxdomain', 'yxrrset', 'nxrrset', 'notauth', 'notzone', 'dsotypeni',
  '12', '13', '14', '15',
];
/** RCODEs whose series exist from the start (the named ones); the numbered ones appear when seen. */
export const DNS_NAMED_RCODES = 12;
