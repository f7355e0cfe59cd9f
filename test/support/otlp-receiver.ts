/**
 * A test OTLP/HTTP metrics receiver: a real HTTP server on 127.0.0.1 that decodes what it is sent,
 * OTLP/JSON with JSON.parse, OTLP/protobuf with protobufjs and the spec's message definitions
 * (otlp/metrics-subset.proto): independently of the OpenTelemetry exporter that netmon uses.
 * It can answer with an error status or be stopped and started again on the same port (a collector
 * outage). translateToPrometheus() is the usual OTLP-to-Prometheus translation of the decoded data,
 * so tests compare it with /metrics sample by sample.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

export type Temporality = 'delta' | 'cumulative' | 'unspecified';

export interface ReceivedPoint {
  readonly attributes: Readonly<Record<string, string>>;
  readonly startNs: bigint;
  readonly timeNs: bigint;
  /** Sums and gauges: the value and how it was encoded. */
  readonly value?: number;
  readonly valueKind?: 'int' | 'double';
  /** Histograms. */
  readonly count?: number;
  readonly sum?: number;
  readonly bucketCounts?: readonly number[];
  readonly explicitBounds?: readonly number[];
}

export interface ReceivedMetric {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly kind: 'sum' | 'gauge' | 'histogram';
  readonly monotonic: boolean;
  readonly temporality: Temporality;
  readonly points: readonly ReceivedPoint[];
}

export interface ReceivedExport {
  readonly encoding: 'json' | 'protobuf';
  readonly receivedAtMs: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly resource: Readonly<Record<string, string>>;
  readonly scope: { readonly name: string; readonly version: string };
  readonly metrics: readonly ReceivedMetric[];
}

const root = protobuf.parse(readFileSync(join(__dirname, '..', '..', '..', 'test', 'support', 'otlp', 'metrics-subset.proto'), 'utf8')).root;
const RequestType = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
const ResponseType = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');

export class OtlpReceiver {
  readonly exports: ReceivedExport[] = [];
  /** Requests answered with an error status, and requests that could not be decoded. */
  rejected = 0;
  decodeErrors: string[] = [];
  /** The status to answer with (200 decodes and keeps the export; anything else refuses it). */
  status = 200;
  private server: Server | undefined;
  private port = 0;
  private readonly waiters: Array<{ n: number; resolve(): void }> = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again) on 127.0.0.1, on the same port as before if there was one. */
  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 1000;
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops open connections (a collector that went away). */
  async stop(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Resolves once `n` exports in all have been received (bounded by timeoutMs). */
  async waitFor(n: number, timeoutMs: number): Promise<void> {
    if (this.exports.length >= n) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`OTLP receiver: ${this.exports.length} of ${n} exports after ${timeoutMs} ms (${this.rejected} refused, decode errors: ${this.decodeErrors.join('; ')})`)), timeoutMs);
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/metrics') {
        res.writeHead(404).end();
        return;
      }
      if (this.status !== 200) {
        this.rejected++;
        res.writeHead(this.status, { 'Content-Type': 'text/plain' }).end('refused by the test\n');
        return;
      }
      let body = Buffer.concat(chunks);
      const receivedAtMs = Date.now();
      const type = String(req.headers['content-type'] ?? '');
      // Answer first, then decode (decoding a large export takes tens of ms here, which would eat
      // into a short export timeout); a body that does not decode is recorded in decodeErrors.
      if (type.startsWith('application/json')) res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end(Buffer.from(ResponseType.encode(ResponseType.create({})).finish()));
      try {
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        for (const e of decodeOtlp(body, type)) this.exports.push({ ...e, receivedAtMs, headers: req.headers });
      } catch (err) {
        this.decodeErrors.push(`${type}: ${(err as Error).message}`);
        return;
      }
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        if (this.exports.length >= this.waiters[i]!.n) {
          this.waiters[i]!.resolve();
          this.waiters.splice(i, 1);
        }
      }
    });
  }
}

export type Decoded = Omit<ReceivedExport, 'receivedAtMs' | 'headers'>;

/** One request body, by its content type (application/json, else protobuf). */
export function decodeOtlp(body: Uint8Array, contentType: string): Decoded[] {
  return contentType.startsWith('application/json') ? fromJson(JSON.parse(Buffer.from(body).toString('utf8')) as Json) : fromProtobuf(Buffer.from(body));
}
type Json = Record<string, unknown>;

function fromProtobuf(body: Buffer): Decoded[] {
  const msg = RequestType.decode(body);
  const obj = RequestType.toObject(msg, { longs: String, enums: String, defaults: false, oneofs: true, arrays: true }) as Json;
  return normalize(obj, 'protobuf');
}

function fromJson(obj: Json): Decoded[] {
  return normalize(obj, 'json');
}

/** protobufjs objects (camelCase, longs as strings) and OTLP/JSON (camelCase, 64-bit ints as strings or numbers) have one shape. */
function normalize(req: Json, encoding: 'json' | 'protobuf'): Decoded[] {
  const out: Decoded[] = [];
  for (const rm of (req['resourceMetrics'] as Json[] | undefined) ?? []) {
    const resource = attributes(((rm['resource'] as Json | undefined)?.['attributes'] as Json[] | undefined) ?? []);
    for (const sm of (rm['scopeMetrics'] as Json[] | undefined) ?? []) {
      const scope = (sm['scope'] as Json | undefined) ?? {};
      out.push({
        encoding,
        resource,
        scope: { name: String(scope['name'] ?? ''), version: String(scope['version'] ?? '') },
        metrics: ((sm['metrics'] as Json[] | undefined) ?? []).map(metric),
      });
    }
  }
  return out;
}

