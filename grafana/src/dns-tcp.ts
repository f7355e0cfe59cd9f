import { INSTANCE, INTERFACE, heatmap, stat, table, timeseries } from './panels';
import type { DashboardSpec } from './panels';

/** DNS and TCP health: what netmon's protocol analysis (src/analysis) sees of resolvers and connections. */
export const dnsTcp: DashboardSpec = {
  uid: 'netmon-dns-tcp',
  title: 'netmon / DNS and TCP',
  description: 'Is DNS answering, and how fast? Are TCP connections completing, how long do handshakes take, are we retransmitting? From the packets netmon sees (DNS responses matched to their queries, Wireshark\'s TCP analysis).',
  variables: ['instance', 'interface'],
  rows: [
    {
      title: 'DNS',
      panels: [
        stat({
          title: 'DNS response time p95',
          description: '95th percentile of the time from a query to its response over 5 minutes (NetmonDnsLatencyHigh at 500 ms).',
          unit: 's',
          width: 6,
          height: 4,
          queries: [{ expr: `max(interface:netmon_dns_response_time_seconds:p95_5m{${INTERFACE}})` }],
        }),
        stat({
          title: 'SERVFAIL share',
          description: 'Share of DNS responses that are SERVFAIL over 5 minutes (NetmonDnsServfailRatio at 5%).',
          unit: 'percentunit',
          width: 6,
          height: 4,
          queries: [{ expr: `max(interface:netmon_dns_servfail:ratio_rate5m{${INTERFACE}})` }],
        }),
        stat({
          title: 'Unanswered share',
          description: 'Share of DNS queries without a response within dns.timeout over 5 minutes (NetmonDnsUnanswered at 5%).',
          unit: 'percentunit',
          width: 6,
          height: 4,
          queries: [{ expr: `max(interface:netmon_dns_unanswered:ratio_rate5m{${INTERFACE}})` }],
        }),
        stat({
          title: 'Queries waiting',
          description: 'DNS queries waiting for their response now (netmon_dns_pending_queries; the table holds dns.max_pending).',
          unit: 'short',
          width: 6,
          height: 4,
          queries: [{ expr: `sum(netmon_dns_pending_queries{${INSTANCE}})` }],
        }),
        timeseries({
          title: 'DNS responses by RCODE',
          description: 'DNS responses per second by response code (noerror, nxdomain, servfail, refused...).',
          unit: 'rps',
          stack: true,
          queries: [{ expr: `sum by (rcode) (rate(netmon_dns_responses_total{${INTERFACE}}[$__rate_interval]))`, legend: '{{rcode}}' }],
        }),
        timeseries({
          title: 'DNS response time quantiles',
          description: 'Median, 95th and 99th percentile of the DNS response time (from the histogram buckets: as precise as their bounds).',
          unit: 's',
          queries: [
            { expr: `histogram_quantile(0.5, sum by (le) (rate(netmon_dns_response_time_seconds_bucket{${INTERFACE}}[$__rate_interval])))`, legend: 'p50' },
            { expr: `histogram_quantile(0.95, sum by (le) (rate(netmon_dns_response_time_seconds_bucket{${INTERFACE}}[$__rate_interval])))`, legend: 'p95' },
            { expr: `histogram_quantile(0.99, sum by (le) (rate(netmon_dns_response_time_seconds_bucket{${INTERFACE}}[$__rate_interval])))`, legend: 'p99' },
          ],
        }),
        timeseries({
          title: 'DNS queries by type',
          description: 'DNS queries per second by the first question\'s type (retransmissions included).',
          unit: 'rps',
          stack: true,
          queries: [{ expr: `sum by (qtype) (rate(netmon_dns_queries_total{${INTERFACE}}[$__rate_interval]))`, legend: '{{qtype}}' }],
        }),
        timeseries({
          title: 'DNS trouble',
          description: 'Per second: queries unanswered within dns.timeout, queries retransmitted, late responses (after dns.timeout, within dns.late_window: timed, their query counted unanswered), responses without a waiting query, responses matched but untimed (cut by the snap length of a capture file, or shorter than a header), truncated (TC) responses, messages whose header was not captured; messages that came in IP fragments (reassembled, or lost: a fragment never came, NetmonDnsFragmentsLost), and messages quoted in ICMP errors (answers whose client was gone...).',
          unit: 'rps',
          queries: [
            { expr: `sum(rate(netmon_dns_unanswered_total{${INTERFACE}}[$__rate_interval]))`, legend: 'unanswered' },
            { expr: `sum(rate(netmon_dns_query_retransmissions_total{${INTERFACE}}[$__rate_interval]))`, legend: 'retransmitted queries' },
            { expr: `sum(rate(netmon_dns_late_responses_total{${INTERFACE}}[$__rate_interval]))`, legend: 'late responses' },
            { expr: `sum(rate(netmon_dns_unmatched_responses_total{${INTERFACE}}[$__rate_interval]))`, legend: 'unmatched responses' },
            { expr: `sum(rate(netmon_dns_untimed_responses_total{${INTERFACE}}[$__rate_interval]))`, legend: 'untimed responses' },
            { expr: `sum(rate(netmon_dns_truncated_responses_total{${INTERFACE}}[$__rate_interval]))`, legend: 'truncated responses' },
            { expr: `sum(rate(netmon_dns_malformed_total{${INTERFACE}}[$__rate_interval]))`, legend: 'malformed' },
            { expr: `sum by (result) (rate(netmon_dns_fragmented_messages_total{${INTERFACE}}[$__rate_interval]))`, legend: 'in fragments: {{result}}' },
            { expr: `sum(rate(netmon_dns_icmp_quoted_total{${INTERFACE}}[$__rate_interval]))`, legend: 'quoted in ICMP errors' },
          ],
        }),
        table({
          title: 'Failing and slow DNS servers now',
          description: 'The servers that sent most SERVFAIL responses (netmon_detect_dns_servfail), left most queries unanswered (netmon_detect_dns_unanswered), the mean response time of those clients waited on most (netmon_detect_dns_wait_seconds / netmon_detect_dns_timed_responses), and whose messages lost IP fragments (netmon_detect_dns_fragments_lost), within the detector window: who NetmonDnsServfailRatio, NetmonDnsUnanswered, NetmonDnsLatencyHigh and NetmonDnsFragmentsLost are about.',
          unit: 'short',
          queries: [
            { expr: `topk(5, netmon_detect_dns_servfail{${INSTANCE}})` },
            { expr: `topk(5, netmon_detect_dns_unanswered{${INSTANCE}})` },
            { expr: `topk(5, netmon_detect_dns_wait_seconds{${INSTANCE}} / netmon_detect_dns_timed_responses{${INSTANCE}})` },
            { expr: `topk(5, netmon_detect_dns_fragments_lost{${INSTANCE}})` },
          ],
        }),
        table({
          title: 'Failing query names now',
          description: 'The query names with most NXDOMAIN (netmon_detect_dns_nxdomain_names) and SERVFAIL (netmon_detect_dns_servfail_names) responses within the detector window: which names a SERVFAIL ratio or an NXDOMAIN burst is about. Empty unless detect.max_dns_names is above 0 (query names are off by default).',
          unit: 'short',
          queries: [
            { expr: `topk(10, netmon_detect_dns_nxdomain_names{${INSTANCE}})` },
            { expr: `topk(10, netmon_detect_dns_servfail_names{${INSTANCE}})` },
          ],
        }),
      ],
    },
    {
      title: 'TCP',
      panels: [
        heatmap({
          title: 'TCP handshake RTT',
          description: 'Handshakes per second by round-trip time, SYN to the ACK completing the handshake as seen where netmon captures (Wireshark\'s tcp.analysis.initial_rtt).',
          queries: [{ expr: `sum by (le) (rate(netmon_tcp_handshake_rtt_seconds_bucket{${INTERFACE}}[$__rate_interval]))` }],
        }),
        timeseries({
          title: 'TCP retransmission ratio',
          description: 'Retransmitted segments per segment with data, SYN or FIN, over 5 minutes (NetmonTcpRetransmitRatio at 5%).',
          unit: 'percentunit',
          min: 0,
          queries: [{ expr: `interface:netmon_tcp_retransmissions:ratio_rate5m{${INTERFACE}}`, legend: '{{instance}} {{interface}}' }],
        }),
        table({
          title: 'Retransmitting paths and unanswered SYNs now',
          description: 'The (source, destination) pairs with most retransmitted segments (netmon_detect_tcp_retransmissions; the source resent them) and the destinations with most SYNs left unanswered or refused (netmon_detect_syn_unanswered) within the detector window: who NetmonTcpRetransmitRatio and NetmonTcpConnectFailures are about.',
          unit: 'short',
          queries: [
            { expr: `topk(5, netmon_detect_tcp_retransmissions{${INSTANCE}})` },
            { expr: `topk(5, netmon_detect_syn_unanswered{${INSTANCE}})` },
          ],
        }),
        timeseries({
          title: 'TCP connections by result',
          description: 'Connection attempts per second: established, refused (RST answering the SYN), timeout (no answer within tcp.syn_timeout).',
          unit: 'ops',
          stack: true,
          queries: [{ expr: `sum by (result) (rate(netmon_tcp_connections_total{${INTERFACE}}[$__rate_interval]))`, legend: '{{result}}' }],
        }),
        timeseries({
          title: 'TCP handshake RTT quantiles',
          description: 'Median and 95th percentile of the handshake RTT.',
          unit: 's',
          queries: [
            { expr: `histogram_quantile(0.5, sum by (le) (rate(netmon_tcp_handshake_rtt_seconds_bucket{${INTERFACE}}[$__rate_interval])))`, legend: 'p50' },
            { expr: `histogram_quantile(0.95, sum by (le) (rate(netmon_tcp_handshake_rtt_seconds_bucket{${INTERFACE}}[$__rate_interval])))`, legend: 'p95' },
          ],
        }),
        timeseries({
          title: 'TCP retransmissions and zero windows',
          description: 'Retransmitted segments (timeout, fast and spurious) and segments advertising a zero window, per second; and segments that came in IP fragments (reassembled and analysed, or incomplete: a fragment never came), which are rare unless a scanner or an evasion tool fragments them.',
          unit: 'pps',
          queries: [
            { expr: `sum(rate(netmon_tcp_retransmissions_total{${INTERFACE}}[$__rate_interval]))`, legend: 'retransmissions' },
            { expr: `sum(rate(netmon_tcp_zero_window_total{${INTERFACE}}[$__rate_interval]))`, legend: 'zero windows' },
            { expr: `sum by (result) (rate(netmon_tcp_fragmented_segments_total{${INTERFACE}}[$__rate_interval]))`, legend: 'in fragments: {{result}}' },
          ],
        }),
        timeseries({
          title: 'TCP connections tracked',
          description: 'Connections in the TCP analyser\'s table (budget tcp.max_connections) and those dropped because it was full.',
          unit: 'short',
          queries: [
            { expr: `netmon_tcp_connections_tracked{${INSTANCE}}`, legend: '{{instance}} tracked' },
            { expr: `rate(netmon_tcp_connection_evictions_total{${INSTANCE}}[$__rate_interval])`, legend: '{{instance}} evicted/s' },
          ],
        }),
        timeseries({
          title: 'Packets analysed inside tunnels',
          description: 'Packets per second whose inner packet the DNS and TCP analysis decoded, by tunnel (IP in IP, GRE, VXLAN, Geneve, GTP-U; config tunnels). Zero on an overlay means its port is not configured (Flannel: VXLAN on 8472).',
          unit: 'pps',
          queries: [{ expr: `sum by (instance, tunnel) (rate(netmon_tunnel_packets_total{${INSTANCE}}[$__rate_interval]))`, legend: '{{instance}} {{tunnel}}' }],
        }),
      ],
    },
  ],
};
