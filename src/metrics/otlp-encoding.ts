/**
 * OTLP encodings of netmon's metric data: ExportMetricsServiceRequest as protobuf and as OTLP/JSON
 * (https://opentelemetry.io/docs/specs/otlp/), for the data OtelMetricData builds: sums, gauges and
 * explicit-bucket histograms with string attributes.
 *
 * Why not the exporter's serializer (@opentelemetry/otlp-transformer): it is generic, walking every
 * attribute object key by key twice (size pass, write pass), which made an export of 10 000 flow
 * series 4-5x the /metrics render of the same state (JSON: 8x). Here the attributes of a series are
 * encoded once, when the series appears (kept on its attributes object, which OtelMetricData keeps
 * for as long as the series lives), and each data point is a copy of those bytes plus fixed-size
 * fields, into one buffer of the exact size. The test suite decodes both encodings independently
 * and compares them with the exporter's own serializer on the same data.
 */
import type { Attributes, HrTime } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';

// ---------------------------------------------------------------- protobuf

const LEN = 2;
const I64 = 1;
const VARINT = 0;
const tag = (field: number, wire: number): number => (field << 3) | wire;
const varintSize = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);
/** Tag, length and body of a length-delimited field whose tag fits one byte. */
const fieldSize = (bodyLen: number): number => 1 + varintSize(bodyLen) + bodyLen;

class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
  varint(v: number): void {
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }
  /** A length-delimited field's tag and length; the caller writes exactly `len` bytes next. */
  head(field: number, len: number): void {
    this.byte(tag(field, LEN));
    this.varint(len);
  }
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (n > 256) {
      this.buf.set(b, this.pos);
      this.pos += n;
      return;
    }
    // Short pieces (a series' attributes, a timestamp): a loop beats the per-call cost of set().
    const buf = this.buf;
    let o = this.pos;
    for (let i = 0; i < n; i++) buf[o++] = b[i]!;
    this.pos = o;
  }
  /** A non-negative integer below 2^53 as 64 bits, little-endian. */
  u64(v: number): void {
    const high = Math.floor(v / 4294967296);
    this.buf.writeUInt32LE(v - high * 4294967296, this.pos);
    this.buf.writeUInt32LE(high, this.pos + 4);
    this.pos += 8;
  }
  double(v: number): void {
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** KeyValue{key, AnyValue{string_value}} messages, each as a field `field` of the enclosing message. */
function encodeAttributes(attrs: Attributes, field: number): Buffer {
  const parts: Buffer[] = [];
  for (const key in attrs) {
    const k = utf8(key);
    const v = utf8(String(attrs[key]));
    const anyLen = fieldSize(v.length);
    const kvLen = fieldSize(k.length) + fieldSize(anyLen);
    const out = Buffer.allocUnsafe(fieldSize(kvLen));
    const w = new Writer(out);
    w.head(field, kvLen);
    w.head(1, k.length);
    w.bytes(k);
    w.head(2, anyLen);
    w.head(1, v.length);
    w.bytes(v);
    parts.push(out);
  }
  return Buffer.concat(parts);
}

/**
 * Encoded attributes of a data point (field 7 of NumberDataPoint, 9 of HistogramDataPoint), kept on
 * the attributes object itself under symbols (invisible to for-in, Object.keys and JSON.stringify):
 * a property read per point, where a WeakMap lookup cost a third of the encoding.
 */
const ENCODED_7 = Symbol('otlp attributes, field 7');
const ENCODED_9 = Symbol('otlp attributes, field 9');
type Cached = Attributes & { [ENCODED_7]?: Buffer; [ENCODED_9]?: Buffer };
function pointAttributes(attrs: Attributes, field: 7 | 9): Buffer {
  const a = attrs as Cached;
  const key = field === 7 ? ENCODED_7 : ENCODED_9;
  let b = a[key];
  if (b === undefined) {
    b = encodeAttributes(attrs, field);
    if (Object.isExtensible(a)) Object.defineProperty(a, key, { value: b, enumerable: false });
  }
  return b;
}

/** fixed64 nanoseconds of an HrTime; the last two are remembered (a collection's points share a few HrTime objects). */
let lastTime: HrTime | undefined;
let lastTimeBytes = Buffer.alloc(8);
let prevTime: HrTime | undefined;
let prevTimeBytes = Buffer.alloc(8);
function timeBytes(t: HrTime): Buffer {
  if (t === lastTime) return lastTimeBytes;
  if (t === prevTime) {
    prevTime = lastTime;
    const b = prevTimeBytes;
    prevTimeBytes = lastTimeBytes;
    lastTime = t;
    lastTimeBytes = b;
    return b;
  }
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64LE(BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]));
  prevTime = lastTime;
  prevTimeBytes = lastTimeBytes;
  lastTime = t;
  lastTimeBytes = b;
  return b;
}

