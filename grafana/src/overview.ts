import { FILTER, INSTANCE, INTERFACE, heatmap, stat, table, timeseries } from './panels';
import type { DashboardSpec } from './panels';

/** Overview: traffic, protocols, named filters, top talkers. */
export const overview: DashboardSpec = {
  uid: 'netmon-overview',
  title: 'netmon / Overview',
  description: 'Traffic seen by netmon: throughput, protocols, named filters and the top talkers.',
  variables: ['instance', 'interface', 'filter'],
  rows: [
    {
      title: 'Traffic',
      panels: [
        stat({
          title: 'Throughput now',
          description: 'Bits per second on the selected interfaces (5-minute rate, wire bytes with link headers).',
          unit: 'bps',
          width: 6,
          height: 4,
          queries: [{ expr: `sum(interface:netmon_bits:rate5m{${INTERFACE}})` }],
        }),
        stat({
          title: 'Packets now',
          description: 'Frames per second on the selected interfaces (5-minute rate).',
          unit: 'pps',
          width: 6,
          height: 4,
          queries: [{ expr: `sum(interface:netmon_packets:rate5m{${INTERFACE}})` }],
        }),
        stat({
          title: 'Active flows',
          description: 'Flows tracked by the flow table now (netmon_flows_active).',
          unit: 'short',
          width: 6,
          height: 4,
          queries: [{ expr: `sum(netmon_flows_active{${INSTANCE}})` }],
        }),
        stat({
          title: 'Captures up',
          description: 'Interfaces whose capture is open, out of those netmon captures.',
          unit: 'short',
          width: 6,
          height: 4,
          queries: [{ expr: `sum(netmon_capture_up{${INTERFACE}})`, legend: 'up' }, { expr: `count(netmon_capture_up{${INTERFACE}})`, legend: 'captured' }],
        }),
        timeseries({
          title: 'Throughput',
          description: 'Bits per second per interface (wire bytes, link header included).',
          unit: 'bps',
          queries: [{ expr: `8 * sum by (instance, interface) (rate(netmon_bytes_total{${INTERFACE}}[$__rate_interval]))`, legend: '{{instance}} {{interface}}' }],
        }),
        timeseries({
          title: 'Packets',
          description: 'Frames per second per interface.',
          unit: 'pps',
          queries: [{ expr: `sum by (instance, interface) (rate(netmon_packets_total{${INTERFACE}}[$__rate_interval]))`, legend: '{{instance}} {{interface}}' }],
        }),
        timeseries({
          title: 'TCP flags',
          description: 'TCP segments per second by flag (synack: SYN and ACK; syn: SYN without ACK).',
          unit: 'pps',
          queries: [{ expr: `sum by (flag) (rate(netmon_tcp_flags_total{${INTERFACE}}[$__rate_interval]))`, legend: '{{flag}}' }],
        }),
        heatmap({
          title: 'Packet size',
          description: 'Frames per second by wire length (netmon_packet_size_bytes buckets).',
          queries: [{ expr: `sum by (le) (rate(netmon_packet_size_bytes_bucket{${INTERFACE}}[$__rate_interval]))` }],
        }),
      ],
    },
    {
      title: 'Protocols',
      panels: [
        timeseries({
          title: 'Traffic by protocol',
          description: 'Bits per second of the per-flow series summed by IP protocol (recording rule instance_proto:netmon_flow_bits:rate5m); "other" is the overflow series of flows beyond flows.max_series.',
          unit: 'bps',
          stack: true,
          width: 24,
          queries: [{ expr: `sum by (proto) (instance_proto:netmon_flow_bits:rate5m{${INSTANCE}})`, legend: '{{proto}}' }],
        }),
      ],
    },
    {
      title: 'Named filters',
      panels: [
        timeseries({
          title: 'Named filters',
          description: 'Bits per second matching each named filter (filters: in the config); a packet counts in every filter it matches.',
          unit: 'bps',
          queries: [{ expr: `8 * sum by (filter) (rate(netmon_filter_bytes_total{${FILTER}}[$__rate_interval]))`, legend: '{{filter}}' }],
        }),
        timeseries({
          title: 'Named filters (packets)',
          description: 'Packets per second matching each named filter.',
          unit: 'pps',
          queries: [{ expr: `sum by (filter) (rate(netmon_filter_packets_total{${FILTER}}[$__rate_interval]))`, legend: '{{filter}}' }],
        }),
      ],
    },
    {
      title: 'Top talkers',
      panels: [
        timeseries({
          title: 'Top sources',
          description: 'The 5 source addresses sending the most bits per second through their own flow series (recording rule instance_src_ip:netmon_flow_bits:rate5m).',
          unit: 'bps',
          queries: [{ expr: `topk(5, sum by (src_ip) (instance_src_ip:netmon_flow_bits:rate5m{${INSTANCE}, src_ip!="other"}))`, legend: '{{src_ip}}' }],
        }),
        table({
          title: 'Top sources now',
          description: 'The 10 heaviest source addresses now, bits per second.',
          unit: 'bps',
          queries: [{ expr: `topk(10, sum by (instance, src_ip) (instance_src_ip:netmon_flow_bits:rate5m{${INSTANCE}, src_ip!="other"}))` }],
        }),
      ],
    },
  ],
};
