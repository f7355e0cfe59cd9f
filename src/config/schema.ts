import { DEFAULT_DETECT_OPTIONS } from '../analysis/detect-options';
import { DEFAULT_MAX_FLOWS } from '../flow/flow-options';
import { duration, parseDuration } from './duration';
import { postgresSink } from './postgres-schema';
import { arrayOf, boolean, either, field, integer, object, oneOf, optional, recordOf, required, section, string } from './validate';
import type { Problem, Rule } from './validate';

/**
 * The configuration schema: every key, its type and its default. config.yaml at the repository root
 * documents each of them (a test keeps the two equal). Unknown keys are rejected at every level.
 */

/** Default HTTP port. 9100-9999 is fully allocated in Prometheus' default-port list; 10847 is outside it. */
export const DEFAULT_PORT = 10847;
export const DEFAULT_LISTEN = `0.0.0.0:${DEFAULT_PORT}`;

export const FLOW_LABELS = ['src_ip', 'dst_ip', 'proto', 'src_port', 'dst_port'] as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** A duration of at least `min` seconds. */
function positiveDuration(min: number): Rule<number> {
  return (v, path, problems) => {
    const seconds = duration(v, path, problems);
    if (parseDuration(v) !== undefined && seconds < min) problems.push({ path, message: `expected a duration of at least ${min * 1000} ms, got ${JSON.stringify(v)}` });
    return seconds;
  };
}

/** Why `s` is not an http(s) URL, or undefined. */
export function checkHttpUrl(s: string): string | undefined {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return 'expected an http:// or https:// URL';
  }
  return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : 'expected an http:// or https:// URL';
}

/** A duration within [min, max] seconds. */
const durationIn =
  (min: number, max: number): Rule<number> =>
  (v, path, problems) => {
    const seconds = duration(v, path, problems);
    if (parseDuration(v) !== undefined && (seconds < min || seconds > max)) {
      problems.push({ path, message: `expected a duration from ${min} s to ${max} s, got ${JSON.stringify(v)}` });
    }
    return seconds;
  };

/** A duration above zero (a timeout of 0 would end everything at once). */
const durationAboveZero: Rule<number> = (v, path, problems) => {
  const n = problems.length;
  const seconds = duration(v, path, problems);
  if (problems.length === n && !(seconds > 0)) problems.push({ path, message: `expected a duration above 0, got ${JSON.stringify(v)}` });
  return seconds;
};

const listen = string({
  check: (s) => (parseListen(s) === undefined ? 'expected HOST:PORT (for example "0.0.0.0:10847" or "[::]:10847") with a port from 1 to 65535' : undefined),
});

const prefixes = object({
  ipv4: field(integer(0, 32), 32),
  ipv6: field(integer(0, 128), 128),
});

const FILTER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const filterEntry = either(
  (v) => typeof v === 'string',
  string({ nonEmpty: true }),
  object({ expr: required(string({ nonEmpty: true }), ''), description: optional(string()) }),
);