const temporalityCode = (t: AggregationTemporality): number => (t === AggregationTemporality.DELTA ? 1 : 2);

/** Size of the body of a NumberDataPoint. */
function numberPointSize(p: DataPoint<number>): number {
  return pointAttributes(p.attributes, 7).length + 9 + 9 + 9;
}

function writeNumberPoint(w: Writer, p: DataPoint<number>, int: boolean): void {
  w.bytes(pointAttributes(p.attributes, 7));
  w.byte(tag(2, I64));
  w.bytes(timeBytes(p.startTime));
  w.byte(tag(3, I64));
  w.bytes(timeBytes(p.endTime));
  if (int && Number.isSafeInteger(p.value) && p.value >= 0) {
    w.byte(tag(6, I64));
    w.u64(p.value);
  } else {
    w.byte(tag(4, I64));
    w.double(p.value);
  }
}

function histogramPointSize(p: DataPoint<Histogram>): number {
  const h = p.value;
  const nCounts = h.buckets.counts.length;
  const nBounds = h.buckets.boundaries.length;
  return (
    pointAttributes(p.attributes, 9).length + 9 + 9 + 9 + (h.sum !== undefined ? 9 : 0) + (nCounts > 0 ? fieldSize(nCounts * 8) : 0) + (nBounds > 0 ? fieldSize(nBounds * 8) : 0)
  );
}

function writeHistogramPoint(w: Writer, p: DataPoint<Histogram>): void {
  const h = p.value;
  w.byte(tag(2, I64));
  w.bytes(timeBytes(p.startTime));
  w.byte(tag(3, I64));
  w.bytes(timeBytes(p.endTime));
  w.byte(tag(4, I64));
  w.u64(h.count);
  if (h.sum !== undefined) {
    w.byte(tag(5, I64));
    w.double(h.sum);
  }
  if (h.buckets.counts.length > 0) {
    w.head(6, h.buckets.counts.length * 8);
    for (const c of h.buckets.counts) w.u64(c);
  }
  if (h.buckets.boundaries.length > 0) {
    w.head(7, h.buckets.boundaries.length * 8);
    for (const b of h.buckets.boundaries) w.double(b);
  }
  w.bytes(pointAttributes(p.attributes, 9));
}

interface MetricPlan {
  m: MetricData;
  name: Buffer;
  description: Buffer;
  unit: Buffer;
  pointSizes: number[];
  dataLen: number;
  len: number;
}

function planMetric(m: MetricData): MetricPlan {
  const name = utf8(m.descriptor.name);
  const description = utf8(m.descriptor.description);
  const unit = utf8(m.descriptor.unit);
  const pointSizes: number[] = [];
  let dataLen = 0;
  if (m.dataPointType === DataPointType.HISTOGRAM) {
    for (const p of m.dataPoints) {
      const s = histogramPointSize(p);
      pointSizes.push(s);
      dataLen += fieldSize(s);
    }
    dataLen += 2; // aggregation_temporality
  } else if (m.dataPointType === DataPointType.SUM || m.dataPointType === DataPointType.GAUGE) {
    for (const p of m.dataPoints) {
      const s = numberPointSize(p);
      pointSizes.push(s);
      dataLen += fieldSize(s);
    }
    if (m.dataPointType === DataPointType.SUM) dataLen += 2 + (m.isMonotonic ? 2 : 0);
  } else {
    throw new Error(`netmon does not encode ${DataPointType[m.dataPointType]} metrics`);
  }
  const len = fieldSize(name.length) + (description.length > 0 ? fieldSize(description.length) : 0) + (unit.length > 0 ? fieldSize(unit.length) : 0) + fieldSize(dataLen);
  return { m, name, description, unit, pointSizes, dataLen, len };
}

