import { SINK_WRITE_BUCKETS } from '../sinks/sink-stats';
import type { FamilyDef } from './family';

/**
 * Every metric family netmon exports, defined once. The names are part of the product: dashboards and
 * alerts depend on them. Adapters (prom-client, OpenTelemetry) read these definitions; the per-flow
 * families are rendered as text directly by the flow table for speed but are named here too.
 */
export const PACKET_SIZE_BUCKETS: readonly number[] = [64, 128, 256, 512, 1024, 1518, 4096, 9216, 65535];

export const OTLP_EXPORT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

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
  tunnelPackets: { name: 'netmon_tunnel_packets_total', help: 'Packets inside tunnels (IP in IP, GRE, and over UDP VXLAN, Geneve, GTP-U, L2TP, Teredo, VXLAN-GPE, GRE, MPLS) that the DNS and TCP analysis decoded and analysed, by tunnel; a tunnel inside another counts at each level.', type: 'counter', labelNames: ['tunnel'] },
  captureFileErrors: { name: 'netmon_capture_file_errors_total', help: 'Capture files that ended with damage (truncated or corrupt) during replay.', type: 'counter', labelNames: ['file'] },
  flowsActive: { name: 'netmon_flows_active', help: 'Flows currently tracked in the flow table.', type: 'gauge', labelNames: [] },
  flowSeries: { name: 'netmon_flow_series', help: 'Flows exported now as their own netmon_flow_* series (excluding the overflow series).', type: 'gauge', labelNames: [] },
  flowEvictions: { name: 'netmon_flow_evictions_total', help: 'Flows ended by the flow table: reason="idle" (idle timeout), "active" (active timeout), "capacity" (table full).', type: 'counter', labelNames: ['reason'] },
  flowOverflowPackets: { name: 'netmon_flow_overflow_packets_total', help: 'Packets of active flows counted in the overflow series (flow labels "other") because the series budget was full.', type: 'counter', labelNames: [] },
  flowOverflowBytes: { name: 'netmon_flow_overflow_bytes_total', help: 'Bytes of active flows counted in the overflow series because the series budget was full.', type: 'counter', labelNames: [] },
  flowPackets: { name: 'netmon_flow_packets_total', help: 'Packets per unidirectional flow; labels "other" hold flows beyond flows.max_series.', type: 'counter', labelNames: ['src_ip', 'dst_ip', 'proto', 'src_port', 'dst_port'] },
  flowBytes: { name: 'netmon_flow_bytes_total', help: 'Original (wire) bytes per unidirectional flow; labels "other" hold flows beyond flows.max_series.', type: 'counter', labelNames: ['src_ip', 'dst_ip', 'proto', 'src_port', 'dst_port'] },
  flowRecordsDropped: { name: 'netmon_flow_records_dropped_total', help: 'Ended flow records the capture process could not hand to the outputs (sinks, streams) because its batch pool or IPC backlog was full.', type: 'counter', labelNames: [] },
  streamClients: { name: 'netmon_stream_clients', help: 'Clients connected now to a stream of the API: stream="flows" (/api/v1/flows/stream) or "packets" (/api/v1/packets/stream).', type: 'gauge', labelNames: ['stream'] },
  streamClientsDropped: { name: 'netmon_stream_clients_dropped_total', help: 'Stream clients refused or cut off: reason="buffer_full" (fell further behind than its buffer), "stalled" (took nothing while data waited), "max_clients" (refused: api.max_clients reached).', type: 'counter', labelNames: ['stream', 'reason'] },
  streamSent: { name: 'netmon_stream_sent_total', help: 'Flow records (stream="flows") or packets (stream="packets") written to stream clients.', type: 'counter', labelNames: ['stream'] },
  streamLost: { name: 'netmon_stream_lost_total', help: 'Flow records or packets a stream client was owed and did not get: its buffer overflowed or it was cut off, or (packets) its rate cap or the capture side had no room for them.', type: 'counter', labelNames: ['stream'] },
  filterPackets: { name: 'netmon_filter_packets_total', help: 'Packets matching each named filter (tcpdump syntax, config key filters).', type: 'counter', labelNames: ['filter'] },
  filterBytes: { name: 'netmon_filter_bytes_total', help: 'Original (wire) bytes of the packets matching each named filter.', type: 'counter', labelNames: ['filter'] },
  tcpFlags: { name: 'netmon_tcp_flags_total', help: 'TCP segments by flag (synack counts SYN+ACK; syn counts SYN without ACK).', type: 'counter', labelNames: ['interface', 'flag'] },
  packetSize: { name: 'netmon_packet_size_bytes', help: 'Distribution of original (wire) frame lengths.', type: 'histogram', labelNames: ['interface'], buckets: PACKET_SIZE_BUCKETS },
  detectWindow: { name: 'netmon_detect_window_seconds', help: 'Length of the sliding window of the detectors (detect.window): the netmon_detect_* gauges count within it.', type: 'gauge', labelNames: [] },
  detectScanPorts: { name: 'netmon_detect_scan_ports', help: 'Distinct (destination, protocol, port) contacts the source opened (TCP without ACK or RST, UDP to a lower port, ICMP echo) within the window; the detect.top_n sources with most.', type: 'gauge', labelNames: ['src_ip'] },
  detectScanHosts: { name: 'netmon_detect_scan_hosts', help: 'Distinct destinations the source opened contacts with within the window; the detect.top_n sources with most.', type: 'gauge', labelNames: ['src_ip'] },
  detectSynUnanswered: { name: 'netmon_detect_syn_unanswered', help: 'SYNs sent to the destination minus SYN-ACKs it sent within the window; dst_port is the port with at least half of them, or "*"; the detect.top_n destinations with most.', type: 'gauge', labelNames: ['dst_ip', 'dst_port'] },
  detectRstSent: { name: 'netmon_detect_rst_sent', help: 'TCP segments with RST the source sent within the window; the detect.top_n sources with most.', type: 'gauge', labelNames: ['src_ip'] },
  detectDnsServfail: { name: 'netmon_detect_dns_servfail', help: 'DNS responses with RCODE SERVFAIL the server sent within the window; the detect.top_n servers with most.', type: 'gauge', labelNames: ['server_ip'] },
  detectDnsUnanswered: { name: 'netmon_detect_dns_unanswered', help: 'DNS queries to the server that got no response within dns.timeout, counted within the window; the detect.top_n servers with most.', type: 'gauge', labelNames: ['server_ip'] },
  detectDnsWait: { name: 'netmon_detect_dns_wait_seconds', help: 'Sum of the response times of the server\'s timed DNS responses within the window: the detect.top_n servers clients waited on most.', type: 'gauge', labelNames: ['server_ip'] },
  detectDnsTimed: { name: 'netmon_detect_dns_timed_responses', help: 'Timed DNS responses of the servers of netmon_detect_dns_wait_seconds within the window (divide the two for their mean response time).', type: 'gauge', labelNames: ['server_ip'] },
  detectDnsFragmentsLost: { name: 'netmon_detect_dns_fragments_lost', help: 'DNS messages from or to the server that came in IP fragments of which one never came (as result="incomplete" of the fragmented messages counter), within the window; the detect.top_n servers with most.', type: 'gauge', labelNames: ['server_ip'] },
  detectTcpRetransmissions: { name: 'netmon_detect_tcp_retransmissions', help: 'TCP segments from src_ip to dst_ip the TCP analysis found retransmitted within the window; the detect.top_n pairs with most.', type: 'gauge', labelNames: ['src_ip', 'dst_ip'] },
  detectDnsNxdomainNames: { name: 'netmon_detect_dns_nxdomain_names', help: 'DNS responses with RCODE NXDOMAIN for the query name within the window; the detect.top_n names with most (only with detect.max_dns_names above 0: names are off by default).', type: 'gauge', labelNames: ['name'] },
  detectDnsServfailNames: { name: 'netmon_detect_dns_servfail_names', help: 'DNS responses with RCODE SERVFAIL for the query name within the window; the detect.top_n names with most (only with detect.max_dns_names above 0: names are off by default).', type: 'gauge', labelNames: ['name'] },
  detectKeys: { name: 'netmon_detect_keys', help: 'Keys each detector tracks now: contacts (scan), destinations (syn_flood), sources (resets), DNS servers (dns_servers), address pairs (retransmissions), failing query names (dns_names).', type: 'gauge', labelNames: ['detector'] },
  detectEvictions: { name: 'netmon_detect_evictions_total', help: 'Keys a detector evicted because its table was full (detect.max_contacts, max_targets, max_sources, max_dns_names).', type: 'counter', labelNames: ['detector'] },
  sinkRecords: { name: 'netmon_sink_records_total', help: 'Rows of a sink (sink="postgres": flow records, "postgres_packets": packet metadata): result="written" (committed once), "dropped" (queue full, shutdown deadline, or refused by the database), "rate_limited" (packets above max_rate, not handed to the sink).', type: 'counter', labelNames: ['sink', 'result'] },
  sinkBatches: { name: 'netmon_sink_batches_total', help: 'Batch write attempts of a sink: result="committed", "failed" (retried with backoff), "duplicate" (a retry found its batch already committed: not written twice).', type: 'counter', labelNames: ['sink', 'result'] },
  sinkQueue: { name: 'netmon_sink_queue_records', help: 'Rows waiting in the sink queue (bounded by max_queue), the batch being written included.', type: 'gauge', labelNames: ['sink'] },
  sinkWriteSeconds: { name: 'netmon_sink_write_seconds', help: 'Time to write one batch (one transaction) that committed, seconds.', type: 'histogram', labelNames: ['sink'], buckets: SINK_WRITE_BUCKETS },
  sinkUp: { name: 'netmon_sink_up', help: '1 while the sink is connected to its database, 0 while it is down and being retried.', type: 'gauge', labelNames: ['sink'] },
  otlpExports: { name: 'netmon_otlp_exports_total', help: 'OTLP exports: result="success", "failed" (the collector refused it or could not be reached, retries with backoff included; dropped), "timeout" (not done within otlp.timeout; dropped), "skipped" (the previous export was still in flight).', type: 'counter', labelNames: ['result'], unit: '{export}' },
  otlpExportSeconds: { name: 'netmon_otlp_export_seconds', help: 'Time one OTLP export took, snapshot, encoding and retries included, seconds.', type: 'histogram', labelNames: [], buckets: OTLP_EXPORT_BUCKETS },
  // DNS analysis (src/analysis/dns-*.ts)
  dnsQueries: { name: 'netmon_dns_queries_total', help: 'DNS query messages seen (retransmissions included), by the first question\'s type.', type: 'counter', labelNames: ['interface', 'qtype'] },
  dnsResponses: { name: 'netmon_dns_responses_total', help: 'DNS response messages seen, by header RCODE.', type: 'counter', labelNames: ['interface', 'rcode'] },
  dnsResponseTime: { name: 'netmon_dns_response_time_seconds', help: 'Time from a DNS query to its response (matched by transaction id and both endpoints), as seen at the capture point.', type: 'histogram', labelNames: ['interface'], buckets: DNS_RESPONSE_TIME_BUCKETS },
  dnsUnanswered: { name: 'netmon_dns_unanswered_total', help: 'DNS queries that got no response within dns.timeout (queries to a multicast group, mDNS and LLMNR, never count).', type: 'counter', labelNames: ['interface'] },
  dnsTruncated: { name: 'netmon_dns_truncated_responses_total', help: 'DNS responses with the TC (truncated) bit set.', type: 'counter', labelNames: ['interface'] },
  dnsUnmatched: { name: 'netmon_dns_unmatched_responses_total', help: 'DNS responses without a waiting query (query not seen, already answered, or older than dns.timeout + dns.late_window).', type: 'counter', labelNames: ['interface'] },
  dnsLate: { name: 'netmon_dns_late_responses_total', help: 'DNS responses that came after dns.timeout, within dns.late_window: their query counted as unanswered, and they are timed (as Wireshark times any response).', type: 'counter', labelNames: ['interface'] },
  dnsRetransmitted: { name: 'netmon_dns_query_retransmissions_total', help: 'DNS queries repeated (same id and endpoints) within 5 s of the unanswered original.', type: 'counter', labelNames: ['interface'] },
  dnsMalformed: { name: 'netmon_dns_malformed_total', help: 'Messages on a DNS port whose 12-byte header was not captured whole.', type: 'counter', labelNames: ['interface'] },
  dnsFragmented: { name: 'netmon_dns_fragmented_messages_total', help: 'DNS messages in IP fragments: result="reassembled" (analysed once complete, at the fragment completing them), "incomplete" (first fragment seen, a fragment never came within 30 s, or dns.max_fragmented datagrams were in reassembly).', type: 'counter', labelNames: ['interface', 'result'] },
  dnsIcmpQuoted: { name: 'netmon_dns_icmp_quoted_total', help: 'DNS messages quoted in ICMP errors (a port unreachable for an answer its client no longer waited for...): also counted by qtype or rcode, as tshark counts them, never timed.', type: 'counter', labelNames: ['interface'] },
  dnsUntimed: { name: 'netmon_dns_untimed_responses_total', help: 'DNS responses matched to their query but not timed, as tshark gives them no dns.time: the snap length of a capture file cut them before the end of their records, or they are shorter than a DNS header (id and flags only). In `netmon run` the snap length is netmon\'s own: cut responses are timed there.', type: 'counter', labelNames: ['interface'] },
  dnsPending: { name: 'netmon_dns_pending_queries', help: 'DNS queries waiting for a response.', type: 'gauge', labelNames: [] },
  dnsEvictions: { name: 'netmon_dns_pending_evictions_total', help: 'Waiting DNS queries dropped because the pending table was full (dns.max_pending).', type: 'counter', labelNames: [] },
  // TCP analysis (src/analysis/tcp-*.ts)
  tcpHandshakeRtt: { name: 'netmon_tcp_handshake_rtt_seconds', help: 'TCP handshake round trip as seen at the capture point: SYN to the first segment with ACK without SYN (Wireshark tcp.analysis.initial_rtt).', type: 'histogram', labelNames: ['interface'], buckets: TCP_HANDSHAKE_RTT_BUCKETS },
  tcpConnections: { name: 'netmon_tcp_connections_total', help: 'TCP connection attempts (SYN seen) by result: established, refused (RST answering the SYN), timeout (no answer within tcp.syn_timeout).', type: 'counter', labelNames: ['interface', 'result'] },
  tcpRetransmissions: { name: 'netmon_tcp_retransmissions_total', help: 'TCP segments that are retransmissions, fast or spurious ones included (Wireshark tcp.analysis.retransmission).', type: 'counter', labelNames: ['interface'] },
  tcpZeroWindow: { name: 'netmon_tcp_zero_window_total', help: 'TCP segments advertising a zero receive window (Wireshark tcp.analysis.zero_window).', type: 'counter', labelNames: ['interface'] },
  tcpDataSegments: { name: 'netmon_tcp_data_segments_total', help: 'TCP segments with payload, SYN or FIN: those that can be retransmissions (the ratio\'s denominator).', type: 'counter', labelNames: ['interface'] },
  tcpFragmented: { name: 'netmon_tcp_fragmented_segments_total', help: 'TCP segments in IP fragments: result="reassembled" (analysed once complete, at the fragment completing them), "incomplete" (a fragment never came within 30 s, or tcp.max_fragmented datagrams were in reassembly).', type: 'counter', labelNames: ['interface', 'result'] },
  tcpConnectionsTracked: { name: 'netmon_tcp_connections_tracked', help: 'TCP connections in the analyser\'s table.', type: 'gauge', labelNames: [] },
  tcpConnectionEvictions: { name: 'netmon_tcp_connection_evictions_total', help: 'TCP connections dropped from the analyser\'s table because it was full (tcp.max_connections).', type: 'counter', labelNames: [] },
} as const satisfies Record<string, FamilyDef>;

