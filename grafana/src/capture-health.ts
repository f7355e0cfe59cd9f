import { INSTANCE, INTERFACE, stat, stateTimeline, table, timeseries } from './panels';
import type { DashboardSpec } from './panels';

/** Capture health: drops, decode errors, budgets, scrape time, memory. */
export const captureHealth: DashboardSpec = {
  uid: 'netmon-capture-health',
  title: 'netmon / Capture health',
  description: "Whether netmon's numbers can be trusted: capture up, drops, decode errors, budgets, scrapes, memory and CPU of its two processes.",
  variables: ['instance', 'interface'],
  rows: [
    {
      title: 'Capture',
      panels: [
        stateTimeline({
          title: 'Capture up',
          description: '1 while the capture of the interface is open, 0 while netmon retries it (NetmonCaptureDown).',
          width: 24,
          height: 5,
          queries: [{ expr: `netmon_capture_up{${INTERFACE}}`, legend: '{{instance}} {{interface}}' }],
        }),
        timeseries({
          title: 'Dropped packets',
          description: 'Packets dropped before netmon saw them, per second: kernel (the capture ring was full) or interface (NIC/driver).',
          unit: 'pps',
          queries: [{ expr: `sum by (instance, interface, reason) (rate(netmon_capture_dropped_packets_total{${INTERFACE}}[$__rate_interval]))`, legend: '{{instance}} {{interface}} {{reason}}' }],
        }),
        timeseries({
          title: 'Drop share',
          description: 'Dropped packets as a share of those the capture received (pcap_stats).',
          unit: 'percentunit',
          min: 0,
          queries: [
            {
              expr: `sum by (instance, interface) (rate(netmon_capture_dropped_packets_total{${INTERFACE}}[$__rate_interval])) / sum by (instance, interface) (rate(netmon_capture_packets_received_total{${INTERFACE}}[$__rate_interval]))`,
              legend: '{{instance}} {{interface}}',
            },
          ],
        }),
        timeseries({
          title: 'Decode errors by layer',
          description: 'Frames per second whose headers were truncated or malformed, by the layer where decoding stopped (unsupported_link: link types netmon does not decode).',
          unit: 'pps',
          queries: [{ expr: `sum by (layer) (rate(netmon_decode_errors_total{${INSTANCE}}[$__rate_interval]))`, legend: '{{layer}}' }],
        }),
        timeseries({
          title: 'Packets received by the capture',
          description: 'pcap_stats received per second against the frames netmon counted.',
          unit: 'pps',
          queries: [
            { expr: `sum by (instance, interface) (rate(netmon_capture_packets_received_total{${INTERFACE}}[$__rate_interval]))`, legend: '{{instance}} {{interface}} received' },
            { expr: `sum by (instance, interface) (rate(netmon_packets_total{${INTERFACE}}[$__rate_interval]))`, legend: '{{instance}} {{interface}} counted' },
          ],
        }),
      ],
    },
    {
      title: 'Budgets',
      panels: [
        timeseries({
          title: 'Flows and flow series',
          description: 'Flows tracked (budget flows.max_flows) and flows exported as their own series (budget flows.max_series).',
          unit: 'short',
          queries: [
            { expr: `netmon_flows_active{${INSTANCE}}`, legend: '{{instance}} flows' },
            { expr: `netmon_flow_series{${INSTANCE}}`, legend: '{{instance}} series' },
          ],
        }),
        timeseries({
          title: 'Capacity evictions',
          description: 'Evictions per second because a table was full: the flow table (flows.max_flows), the detectors (detect.max_*), the TCP analyser (tcp.max_connections) and the DNS queries waiting (dns.max_pending).',
          unit: 'ops',
          queries: [
            { expr: `sum by (instance) (rate(netmon_flow_evictions_total{${INSTANCE}, reason="capacity"}[$__rate_interval]))`, legend: '{{instance}} flows' },
            { expr: `sum by (instance, detector) (rate(netmon_detect_evictions_total{${INSTANCE}}[$__rate_interval]))`, legend: '{{instance}} {{detector}}' },
            { expr: `sum by (instance) (rate(netmon_tcp_connection_evictions_total{${INSTANCE}}[$__rate_interval]))`, legend: '{{instance}} tcp connections' },
            { expr: `sum by (instance) (rate(netmon_dns_pending_evictions_total{${INSTANCE}}[$__rate_interval]))`, legend: '{{instance}} dns queries' },
          ],
        }),
      ],
    },
    {
      title: 'Sinks',
      panels: [
        timeseries({
          title: 'Sink up',
          description: '1 while a sink (sinks.postgres: sink="postgres" for flow records, "postgres_packets" for packet metadata) is connected to its database (NetmonSinkDown after 5 minutes at 0). Empty where no sink is configured.',
          min: 0,
          queries: [{ expr: `min by (instance, sink) (netmon_sink_up{${INSTANCE}})`, legend: '{{instance}} {{sink}}' }],
        }),
        timeseries({
          title: 'Sink rows per second',
          description: 'Rows committed (written), dropped (queue full, shutdown deadline, refused by the database: NetmonSinkDropping) and packets above packets.max_rate (rate_limited).',
          unit: 'rps',
          queries: [{ expr: `sum by (instance, sink, result) (rate(netmon_sink_records_total{${INSTANCE}}[$__rate_interval]))`, legend: '{{instance}} {{sink}} {{result}}' }],
        }),
        timeseries({
          title: 'Sink queue',
          description: 'Rows waiting for the database (bounded by max_queue).',
          unit: 'short',
          queries: [{ expr: `max by (instance, sink) (netmon_sink_queue_records{${INSTANCE}})`, legend: '{{instance}} {{sink}}' }],
        }),
        timeseries({
          title: 'Sink batch write time',
          description: 'Median and 99th percentile of the time to write one batch (one transaction), and failed or duplicate batch attempts per second.',
          unit: 's',
          queries: [
            { expr: `histogram_quantile(0.5, sum by (le, instance, sink) (rate(netmon_sink_write_seconds_bucket{${INSTANCE}}[$__rate_interval])))`, legend: '{{instance}} {{sink}} p50' },
            { expr: `histogram_quantile(0.99, sum by (le, instance, sink) (rate(netmon_sink_write_seconds_bucket{${INSTANCE}}[$__rate_interval])))`, legend: '{{instance}} {{sink}} p99' },
          ],
        }),
        timeseries({
          title: 'Sink failed and duplicate batches',
          description: 'Batch attempts per second that failed (retried with backoff) or found their batch already committed (duplicate: not written twice).',
          unit: 'ops',
          queries: [{ expr: `sum by (instance, sink, result) (rate(netmon_sink_batches_total{${INSTANCE}, result!="committed"}[$__rate_interval]))`, legend: '{{instance}} {{sink}} {{result}}' }],
        }),
      ],
    },
    {
      title: 'Scrapes and processes',
      panels: [
        timeseries({
          title: 'Scrape duration',
          description: "How long Prometheus' scrapes of netmon take, and how many samples they return.",
          unit: 's',
          queries: [{ expr: `scrape_duration_seconds{job="netmon", ${INSTANCE}}`, legend: '{{instance}}' }],
        }),
        timeseries({
          title: 'Samples per scrape',
          description: 'Samples in each scrape of netmon (most are flow series: flows.max_series).',
          unit: 'short',
          queries: [{ expr: `scrape_samples_scraped{job="netmon", ${INSTANCE}}`, legend: '{{instance}}' }],
        }),
        timeseries({
          title: 'Resident memory',
          description: 'Resident memory of the capture process (flow table, detectors) against its 250 MiB budget, and of the HTTP process.',
          unit: 'bytes',
          queries: [
            { expr: `netmon_capture_process_resident_memory_bytes{${INSTANCE}}`, legend: '{{instance}} capture' },
            { expr: `netmon_process_resident_memory_bytes{${INSTANCE}}`, legend: '{{instance}} http' },
            { expr: 'vector(250 * 1024 * 1024)', legend: 'budget (NetmonHighMemory at 90%)' },
          ],
        }),
        timeseries({
          title: 'CPU',
          description: 'CPU used by the capture process and the HTTP process (1 = one core).',
          unit: 'percentunit',
          queries: [
            { expr: `rate(netmon_capture_process_cpu_seconds_total{${INSTANCE}}[$__rate_interval])`, legend: '{{instance}} capture' },
            { expr: `rate(netmon_process_cpu_seconds_total{${INSTANCE}}[$__rate_interval])`, legend: '{{instance}} http' },
          ],
        }),
        stat({
          title: 'Up',
          description: "Prometheus' up for netmon (NetmonDown fires after 5 minutes at 0).",
          width: 6,
          height: 4,
          queries: [{ expr: `up{job="netmon", ${INSTANCE}}`, legend: '{{instance}}' }],
        }),
        table({
          title: 'Build',
          description: 'netmon and Node.js versions of each instance.',
          width: 18,
          height: 4,
          queries: [{ expr: `netmon_build_info{${INSTANCE}}` }],
        }),
      ],
    },
  ],
};