function writeMetric(w: Writer, plan: MetricPlan): void {
  const { m } = plan;
  w.head(2, plan.len); // ScopeMetrics.metrics
  w.head(1, plan.name.length);
  w.bytes(plan.name);
  if (plan.description.length > 0) {
    w.head(2, plan.description.length);
    w.bytes(plan.description);
  }
  if (plan.unit.length > 0) {
    w.head(3, plan.unit.length);
    w.bytes(plan.unit);
  }
  if (m.dataPointType === DataPointType.HISTOGRAM) {
    w.head(9, plan.dataLen);
    m.dataPoints.forEach((p, i) => {
      w.head(1, plan.pointSizes[i]!);
      writeHistogramPoint(w, p);
    });
    w.byte(tag(2, VARINT));
    w.varint(temporalityCode(m.aggregationTemporality));
    return;
  }
  const int = m.descriptor.valueType === ValueType.INT;
  w.head(m.dataPointType === DataPointType.SUM ? 7 : 5, plan.dataLen);
  const points = m.dataPoints as DataPoint<number>[];
  for (let i = 0; i < points.length; i++) {
    w.head(1, plan.pointSizes[i]!);
    writeNumberPoint(w, points[i]!, int);
  }
  if (m.dataPointType === DataPointType.SUM) {
    w.byte(tag(2, VARINT));
    w.varint(temporalityCode(m.aggregationTemporality));
    if (m.isMonotonic) {
      w.byte(tag(3, VARINT));
      w.varint(1);
    }
  }
}

/** ExportMetricsServiceRequest{resource_metrics: [rm]} as protobuf bytes. */
export function encodeProtobuf(rm: ResourceMetrics): Uint8Array {
  const resource = encodeAttributes(rm.resource.attributes as Attributes, 1);
  const scopes = rm.scopeMetrics.map((sm) => {
    const name = utf8(sm.scope.name);
    const version = utf8(sm.scope.version ?? '');
    const scopeLen = fieldSize(name.length) + (version.length > 0 ? fieldSize(version.length) : 0);
    const plans = sm.metrics.map(planMetric);
    const len = fieldSize(scopeLen) + plans.reduce((n, p) => n + fieldSize(p.len), 0);
    return { name, version, scopeLen, plans, len };
  });
  const rmLen = fieldSize(resource.length) + scopes.reduce((n, s) => n + fieldSize(s.len), 0);
  const w = new Writer(output(fieldSize(rmLen)));
  w.head(1, rmLen); // ExportMetricsServiceRequest.resource_metrics
  w.head(1, resource.length); // ResourceMetrics.resource
  w.bytes(resource);
  for (const s of scopes) {
    w.head(2, s.len); // ResourceMetrics.scope_metrics
    w.head(1, s.scopeLen); // ScopeMetrics.scope
    w.head(1, s.name.length);
    w.bytes(s.name);
    if (s.version.length > 0) {
      w.head(2, s.version.length);
      w.bytes(s.version);
    }
    for (const p of s.plans) writeMetric(w, p);
  }
  if (w.pos !== w.buf.length) throw new Error(`OTLP protobuf encoding: wrote ${w.pos} of ${w.buf.length} bytes`);
  return w.buf;
}

// ---------------------------------------------------------------- JSON

const ENCODED_JSON = Symbol('otlp/json attributes');
/** `[{"key":…,"value":{"stringValue":…}},…]`, kept on the attributes object as the protobuf bytes are. */
function jsonAttributes(attrs: Attributes): string {
  const a = attrs as Attributes & { [ENCODED_JSON]?: string };
  let s = a[ENCODED_JSON];
  if (s === undefined) {
    s = JSON.stringify(Object.keys(attrs).map((key) => ({ key, value: { stringValue: String(attrs[key]) } })));
    if (Object.isExtensible(a)) Object.defineProperty(a, ENCODED_JSON, { value: s, enumerable: false });
  }
  return s;
}

/** A timestamp as a JSON string of nanoseconds; the last two are remembered (a point has a start and an end). */
let jsonTimeA: HrTime | undefined;
let jsonTimeAText = '';
let jsonTimeB: HrTime | undefined;
let jsonTimeBText = '';
function jsonTime(t: HrTime): string {
  if (t === jsonTimeA) return jsonTimeAText;
  if (t === jsonTimeB) return jsonTimeBText;
  jsonTimeB = jsonTimeA;
  jsonTimeBText = jsonTimeAText;
  jsonTimeA = t;
  jsonTimeAText = `"${BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])}"`;
  return jsonTimeAText;
}