/**
 * OpenTelemetry units (UCUM) of the families above whose name does not say it; a name ending in
 * _bytes (or _bytes_total) is `By`, in _seconds `s`, and a family may also set `unit` itself.
 */
export const FAMILY_UNITS: Readonly<Record<string, string>> = {
  netmon_packets_total: '{packet}',
  netmon_capture_packets_received_total: '{packet}',
  netmon_capture_dropped_packets_total: '{packet}',
  netmon_decode_errors_total: '{packet}',
  netmon_tunnel_packets_total: '{packet}',
  netmon_capture_file_errors_total: '{file}',
  netmon_flows_active: '{flow}',
  netmon_flow_series: '{series}',
  netmon_flow_evictions_total: '{flow}',
  netmon_flow_overflow_packets_total: '{packet}',
  netmon_flow_packets_total: '{packet}',
  netmon_flow_records_dropped_total: '{record}',
  netmon_filter_packets_total: '{packet}',
  netmon_tcp_flags_total: '{segment}',
  netmon_detect_scan_ports: '{contact}',
  netmon_detect_scan_hosts: '{host}',
  netmon_detect_syn_unanswered: '{segment}',
  netmon_detect_rst_sent: '{segment}',
  netmon_detect_dns_servfail: '{response}',
  netmon_detect_dns_unanswered: '{query}',
  netmon_detect_dns_timed_responses: '{response}',
  netmon_detect_dns_fragments_lost: '{message}',
  netmon_detect_tcp_retransmissions: '{segment}',
  netmon_detect_keys: '{key}',
  netmon_detect_evictions_total: '{key}',
  netmon_stream_clients: '{client}',
  netmon_stream_clients_dropped_total: '{client}',
  netmon_stream_sent_total: '{record}',
  netmon_stream_lost_total: '{record}',
  netmon_sink_records_total: '{record}',
  netmon_sink_batches_total: '{batch}',
  netmon_sink_queue_records: '{record}',
  netmon_dns_queries_total: '{query}',
  netmon_dns_responses_total: '{response}',
  netmon_dns_unanswered_total: '{query}',
  netmon_dns_truncated_responses_total: '{response}',
  netmon_dns_unmatched_responses_total: '{response}',
  netmon_dns_late_responses_total: '{response}',
  netmon_dns_query_retransmissions_total: '{query}',
  netmon_dns_malformed_total: '{message}',
  netmon_dns_fragmented_messages_total: '{message}',
  netmon_dns_icmp_quoted_total: '{message}',
  netmon_dns_untimed_responses_total: '{response}',
  netmon_dns_pending_queries: '{query}',
  netmon_dns_pending_evictions_total: '{query}',
  netmon_tcp_connections_total: '{connection}',
  netmon_tcp_retransmissions_total: '{segment}',
  netmon_tcp_zero_window_total: '{segment}',
  netmon_tcp_data_segments_total: '{segment}',
  netmon_tcp_connections_tracked: '{connection}',
  netmon_tcp_connection_evictions_total: '{connection}',
};
