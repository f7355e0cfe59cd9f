import { Detectors } from '../analysis/detectors';
import { NetmonError } from '../errors';
import type { NetmonConfig } from '../config/schema';
import type * as CompileFilter from '../filter/compile-filter';
import { DnsAnalyzer } from '../analysis/dns-analyzer';
import { TcpAnalyzer } from '../analysis/tcp-analyzer';
import { FlowTable } from '../flow/flow-table';
import type { FlowRecordHook } from '../flow/flow-table';
import type { Logger } from '../log';
import { PacketPipeline } from './packet-pipeline';
import type { NamedFilters } from './packet-pipeline';

/** A problem with one named filter, for check-config and start-up messages. */
export interface FilterProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Compiles every named filter into one counting function; returns it and the problems (all of
 * them, not just the first: every filter is parsed before any code is generated). `filters.set`
 * is null when there are problems or no filters.
 */
export function compileNamedFilters(config: NetmonConfig): { filters: NamedFilters; problems: FilterProblem[] } {
  const problems: FilterProblem[] = [];
  const entries = Object.entries(config.filters);
  if (entries.length === 0) return { filters: { names: [], set: null, packets: new Float64Array(0), bytes: new Float64Array(0) }, problems };
  // The filter compiler (17 modules) is loaded only when filters are configured.
  const { compileFilterSet, parseNamedFilter, FilterError } = require('../filter/compile-filter') as typeof CompileFilter;
  const parsed: CompileFilter.ParsedFilter[] = [];
  for (const [name, entry] of entries) {
    const expr = typeof entry === 'string' ? entry : entry.expr;
    try {
      parsed.push(parseNamedFilter(name, expr));
    } catch (err) {
      if (!(err instanceof FilterError)) throw err;
      problems.push({ path: `filters.${name}${typeof entry === "string" ? "" : ".expr"}`, message: (err as Error).message });
    }
  }
  const names = parsed.map((f) => f.name);
  const packets = new Float64Array(names.length);
  const bytes = new Float64Array(names.length);
  if (problems.length > 0) return { filters: { names, set: null, packets, bytes }, problems };
  return { filters: { names, set: compileFilterSet(parsed, packets, bytes), packets, bytes }, problems };
}

/** Builds the per-packet pipeline from a validated configuration; a bad filter is a start-up error (exit 2). */
export function buildPipeline(config: NetmonConfig, configName: string, log: Logger, onRecord?: FlowRecordHook): PacketPipeline {
  const { filters, problems } = compileNamedFilters(config);
  if (problems.length > 0) {
    throw new NetmonError(
      'NETMON_ERR_FILTER_INVALID',
      problems.map((p) => `invalid configuration: ${configName}: ${p.path}: ${p.message}`).join('\n'),
    );
  }
  const flows = new FlowTable(
    {
      idleTimeout: config.flows.idle_timeout,
      activeTimeout: config.flows.active_timeout,
      maxFlows: config.flows.max_flows,
      maxSeries: config.flows.max_series,
      labels: config.flows.labels,
      aggregate: config.flows.aggregate,
    },
    onRecord,
  );
  const d = config.detect;
  const detectors = d.enabled
    ? new Detectors({ window: d.window, topN: d.top_n, maxContacts: d.max_contacts, maxTargets: d.max_targets, maxSources: d.max_sources, maxDnsNames: d.max_dns_names })
    : null;
  const n = config.dns;
  const t = config.tcp;
  const tcp = t.enabled ? new TcpAnalyzer({ maxConnections: t.max_connections, idleTimeout: t.idle_timeout, establishedTimeout: t.established_timeout, synTimeout: t.syn_timeout, maxFragmented: t.max_fragmented }) : null;
  if (tcp !== null && flows.exactKeys) tcp.attachFlows(flows);
  const dns = n.enabled ? new DnsAnalyzer({ ports: n.ports, timeout: n.timeout, lateWindow: n.late_window, maxPending: n.max_pending, maxTcpStreams: n.max_tcp_streams, maxFragmented: n.max_fragmented }) : null;
  if (detectors !== null) {
    dns?.setEvents(detectors);
    tcp?.setEvents(detectors);
  }
  const u = config.tunnels;
  const tunnels = u.enabled
    ? {
        vxlanPorts: u.vxlan_ports, genevePorts: u.geneve_ports, gtpuPorts: u.gtpu_ports, l2tpPorts: u.l2tp_ports,
        teredoPorts: u.teredo_ports, vxlanGpePorts: u.vxlan_gpe_ports, greUdpPorts: u.gre_udp_ports, mplsUdpPorts: u.mpls_udp_ports, capwapPorts: u.capwap_ports,
      }
    : null;
  return new PacketPipeline(flows, filters, log, detectors, { dns, tcp, tunnels });
}
