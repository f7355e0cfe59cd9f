import {
  DNS_UNTIMED, DNS_FRAGMENTED_INCOMPLETE, DNS_FRAGMENTED_REASSEMBLED, DNS_ICMP_QUOTED, DNS_MALFORMED, DNS_Q, DNS_R, DNS_RETRANSMITTED, DNS_TIME_BUCKETS, DNS_TIME_COUNT, DNS_TIME_SUM, DNS_TRUNCATED, DNS_UNANSWERED, DNS_UNMATCHED, DNS_LATE,
} from '../analysis/dns-counters';
import type { DnsCounters } from '../analysis/dns-counters';
import { DNS_NAMED_RCODES, DNS_QTYPE_NAMES, DNS_RCODE_NAMES } from '../analysis/dns-names';
import {
  TCP_DATA_SEGMENTS, TCP_ESTABLISHED, TCP_FRAGMENTED_INCOMPLETE, TCP_FRAGMENTED_REASSEMBLED, TCP_REFUSED, TCP_RETRANSMISSIONS, TCP_RTT_BUCKETS, TCP_RTT_COUNT, TCP_RTT_SUM, TCP_TIMEOUT, TCP_ZERO_WINDOW,
} from '../analysis/tcp-counters';
import type { TcpCounters } from '../analysis/tcp-counters';
import { CATALOG, DNS_RESPONSE_TIME_BUCKETS, TCP_HANDSHAKE_RTT_BUCKETS } from './catalog';
import type { Family, HistogramSample, Sample } from './family';

/**
 * The DNS and TCP analysis families of the analysers that are enabled (interfaces in pipeline order).
 * The counters are read through functions at collect time (a snapshot may not exist yet when the
 * families are built).
 */
export function dnsTcpFamilies(
  enabled: { readonly dns: boolean; readonly tcp: boolean },
  names: () => readonly string[],
  dns: () => DnsCounters | null | undefined,
  tcp: () => TcpCounters | null | undefined,
): Family[] {
  const none: { perInterface: readonly Float64Array[]; pending: number; evictions: number; connections: number } = { perInterface: [], pending: 0, evictions: 0, connections: 0 };
  const out: Family[] = [];
  const per = (get: () => { perInterface: readonly Float64Array[] }, at: number) => (): Sample[] => {
    const c = get().perInterface;
    return names().map((i, k) => ({ labels: { interface: i }, value: c[k]?.[at] ?? 0 }));
  };
  const histogram = (get: () => { perInterface: readonly Float64Array[] }, at: number, n: number, sum: number, count: number) => (): HistogramSample[] => {
    const c = get().perInterface;
    return names().map((i, k) => {
      const a = c[k] ?? new Float64Array(count + 1);
      return { labels: { interface: i }, bucketCounts: a.subarray(at, at + n + 1), sum: a[sum]!, count: a[count]! };
    });
  };
  if (enabled.dns) {
    const d = () => dns() ?? none;
    const fragmentResults: readonly [string, number][] = [['reassembled', DNS_FRAGMENTED_REASSEMBLED], ['incomplete', DNS_FRAGMENTED_INCOMPLETE]];
    out.push(
      {
        def: CATALOG.dnsQueries,
        collect: () => names().flatMap((i, k) => DNS_QTYPE_NAMES.map((qtype, q) => ({ labels: { interface: i, qtype }, value: d().perInterface[k]?.[DNS_Q + q] ?? 0 }))),
      },
      {
        def: CATALOG.dnsResponses,
        collect: () =>
          names().flatMap((i, k) =>
            DNS_RCODE_NAMES.map((rcode, r) => ({ labels: { interface: i, rcode }, value: d().perInterface[k]?.[DNS_R + r] ?? 0 })).filter((x, r) => r < DNS_NAMED_RCODES || x.value > 0),
          ),
      },
      { def: CATALOG.dnsResponseTime, collect: histogram(d, DNS_TIME_BUCKETS, DNS_RESPONSE_TIME_BUCKETS.length, DNS_TIME_SUM, DNS_TIME_COUNT) },
      { def: CATALOG.dnsUnanswered, collect: per(d, DNS_UNANSWERED) },
      { def: CATALOG.dnsTruncated, collect: per(d, DNS_TRUNCATED) },
      { def: CATALOG.dnsUnmatched, collect: per(d, DNS_UNMATCHED) },
      { def: CATALOG.dnsLate, collect: per(d, DNS_LATE) },
      { def: CATALOG.dnsRetransmitted, collect: per(d, DNS_RETRANSMITTED) },
      { def: CATALOG.dnsMalformed, collect: per(d, DNS_MALFORMED) },
      { def: CATALOG.dnsIcmpQuoted, collect: per(d, DNS_ICMP_QUOTED) },
      { def: CATALOG.dnsUntimed, collect: per(d, DNS_UNTIMED) },
      {
        def: CATALOG.dnsFragmented,
        collect: () =>
          names().flatMap((i, k) => fragmentResults.map(([result, at]) => ({ labels: { interface: i, result }, value: d().perInterface[k]?.[at] ?? 0 }))),
      },
      { def: CATALOG.dnsPending, collect: () => [{ labels: {}, value: d().pending }] },
      { def: CATALOG.dnsEvictions, collect: () => [{ labels: {}, value: d().evictions }] },
    );
  }
  if (enabled.tcp) {
    const t = () => tcp() ?? none;
    const results: readonly [string, number][] = [['established', TCP_ESTABLISHED], ['refused', TCP_REFUSED], ['timeout', TCP_TIMEOUT]];
    const fragmentResults: readonly [string, number][] = [['reassembled', TCP_FRAGMENTED_REASSEMBLED], ['incomplete', TCP_FRAGMENTED_INCOMPLETE]];
    out.push(
      { def: CATALOG.tcpHandshakeRtt, collect: histogram(t, TCP_RTT_BUCKETS, TCP_HANDSHAKE_RTT_BUCKETS.length, TCP_RTT_SUM, TCP_RTT_COUNT) },
      {
        def: CATALOG.tcpConnections,
        collect: () => names().flatMap((i, k) => results.map(([result, at]) => ({ labels: { interface: i, result }, value: t().perInterface[k]?.[at] ?? 0 }))),
      },
      { def: CATALOG.tcpRetransmissions, collect: per(t, TCP_RETRANSMISSIONS) },
      { def: CATALOG.tcpZeroWindow, collect: per(t, TCP_ZERO_WINDOW) },
      { def: CATALOG.tcpDataSegments, collect: per(t, TCP_DATA_SEGMENTS) },
      {
        def: CATALOG.tcpFragmented,
        collect: () =>
          names().flatMap((i, k) => fragmentResults.map(([result, at]) => ({ labels: { interface: i, result }, value: t().perInterface[k]?.[at] ?? 0 }))),
      },
      { def: CATALOG.tcpConnectionsTracked, collect: () => [{ labels: {}, value: t().connections }] },
      { def: CATALOG.tcpConnectionEvictions, collect: () => [{ labels: {}, value: t().evictions }] },
    );
  }
  return out;
}
