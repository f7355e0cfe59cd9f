import { z } from 'zod';
import { parseDuration } from './duration';

/**
 * The configuration schema: every key, its type and its default. config.yaml at the repository root
 * documents each of them; keep the two in step. Unknown keys are rejected at every level.
 */

/** Default HTTP port. 9100-9999 is fully allocated in Prometheus' default-port list; 10847 is outside it. */
export const DEFAULT_PORT = 10847;
export const DEFAULT_LISTEN = `0.0.0.0:${DEFAULT_PORT}`;

export const FLOW_LABELS = ['src_ip', 'dst_ip', 'proto', 'src_port', 'dst_port'] as const;

const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const seconds = parseDuration(value);
  if (seconds === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 60, "90s", "5m" or "1h", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return seconds;
});

const listen = z.string().refine((v) => parseListen(v) !== undefined, {
  message: 'expected HOST:PORT (for example "0.0.0.0:10847" or "[::]:10847") with a port from 1 to 65535',
});

const prefixes = z.strictObject({
  ipv4: z.number().int().min(0).max(32).default(32),
  ipv6: z.number().int().min(0).max(128).default(128),
});

const filterName = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const filterEntry = z.union([
  z.string().min(1),
  z.strictObject({ expr: z.string().min(1), description: z.string().optional() }),
]);

export const configSchema = z.strictObject({
  /** Address of the HTTP server for /metrics, /healthz, /readyz. */
  listen: listen.default(DEFAULT_LISTEN),
  /** Interfaces captured by `netmon run`; empty means the first non-loopback interface that is up. */
  interfaces: z.array(z.string().min(1)).default([]),
  capture: z
    .strictObject({
      /** Bytes kept per packet: netmon only reads headers. */
      snaplen: z.number().int().min(64).max(262144).default(256),
      /** Kernel ring buffer per interface, MiB. */
      buffer_size_mb: z.number().int().min(1).max(4096).default(64),
      promiscuous: z.boolean().default(true),
      /** Deliver each packet at once (costs throughput); otherwise batch up to timeout_ms. */
      immediate: z.boolean().default(false),
      timeout_ms: z.number().int().min(1).max(10000).default(100),
      /** Kernel BPF filter applied by libpcap (tcpdump syntax). Empty: capture everything. */
      filter: z.string().default(''),
    })
    .prefault({}),
  flows: z
    .strictObject({
      idle_timeout: duration.default(60),
      active_timeout: duration.default(300),
      max_flows: z.number().int().min(16).max(50_000_000).default(200_000),
      max_series: z.number().int().min(1).max(10_000_000).default(5_000),
      labels: z.array(z.enum(FLOW_LABELS)).min(1).default([...FLOW_LABELS]),
      aggregate: z
        .strictObject({ src_ip: prefixes.optional(), dst_ip: prefixes.optional() })
        .prefault({}),
    })
    .prefault({}),
  /** Named traffic filters: name -> tcpdump expression (or {expr, description}). */
  filters: z
    .record(z.string().regex(filterName, 'filter names are letters, digits, "_", "." and "-", starting with a letter or "_"'), filterEntry)
    .default({}),
  log: z
    .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') })
    .prefault({}),
});

export type NetmonConfig = z.output<typeof configSchema>;

/** Splits HOST:PORT (IPv6 hosts in brackets). Returns undefined when malformed. */
export function parseListen(value: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(value);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]!), port };
}
