/**
 * The OTLP push settings: the `otlp:` section of the configuration over the standard OTEL_*
 * environment variables (https://opentelemetry.io/docs/specs/otel/protocol/exporter/ and
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/), over netmon's
 * defaults. The configuration wins where both are set. A bad value stops netmon at start-up (exit 2)
 * naming the key or the variable; the OpenTelemetry exporters would only log it and fall back.
 */
import { hostname } from 'node:os';
import type { NetmonConfig } from '../config/schema';
import { checkHttpUrl } from '../config/schema';
import { NetmonError } from '../errors';

export type OtlpProtocol = 'http/protobuf' | 'http/json';
export type OtlpTemporality = 'cumulative' | 'delta';

export interface OtlpSettings {
  /** The full URL the metrics are POSTed to (…/v1/metrics). */
  readonly url: string;
  readonly protocol: OtlpProtocol;
  readonly intervalMs: number;
  /** Budget of one export, retries included; at most intervalMs. */
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: 'none' | 'gzip';
  readonly temporality: OtlpTemporality;
  /** service.name, service.version, host.name, then OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME, then otlp.resource_attributes. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

export const OTLP_DEFAULTS = {
  endpoint: 'http://localhost:4318',
  protocol: 'http/protobuf',
  intervalMs: 15_000,
  timeoutMs: 10_000,
  compression: 'none',
  temporality: 'cumulative',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/** The settings when the configuration has an `otlp:` section, else undefined (OTLP is off). */
export function resolveOtlpSettings(config: NetmonConfig, file: string, version: string, env: Env = process.env): OtlpSettings | undefined {
  const c = config.otlp;
  if (c === undefined) return undefined;
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const envError = (name: string, expected: string): NetmonError =>
    new NetmonError('NETMON_ERR_CONFIG_INVALID', `environment variable ${name}: expected ${expected}, got ${JSON.stringify(env[name])}`);
  const first = (...names: string[]): [string, string] | undefined => {
    for (const n of names) {
      const v = get(n);
      if (v !== undefined) return [n, v];
    }
    return undefined;
  };

  let url: string;
  if (c.endpoint !== undefined) url = metricsUrl(c.endpoint);
  else {
    const specific = first('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
    const base = first('OTEL_EXPORTER_OTLP_ENDPOINT');
    const chosen = specific ?? base;
    if (chosen !== undefined && checkHttpUrl(chosen[1]) !== undefined) throw envError(chosen[0], 'an http:// or https:// URL');
    url = specific !== undefined ? specific[1] : metricsUrl(base?.[1] ?? OTLP_DEFAULTS.endpoint);
  }

  let protocol: OtlpProtocol = c.protocol ?? OTLP_DEFAULTS.protocol;
  if (c.protocol === undefined) {
    const p = first('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL');
    if (p !== undefined) {
      if (p[1] !== 'http/protobuf' && p[1] !== 'http/json') throw envError(p[0], `"http/protobuf" or "http/json"${p[1] === 'grpc' ? ' (netmon does not export over gRPC)' : ''}`);
      protocol = p[1];
    }
  }

  const millis = (names: string[]): number | undefined => {
    const m = first(...names);
    if (m === undefined) return undefined;
    if (!/^\d+$/.test(m[1]) || Number(m[1]) < 1) throw envError(m[0], 'a whole number of milliseconds, at least 1');
    return Number(m[1]);
  };
  const intervalMs = c.interval !== undefined ? Math.round(c.interval * 1000) : (millis(['OTEL_METRIC_EXPORT_INTERVAL']) ?? OTLP_DEFAULTS.intervalMs);
  if (c.interval === undefined && intervalMs < 100) throw envError('OTEL_METRIC_EXPORT_INTERVAL', 'at least 100 milliseconds');
  const timeoutMs =
    c.timeout !== undefined
      ? Math.round(c.timeout * 1000)
      : (millis(['OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_METRIC_EXPORT_TIMEOUT']) ?? Math.min(OTLP_DEFAULTS.timeoutMs, intervalMs));
  if (timeoutMs > intervalMs) {
    const where = c.timeout !== undefined ? `${file}: otlp.timeout` : `the timeout from ${first('OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_METRIC_EXPORT_TIMEOUT')![0]}`;
    throw new NetmonError('NETMON_ERR_CONFIG_INVALID', `invalid configuration: ${where}: ${timeoutMs} ms is longer than the export interval (${intervalMs} ms): one export at a time, each within its interval`);
  }

  const headers: Record<string, string> = {};
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS']) {
    const v = get(name);
    if (v !== undefined) Object.assign(headers, parseKeyValueList(v, name, env, 'HTTP header'));
  }
  Object.assign(headers, c.headers);

  let compression: 'none' | 'gzip' = c.compression ?? OTLP_DEFAULTS.compression;
  if (c.compression === undefined) {
    const z = first('OTEL_EXPORTER_OTLP_METRICS_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION');
    if (z !== undefined) {
      if (z[1] !== 'none' && z[1] !== 'gzip') throw envError(z[0], '"none" or "gzip"');
      compression = z[1];
    }
  }

  let temporality: OtlpTemporality = c.temporality ?? OTLP_DEFAULTS.temporality;
  if (c.temporality === undefined) {
    const t = first('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE');
    if (t !== undefined) {
      const v = t[1].toLowerCase();
      if (v !== 'cumulative' && v !== 'delta' && v !== 'lowmemory') throw envError(t[0], '"cumulative", "delta" or "lowmemory"');
      // lowmemory is delta for synchronous counters and histograms, which is what every netmon sum and histogram is.
      temporality = v === 'cumulative' ? 'cumulative' : 'delta';
    }
  }

  return { url, protocol, intervalMs, timeoutMs, headers, compression, temporality, resourceAttributes: resolveResourceAttributes(config, version, env) };
}

/**
 * The resource of netmon's OpenTelemetry data (OTLP, and target_info of `metrics.engine: otel`):
 * service.name=netmon, service.version, host.name, then OTEL_RESOURCE_ATTRIBUTES, then
 * OTEL_SERVICE_NAME, then otlp.resource_attributes.
 */
export function resolveResourceAttributes(config: NetmonConfig, version: string, env: Env = process.env): Record<string, string> {
  const out: Record<string, string> = { 'service.name': 'netmon', 'service.version': version, 'host.name': hostname() };
  const ra = env['OTEL_RESOURCE_ATTRIBUTES']?.trim();
  if (ra !== undefined && ra !== '') Object.assign(out, parseKeyValueList(ra, 'OTEL_RESOURCE_ATTRIBUTES', env, 'resource attribute'));
  const serviceName = env['OTEL_SERVICE_NAME']?.trim();
  if (serviceName !== undefined && serviceName !== '') out['service.name'] = serviceName;
  Object.assign(out, config.otlp?.resource_attributes ?? {});
  return out;
}

/** A base URL as OTEL_EXPORTER_OTLP_ENDPOINT has it, with the metrics path appended. */
function metricsUrl(base: string): string {
  return `${base.endsWith('/') ? base : `${base}/`}v1/metrics`;
}

/**
 * `key1=value1,key2=value2` as OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS write it
 * (W3C Baggage without properties): values are percent-decoded; an entry without "=" or with an
 * empty key, or a value that does not decode, is an error naming the variable.
 */
export function parseKeyValueList(text: string, name: string, env: Env, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const key = eq < 0 ? '' : entry.slice(0, eq).trim();
    if (key === '') throw new NetmonError('NETMON_ERR_CONFIG_INVALID', `environment variable ${name}: expected ${what}s as key=value separated by commas, got ${JSON.stringify(entry)} in ${JSON.stringify(env[name])}`);
    let value: string;
    try {
      value = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      throw new NetmonError('NETMON_ERR_CONFIG_INVALID', `environment variable ${name}: the value of ${JSON.stringify(key)} is not valid percent-encoding: ${JSON.stringify(entry)}`);
    }
    out[key] = value;
  }
  return out;
}
