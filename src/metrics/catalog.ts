import type { FamilyDef } from './family';

/**
 * Every metric family netmon exports, defined once. The names are part of the product: dashboards and
 * alerts depend on them. Adapters (prom-client, OpenTelemetry) read these definitions; the per-flow
 * families are rendered as text directly by the flow table for speed but are named here too.
 */
export const PACKET_SIZE_BUCKETS: readonly number[] = [64, 128, 256, 512, 1024, 1518, 4096, 9216, 65535];

export const TCP_FLAG_NAMES: readonly string[] = ['syn', 'synack', 'fin', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'];

/** Seconds; DNS answers from a local cache take well under a millisecond, recursion tens to hundreds. */
export const DNS_RESPONSE_TIME_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Seconds; from a LAN (~0.1 ms) to intercontinental and satellite paths. */
export const TCP_HANDSHAKE_RTT_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export const CATALOG = {
  buildInfo: { name: 'netmon_build_info', help: 'netmon build information; always 1.', type: 'gauge', labelNames: ['version', 'node_version'] },
  packets: { name: 'netmon_packets_total', help: 'Frames seen on the interface (or in the replayed file), decodable or not.', type: 'counter', labelNames: ['interface'] },
  bytes: { name: 'netmon_bytes_total', help: 'Original (wire) length of the frames seen, link header included.', type: 'counter', labelNames: ['interface'] },
  captureReceived: { name: 'netmon_capture_packets_received_total', help: 'Packets received by the capture (pcap_stats ps_recv, cumulative across reopenings).', type: 'counter', labelNames: ['interface'] },
  captureDropped: { name: 'netmon_capture_dropped_packets_total', help: 'Packets dropped before netmon saw them: reason="kernel" (ring buffer full, ps_drop) or "interface" (ps_ifdrop).', type: 'counter', labelNames: ['interface', 'reason'] },
  captureUp: { name: 'netmon_capture_up', help: '1 when capture on the interface is open, 0 while it is down and being retried.', type: 'gauge', labelNames: ['interface'] },
  captureProcessResidentMemory: { name: 'netmon_capture_process_resident_memory_bytes', help: 'Resident memory of the netmon run capture process (the child that reads the capture and counts packets; netmon_process_* describe the HTTP process).', type: 'gauge', labelNames: [] },
  captureProcessCpu: { name: 'netmon_capture_process_cpu_seconds_total', help: 'User and system CPU time of the netmon run capture process, seconds.', type: 'counter', labelNames: [] },
  decodeErrors: { name: 'netmon_decode_errors_total', help: 'Frames with a truncated or malformed header, by the layer where decoding stopped.', type: 'counter', labelNames: ['layer'] },
  captureFileErrors: { name: 'netmon_capture_file_errors_total', help: 'Capture files that ended with damage (truncated or corrupt) during replay.', type: 'counter', labelNames: ['file'] },
  flowsActive: { name: 'netmon_flows_active', help: 'Flows currently tracked in the flow table.', type: 'gauge', labelNames: [] },
  flowSeries: { name: 'netmon_flow_series', help: 'Flows exported now as their own netmon_flow_* series (excluding the overflow series).', type: 'gauge', labelNames: [] },
  flowEvictions: { name: 'netmon_flow_evictions_total', help: 'Flows ended by the flow table: reason="idle" (idle timeout), "active" (active timeout), "capacity" (table full).', type: 'counter', labelNames: ['reason'] },
  flowOverflowPackets: { name: 'netmon_flow_overflow_packets_total', help: 'Packets of active flows counted in the overflow series (flow labels "other") because the series budget was full.', type: 'counter', labelNames: [] },
  flowOverflowBytes: { name: 'netmon_flow_overflow_bytes_total', help: 'Bytes of active flows counted in the overflow series because the series budget was full.', type: 'counter', labelNames: [] },
  flowPackets: { name: 'netmon_flow_packets_total', help: 'Packets per unidirectional flow; labels "other" hold flows beyond flows.max_series.', type: 'counter', labelNames: ['src_ip', 'dst_ip', 'proto', 'src_port', 'dst_port'] },
  flowBytes: { name: 'netmon_flow_bytes_total', help: 'Original (wire) bytes per unidirectional flow; labels "other" hold flows beyond flows.max_series.', type: 'counter', labelNames: ['src_ip', 'dst_ip', 'proto', 'src_port', 'dst_port'] },
  filterPackets: { name: 'netmon_filter_packets_total', help: 'Packets matching each named filter (tcpdump syntax, config key filters).', type: 'counter', labelNames: ['filter'] },
  filterBytes: { name: 'netmon_filter_bytes_total', help: 'Original (wire) bytes of the packets matching each named filter.', type: 'counter', labelNames: ['filter'] },
  tcpFlags: { name: 'netmon_tcp_flags_total', help: 'TCP segments by flag (synack counts SYN+ACK; syn counts SYN without ACK).', type: 'counter', labelNames: ['interface', 'flag'] },
  packetSize: { name: 'netmon_packet_size_bytes', help: 'Distribution of original (wire) frame lengths.', type: 'histogram', labelNames: ['interface'], buckets: PACKET_SIZE_BUCKETS },
  // DNS analysis (src/analysis/dns-*.ts)
  dnsQueries: { name: 'netmon_dns_queries_total', help: 'DNS query messages seen (retransmissions included), by the first question\'s type.', type: 'counter', labelNames: ['interface', 'qtype'] },
  dnsResponses: { name: 'netmon_dns_responses_total', help: 'DNS response messages seen, by header RCODE.', type: 'counter', labelNames: ['interface', 'rcode'] },
  dnsResponseTime: { name: 'netmon_dns_response_time_seconds', help: 'Time from a DNS query to its response (matched by transaction id and both endpoints), as seen at the capture point.', type: 'histogram', labelNames: ['interface'], buckets: DNS_RESPONSE_TIME_BUCKETS },
  dnsUnanswered: { name: 'netmon_dns_unanswered_total', help: 'DNS queries that got no response within dns.timeout.', type: 'counter', labelNames: ['interface'] },
  dnsTruncated: { name: 'netmon_dns_truncated_responses_total', help: 'DNS responses with the TC (truncated) bit set.', type: 'counter', labelNames: ['interface'] },
  dnsUnmatched: { name: 'netmon_dns_unmatched_responses_total', help: 'DNS responses without a waiting query (query not seen, already answered, or timed out).', type: 'counter', labelNames: ['interface'] },
  dnsRetransmitted: { name: 'netmon_dns_query_retransmissions_total', help: 'DNS queries repeated (same id and endpoints) within 5 s of the unanswered original.', type: 'counter', labelNames: ['interface'] },
  dnsMalformed: { name: 'netmon_dns_malformed_total', help: 'Messages on a DNS port whose 12-byte header was not captured whole.', type: 'counter', labelNames: ['interface'] },
  dnsPending: { name: 'netmon_dns_pending_queries', help: 'DNS queries waiting for a response.', type: 'gauge', labelNames: [] },
  dnsEvictions: { name: 'netmon_dns_pending_evictions_total', help: 'Waiting DNS queries dropped because the pending table was full (dns.max_pending).', type: 'counter', labelNames: [] },
  // TCP analysis (src/analysis/tcp-*.ts)
  tcpHandshakeRtt: { name: 'netmon_tcp_handshake_rtt_seconds', help: 'TCP handshake round trip as seen at the capture point: SYN to the first segment with ACK without SYN (Wireshark tcp.analysis.initial_rtt).', type: 'histogram', labelNames: ['interface'], buckets: TCP_HANDSHAKE_RTT_BUCKETS },
  tcpConnections: { name: 'netmon_tcp_connections_total', help: 'TCP connection attempts (SYN seen) by result: established, refused (RST answering the SYN), timeout (no answer within tcp.syn_timeout).', type: 'counter', labelNames: ['interface', 'result'] },
  tcpRetransmissions: { name: 'netmon_tcp_retransmissions_total', help: 'TCP segments that are retransmissions, fast or spurious ones included (Wireshark tcp.analysis.retransmission).', type: 'counter', labelNames: ['interface'] },
  tcpZeroWindow: { name: 'netmon_tcp_zero_window_total', help: 'TCP segments advertising a zero receive window (Wireshark tcp.analysis.zero_window).', type: 'counter', labelNames: ['interface'] },
  tcpDataSegments: { name: 'netmon_tcp_data_segments_total', help: 'TCP segments with payload, SYN or FIN: those that can be retransmissions (the ratio\'s denominator).', type: 'counter', labelNames: ['interface'] },
  tcpConnectionsTracked: { name: 'netmon_tcp_connections_tracked', help: 'TCP connections in the analyser\'s table.', type: 'gauge', labelNames: [] },
  tcpConnectionEvictions: { name: 'netmon_tcp_connection_evictions_total', help: 'TCP connections dropped from the analyser\'s table because it was full (tcp.max_connections).', type: 'counter', labelNames: [] },
} as const satisfies Record<string, FamilyDef>;
