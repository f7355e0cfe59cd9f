import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { INSTANCE, table, timeseries } from './panels';
import type { DashboardSpec } from './panels';

/** Flows and threats: the detectors' top sources and targets, top flows, overflow, evictions. */
export const flowsThreats: DashboardSpec = {
  uid: 'netmon-flows-threats',
  title: 'netmon / Flows and threats',
  description: 'Who attacks whom (netmon\'s detectors: SYN floods, port scans, host sweeps, RST sources) and the flows netmon tracks: top flows, the overflow series, evictions.',
  variables: ['instance', 'interface'],
  extraVariables: [
    new dashboard.TextBoxVariableBuilder('max_flows').label('flows.max_flows').description("netmon's flows.max_flows (not exported as a metric)").defaultValue('500000').current({ text: '500000', value: '500000' }),
    new dashboard.TextBoxVariableBuilder('max_series').label('flows.max_series').description("netmon's flows.max_series (not exported as a metric)").defaultValue('5000').current({ text: '5000', value: '5000' }),
  ],
  rows: [
    {
      title: 'Threats (detector window: detect.window)',
      panels: [
        timeseries({
          title: 'SYN flood targets',
          description: 'SYNs each destination did not answer with a SYN-ACK within the detector window, for the top destinations (netmon_detect_syn_unanswered; dst_port "*": spread over ports). NetmonSynFlood fires above the threshold line.',
          unit: 'short',
          queries: [
            { expr: `netmon_detect_syn_unanswered{${INSTANCE}}`, legend: '{{instance}} {{dst_ip}} port {{dst_port}}' },
            { expr: 'netmon:threshold:syn_flood_unanswered', legend: 'threshold' },
          ],
        }),
        timeseries({
          title: 'Port scan sources',
          description: 'Distinct (destination, port) contacts each source opened within the detector window, for the top sources (netmon_detect_scan_ports). NetmonPortScan fires above the threshold line (on few hosts).',
          unit: 'short',
          queries: [
            { expr: `netmon_detect_scan_ports{${INSTANCE}}`, legend: '{{instance}} {{src_ip}}' },
            { expr: 'netmon:threshold:port_scan_ports', legend: 'threshold' },
          ],
        }),
        timeseries({
          title: 'Host sweep sources',
          description: 'Distinct destinations each source opened contacts with within the detector window (netmon_detect_scan_hosts). NetmonHostSweep fires above the threshold line.',
          unit: 'short',
          queries: [
            { expr: `netmon_detect_scan_hosts{${INSTANCE}}`, legend: '{{instance}} {{src_ip}}' },
            { expr: 'netmon:threshold:host_sweep_hosts', legend: 'threshold' },
          ],
        }),
        timeseries({
          title: 'RST sources',
          description: 'TCP segments with RST each source sent within the detector window, for the top sources (netmon_detect_rst_sent).',
          unit: 'short',
          queries: [{ expr: `netmon_detect_rst_sent{${INSTANCE}}`, legend: '{{instance}} {{src_ip}}' }],
        }),
        timeseries({
          title: 'TCP resets per interface',
          description: 'RST segments per second (5-minute rate) and their share of the segments with SYN or ACK. NetmonTcpResetStorm fires when both are high.',
          unit: 'pps',
          queries: [
            { expr: 'interface:netmon_tcp_rst:rate5m{instance=~"$instance", interface=~"$interface"}', legend: '{{instance}} {{interface}} RST/s' },
            { expr: 'interface:netmon_tcp_rst:rate5m{instance=~"$instance", interface=~"$interface"} / interface:netmon_tcp_segments:rate5m{instance=~"$instance", interface=~"$interface"}', legend: '{{instance}} {{interface}} share' },
          ],
        }),
        table({
          title: 'Attackers and targets now',
          description: 'The top entry of each detector now.',
          unit: 'short',
          queries: [
            { expr: `topk(5, netmon_detect_syn_unanswered{${INSTANCE}})` },
            { expr: `topk(5, netmon_detect_scan_ports{${INSTANCE}})` },
            { expr: `topk(5, netmon_detect_scan_hosts{${INSTANCE}})` },
          ],
        }),
        timeseries({
          title: 'Detector keys',
          description: 'Keys each detector tracks now: contacts (scan), destinations (syn_flood), sources (resets), DNS servers (dns_servers), address pairs (retransmissions), failing query names (dns_names), against their budgets detect.max_contacts, max_targets, max_sources, max_dns_names.',
          unit: 'short',
          queries: [{ expr: `netmon_detect_keys{${INSTANCE}}`, legend: '{{instance}} {{detector}}' }],
        }),
        timeseries({
          title: 'Detector evictions',
          description: 'Keys evicted per second because a detector table was full (a flood larger than its budget: the oldest one-off keys go first).',
          unit: 'ops',
          queries: [{ expr: `sum by (instance, detector) (rate(netmon_detect_evictions_total{${INSTANCE}}[$__rate_interval]))`, legend: '{{instance}} {{detector}}' }],
        }),
      ],
    },
    {
      title: 'Flows',
      panels: [
        table({
          title: 'Top flows by bytes/s',
          description: 'The 20 flows with their own series that carried the most bytes per second over the time range (the overflow series excluded).',
          unit: 'Bps',
          width: 24,
          queries: [{ expr: `topk(20, rate(netmon_flow_bytes_total{${INSTANCE}, src_ip!="other"}[$__range]))` }],
        }),
        timeseries({
          title: 'Overflow share',
          description: 'Share of the bytes counted only in the overflow series because flows.max_series is reached (recording rule instance:netmon_flow_overflow_bytes:ratio_rate5m).',
          unit: 'percentunit',
          min: 0,
          queries: [{ expr: `instance:netmon_flow_overflow_bytes:ratio_rate5m{${INSTANCE}}`, legend: '{{instance}}' }],
        }),
        timeseries({
          title: 'Flow evictions by reason',
          description: 'Flows ended per second: idle (idle timeout), active (active timeout), capacity (flow table full).',
          unit: 'ops',
          queries: [{ expr: `sum by (reason) (rate(netmon_flow_evictions_total{${INSTANCE}}[$__rate_interval]))`, legend: '{{reason}}' }],
        }),
        timeseries({
          title: 'Flows active vs flows.max_flows',
          description: 'Flows tracked now against the memory budget (set the max_flows variable to your flows.max_flows).',
          unit: 'short',
          queries: [
            { expr: `netmon_flows_active{${INSTANCE}}`, legend: '{{instance}} active' },
            { expr: 'vector($max_flows)', legend: 'flows.max_flows' },
          ],
        }),
        timeseries({
          title: 'Flow series vs flows.max_series',
          description: 'Flows exported as their own series against the series budget (set the max_series variable to your flows.max_series).',
          unit: 'short',
          queries: [
            { expr: `netmon_flow_series{${INSTANCE}}`, legend: '{{instance}} series' },
            { expr: 'vector($max_series)', legend: 'flows.max_series' },
          ],
        }),
      ],
    },
  ],
};