/** A double as OTLP/JSON (protobuf's JSON mapping) writes it: non-finite values as strings. */
const jsonDouble = (v: number): string => (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"');

function jsonMetric(m: MetricData): string {
  const head = `{"name":${JSON.stringify(m.descriptor.name)},"description":${JSON.stringify(m.descriptor.description)},"unit":${JSON.stringify(m.descriptor.unit)},`;
  const parts: string[] = [];
  if (m.dataPointType === DataPointType.HISTOGRAM) {
    for (const p of m.dataPoints) {
      const h = p.value;
      parts.push(
        `{"attributes":${jsonAttributes(p.attributes)},"startTimeUnixNano":${jsonTime(p.startTime)},"timeUnixNano":${jsonTime(p.endTime)},"count":"${h.count}",` +
          `${h.sum !== undefined ? `"sum":${jsonDouble(h.sum)},` : ''}"bucketCounts":[${h.buckets.counts.map((c) => `"${c}"`).join(',')}],"explicitBounds":[${h.buckets.boundaries.map(jsonDouble).join(',')}]}`,
      );
    }
    return `${head}"histogram":{"dataPoints":[${parts.join(',')}],"aggregationTemporality":${temporalityCode(m.aggregationTemporality)}}}`;
  }
  if (m.dataPointType !== DataPointType.SUM && m.dataPointType !== DataPointType.GAUGE) throw new Error(`netmon does not encode ${DataPointType[m.dataPointType]} metrics`);
  const int = m.descriptor.valueType === ValueType.INT;
  for (const p of m.dataPoints as DataPoint<number>[]) {
    const value = int && Number.isSafeInteger(p.value) && p.value >= 0 ? `"asInt":"${p.value}"` : `"asDouble":${jsonDouble(p.value)}`;
    parts.push(`{"attributes":${jsonAttributes(p.attributes)},"startTimeUnixNano":${jsonTime(p.startTime)},"timeUnixNano":${jsonTime(p.endTime)},${value}}`);
  }
  if (m.dataPointType === DataPointType.GAUGE) return `${head}"gauge":{"dataPoints":[${parts.join(',')}]}}`;
  return `${head}"sum":{"dataPoints":[${parts.join(',')}],"aggregationTemporality":${temporalityCode(m.aggregationTemporality)},"isMonotonic":${m.isMonotonic}}}`;
}

/** ExportMetricsServiceRequest{resource_metrics: [rm]} as OTLP/JSON bytes (64-bit integers as decimal strings, enums as numbers). */
export function encodeJson(rm: ResourceMetrics): Uint8Array {
  const scopes = rm.scopeMetrics.map(
    (sm) => `{"scope":{"name":${JSON.stringify(sm.scope.name)}${sm.scope.version ? `,"version":${JSON.stringify(sm.scope.version)}` : ''}},"metrics":[${sm.metrics.map(jsonMetric).join(',')}]}`,
  );
  const text = `{"resourceMetrics":[{"resource":{"attributes":${JSON.stringify(Object.entries(rm.resource.attributes).map(([key, v]) => ({ key, value: { stringValue: String(v) } })))}},"scopeMetrics":[${scopes.join(',')}]}]}`;
  // At most 3 bytes per UTF-16 unit: room for any text without measuring it first (the pages of the
  // buffer that are never written cost no memory).
  const room = output(text.length * 3);
  return room.subarray(0, room.write(text, 0, 'utf8'));
}

/**
 * The bytes of one request, in a buffer reused from export to export: one export is in flight at
 * most, and the export delegate encodes a request only when the previous one is done (its
 * concurrency limit is 1), so no request is still being sent when the next is encoded. A fresh
 * ~MB buffer per export made the process's RSS creep up through an outage (freed buffers of that
 * size stay in the allocator's arenas); reused, memory stays flat.
 */
let shared = Buffer.allocUnsafe(0);
function output(size: number): Buffer {
  if (shared.length < size) shared = Buffer.allocUnsafe(Math.max(size, Math.ceil(shared.length * 1.25)));
  return shared.subarray(0, size);
}