/** OTLP push (README "OpenTelemetry"): keys left out fall back to the OTEL_* environment, then to the defaults of src/metrics/otlp-settings.ts. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export const OTLP_TEMPORALITIES = ['cumulative', 'delta'] as const;
export const METRICS_ENGINES = ['prometheus', 'otel'] as const;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const otlp = object({
  endpoint: optional(string({ check: (s) => checkHttpUrl(s) })),
  protocol: optional(oneOf(OTLP_PROTOCOLS)),
  interval: optional(positiveDuration(0.1)),
  timeout: optional(positiveDuration(0.001)),
  headers: field(recordOf((k) => (HEADER_NAME.test(k) ? undefined : 'an HTTP header name (letters, digits and !#$%&\'*+.^_`|~-)'), string()), () => ({})),
  resource_attributes: field(recordOf((k) => (k.trim() === '' ? 'a non-empty attribute key' : undefined), string()), () => ({})),
  temporality: optional(oneOf(OTLP_TEMPORALITIES)),
  compression: optional(oneOf(['none', 'gzip'] as const)),
});

const schema = object({
  listen: field(listen, DEFAULT_LISTEN),
  interfaces: field(arrayOf(string({ nonEmpty: true })), () => []),
  capture: section(
    object({
      snaplen: field(integer(64, 262144), 256),
      buffer_size_mb: field(integer(1, 4096), 64),
      promiscuous: field(boolean, true),
      immediate: field(boolean, false),
      timeout_ms: field(integer(1, 10000), 100),
      filter: field(string(), ''),
    }),
  ),
  flows: section(
    object({
      idle_timeout: field(duration, 60),
      active_timeout: field(duration, 300),
      max_flows: field(integer(16, 50_000_000), DEFAULT_MAX_FLOWS),
      max_series: field(integer(1, 10_000_000), 5_000),
      labels: field(arrayOf(oneOf(FLOW_LABELS), 1), () => [...FLOW_LABELS]),
      aggregate: section(object({ src_ip: optional(prefixes), dst_ip: optional(prefixes) })),
    }),
  ),
  filters: field<Record<string, string | { expr: string; description: string | undefined }>>(
    recordOf((k) => (FILTER_NAME.test(k) ? undefined : 'filter names are letters, digits, "_", "." and "-", starting with a letter or "_"'), filterEntry),
    () => ({}),
  ),
  detect: section(
    object({
      enabled: field(boolean, true),
      window: field(durationIn(1, 3600), DEFAULT_DETECT_OPTIONS.window),
      top_n: field(integer(1, 1000), DEFAULT_DETECT_OPTIONS.topN),
      max_contacts: field(integer(16, 1 << 24), DEFAULT_DETECT_OPTIONS.maxContacts),
      max_targets: field(integer(16, 1 << 24), DEFAULT_DETECT_OPTIONS.maxTargets),
      max_sources: field(integer(16, 1 << 24), DEFAULT_DETECT_OPTIONS.maxSources),
      max_dns_names: field(integer(0, 1 << 20), DEFAULT_DETECT_OPTIONS.maxDnsNames),
    }),
  ),
  api: section(
    object({
      flows_stream: field(boolean, true),
      packets: field(boolean, false),
      max_clients: field(integer(1, 100_000), 64),
      client_buffer_bytes: field(integer(4096, 1 << 30), 1 << 20),
      client_stall_timeout: field(duration, 5),
      packets_max_rate: field(integer(1, 1_000_000), 10_000),
    }),
  ),
  web_config_file: field(string(), ''),
  dns: section(
    object({
      enabled: field(boolean, true),
      ports: field(arrayOf(integer(1, 65535), 1), () => [53, 5353, 5355]),
      timeout: field(durationAboveZero, 10),
      late_window: field(duration, 50),
      max_pending: field(integer(16, 10_000_000), 65_536),
      max_tcp_streams: field(integer(16, 1_000_000), 4_096),
      max_fragmented: field(integer(16, 1_000_000), 1_024),
    }),
  ),
  tcp: section(
    object({
      enabled: field(boolean, true),
      max_connections: field(integer(16, 50_000_000), 100_000),
      idle_timeout: field(durationAboveZero, 120),
      established_timeout: field(durationAboveZero, 900),
      syn_timeout: field(durationAboveZero, 30),
      max_fragmented: field(integer(16, 1_000_000), 1_024),
    }),
  ),
  tunnels: section(
    object({
      enabled: field(boolean, true),
      vxlan_ports: field(arrayOf(integer(1, 65535)), () => [4789]),
      geneve_ports: field(arrayOf(integer(1, 65535)), () => [6081]),
      gtpu_ports: field(arrayOf(integer(1, 65535)), () => [2152]),
      l2tp_ports: field(arrayOf(integer(1, 65535)), () => [1701]),
      teredo_ports: field(arrayOf(integer(1, 65535)), () => [3544]),
      vxlan_gpe_ports: field(arrayOf(integer(1, 65535)), () => [4790]),
      gre_udp_ports: field(arrayOf(integer(1, 65535)), () => [4754]),
      mpls_udp_ports: field(arrayOf(integer(1, 65535)), () => [6635]),
      capwap_ports: field(arrayOf(integer(1, 65535)), () => [5247]),
    }),
  ),
  log: section(object({ level: field(oneOf(LOG_LEVELS), 'info') })),
  // Optional outputs; each is off (and its code never loaded) unless its section is given.
  sinks: section(object({ postgres: optional(postgresSink) })),
  metrics: section(object({ engine: field(oneOf(METRICS_ENGINES), 'prometheus') })),
  otlp: optional(otlp),
});

export type NetmonConfig = ReturnType<typeof schema>;

/** Validates parsed YAML (or {} for the defaults); returns the configuration with defaults and the problems. */
export function validateConfig(raw: unknown): { config: NetmonConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const config = schema(raw ?? {}, [], problems);
  checkTunnelPorts(config, problems);
  return { config, problems };
}

/** A UDP port names one tunnel: the same port in two of the tunnels.*_ports lists is refused. */
function checkTunnelPorts(config: NetmonConfig, problems: Problem[]): void {
  const owner = new Map<number, string>();
  for (const key of ['vxlan_ports', 'geneve_ports', 'gtpu_ports', 'l2tp_ports', 'teredo_ports', 'vxlan_gpe_ports', 'gre_udp_ports', 'mpls_udp_ports', 'capwap_ports'] as const) {
    config.tunnels[key].forEach((port, i) => {
      const first = owner.get(port);
      if (first !== undefined && first !== key) problems.push({ path: ['tunnels', key, String(i)], message: `port ${port} is already in tunnels.${first}: a port can carry one kind of tunnel` });
      else owner.set(port, key);
    });
  }
}

/** Splits HOST:PORT (IPv6 hosts in brackets). Returns undefined when malformed. */
export function parseListen(value: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(value);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]!), port };
}