function metric(m: Json): ReceivedMetric {
  const base = { name: String(m['name']), description: String(m['description'] ?? ''), unit: String(m['unit'] ?? '') };
  if (m['sum'] !== undefined) {
    const s = m['sum'] as Json;
    return { ...base, kind: 'sum', monotonic: s['isMonotonic'] === true, temporality: temporality(s['aggregationTemporality']), points: ((s['dataPoints'] as Json[] | undefined) ?? []).map(numberPoint) };
  }
  if (m['gauge'] !== undefined) {
    const g = m['gauge'] as Json;
    return { ...base, kind: 'gauge', monotonic: false, temporality: 'unspecified', points: ((g['dataPoints'] as Json[] | undefined) ?? []).map(numberPoint) };
  }
  if (m['histogram'] !== undefined) {
    const h = m['histogram'] as Json;
    return { ...base, kind: 'histogram', monotonic: false, temporality: temporality(h['aggregationTemporality']), points: ((h['dataPoints'] as Json[] | undefined) ?? []).map(histogramPoint) };
  }
  throw new Error(`metric ${base.name} has no sum, gauge or histogram`);
}

function temporality(v: unknown): Temporality {
  if (v === 'AGGREGATION_TEMPORALITY_DELTA' || v === 1) return 'delta';
  if (v === 'AGGREGATION_TEMPORALITY_CUMULATIVE' || v === 2) return 'cumulative';
  return 'unspecified';
}

const num = (v: unknown): number => (v === undefined ? 0 : Number(v));
const nanos = (v: unknown): bigint => BigInt(v === undefined ? 0 : String(v));

function numberPoint(p: Json): ReceivedPoint {
  const common = { attributes: attributes((p['attributes'] as Json[] | undefined) ?? []), startNs: nanos(p['startTimeUnixNano']), timeNs: nanos(p['timeUnixNano']) };
  if (p['asInt'] !== undefined) return { ...common, value: num(p['asInt']), valueKind: 'int' };
  return { ...common, value: num(p['asDouble']), valueKind: 'double' };
}

function histogramPoint(p: Json): ReceivedPoint {
  return {
    attributes: attributes((p['attributes'] as Json[] | undefined) ?? []),
    startNs: nanos(p['startTimeUnixNano']),
    timeNs: nanos(p['timeUnixNano']),
    count: num(p['count']),
    sum: num(p['sum']),
    bucketCounts: ((p['bucketCounts'] as unknown[] | undefined) ?? []).map(num),
    explicitBounds: ((p['explicitBounds'] as unknown[] | undefined) ?? []).map(num),
  };
}

function attributes(kvs: Json[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of kvs) {
    const v = (kv['value'] as Json | undefined) ?? {};
    const x = v['stringValue'] ?? v['intValue'] ?? v['doubleValue'] ?? v['boolValue'];
    out[String(kv['key'])] = String(x);
  }
  return out;
}

/** A sample key with its labels sorted: `name{a="1",b="2"}`. */
export function sampleKey(name: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? name : `${name}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

/**
 * The Prometheus samples of an export, as the OTLP-to-Prometheus translation makes them: a monotonic
 * sum gets `_total`, a histogram `_bucket{le}` (cumulative), `_sum` and `_count`; units in braces
 * add nothing, `By` and `s` nothing either when the name already ends in `_bytes` / `_seconds`.
 */
export function translateToPrometheus(e: ReceivedExport): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of e.metrics) {
    let name = m.name;
    const suffix = m.unit === 'By' ? '_bytes' : m.unit === 's' ? '_seconds' : '';
    if (suffix !== '' && !name.endsWith(suffix)) name += suffix;
    if (m.kind === 'sum' && m.monotonic && !name.endsWith('_total')) name += '_total';
    for (const p of m.points) {
      if (m.kind !== 'histogram') {
        out.set(sampleKey(name, p.attributes), p.value!);
        continue;
      }
      let cumulative = 0;
      const bounds = p.explicitBounds!;
      for (let i = 0; i < p.bucketCounts!.length; i++) {
        cumulative += p.bucketCounts![i]!;
        out.set(sampleKey(`${name}_bucket`, { ...p.attributes, le: i < bounds.length ? String(bounds[i]) : '+Inf' }), cumulative);
      }
      out.set(sampleKey(`${name}_sum`, p.attributes), p.sum!);
      out.set(sampleKey(`${name}_count`, p.attributes), p.count!);
    }
  }
  return out;
}

/** Parses Prometheus text (0.0.4) into sampleKey → value; label values unescaped. */
export function parsePrometheusText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let l = re.exec(m[2] ?? ''); l !== null; l = re.exec(m[2] ?? '')) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const v = m[3]!;
    out.set(sampleKey(m[1]!, labels), v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));
  }
  return out;
}
