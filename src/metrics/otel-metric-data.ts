/**
 * Builds OpenTelemetry metric data (the SDK's ScopeMetrics, what an exporter serializes) from the
 * catalog families and the exported flow series of one snapshot: the numbers /metrics shows, as
 * OTLP sums, gauges and histograms. Nothing is recorded through SDK instruments: the data is produced
 * at collection time from netmon's own state (observable instruments would keep exporting attribute
 * sets they no longer observe, opentelemetry-js #4096, so an ended flow would linger), and netmon's
 * series budget bounds it, not the SDK's per-instrument cardinality limit.
 *
 * Names are the Prometheus names without `_total` on monotonic sums (the usual OTLP-to-Prometheus
 * translation adds it back), units come from the catalog. Cumulative temporality reports each
 * series since its start; delta reports what changed since the previous collection. State kept
 * across collections (start times, previous values) is per series present in the last collection,
 * plus 28 bytes per flow-table slot that ever had a series (typed arrays, see FlowSeriesState).
 */
import type { Attributes, HrTime } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, MetricData, ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { FLOW_BYTES_HELP, FLOW_PACKETS_HELP } from '../flow/flow-exposition';
import { CATALOG, FAMILY_UNITS } from './catalog';
import type { Family, FamilyDef, HistogramSample, Labels, Sample } from './family';

/**
 * The exported flow series of one rebalance: series i has the stable id ids[i] (its flow-table slot),
 * the label text labelText[ids[i]] (`src_ip="…",dst_ip="…",…` as /metrics writes it) and the values
 * packets[i], bytes[i]; plus the overflow series.
 */
export interface FlowSeriesView {
  readonly count: number;
  readonly ids: ArrayLike<number>;
  readonly packets: ArrayLike<number>;
  readonly bytes: ArrayLike<number>;
  readonly labelText: readonly string[];
  readonly overflowLabels: string;
  readonly overflowPackets: number;
  readonly overflowBytes: number;
}

/** What one collection reads, all of one snapshot. */
export interface MetricSnapshot {
  readonly families: readonly Family[];
  /** Undefined before the first snapshot of the flow table. */
  readonly flows: FlowSeriesView | undefined;
  /** When the snapshot was taken, epoch milliseconds. */
  readonly timeMs: number;
}

export type Temporality = 'cumulative' | 'delta';

/** The OTLP name of a family: the Prometheus name, without `_total` on counters. */
export function otelName(def: FamilyDef): string {
  return def.type === 'counter' ? def.name.replace(/_total$/, '') : def.name;
}

/** The UCUM unit of a family: its own, the catalog's table, else from the name's suffix. */
export function otelUnit(def: FamilyDef): string {
  if (def.unit !== undefined) return def.unit;
  const listed = FAMILY_UNITS[def.name];
  if (listed !== undefined) return listed;
  const base = def.name.replace(/_total$/, '');
  if (base.endsWith('_bytes')) return 'By';
  if (base.endsWith('_seconds')) return 's';
  return '';
}

/** Counters count whole things (packets, bytes, errors) and are integers; gauges and seconds are doubles. */
function valueType(def: FamilyDef): ValueType {
  return def.type === 'counter' && otelUnit(def) !== 's' ? ValueType.INT : ValueType.DOUBLE;
}

export function hrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  return [s, Math.min(999_999_999, Math.round((ms - s * 1000) * 1e6))];
}

/** Start and previous value of a series other than a flow's, across collections. */
interface SeriesState {
  startMs: number;
  startHr: HrTime;
  prev: number;
  prevBuckets: number[] | undefined;
  prevSum: number;
  epoch: number;
}

export class OtelMetricData {
  private readonly series = new Map<string, SeriesState>();
  private readonly flows = new FlowSeriesState();
  private epoch = 0;
  /** Time of the previous collection's snapshot (start of the next delta interval). */
  private prevMs: number;
  private prevHr: HrTime;

  constructor(
    private readonly scope: InstrumentationScope,
    private readonly temporality: Temporality,
    /** When netmon started counting: the start of every cumulative series that never reset. */
    private readonly startMs: number,
  ) {
    this.prevMs = startMs;
    this.prevHr = hrTime(startMs);
  }

  /** The metric data of one snapshot. Synchronous: nothing else runs between reading the families and the flows. */
  build(snap: MetricSnapshot): ScopeMetrics {
    const epoch = ++this.epoch;
    const end = hrTime(snap.timeMs);
    const metrics: MetricData[] = [];
    for (const family of snap.families) {
      if (family.def.type === 'histogram') metrics.push(this.histogram(family.def, (family.collect as () => readonly HistogramSample[])(), end, epoch));
      else metrics.push(this.number(family.def as FamilyDef & { type: 'counter' | 'gauge' }, (family.collect as () => readonly Sample[])(), end, epoch));
    }
    if (snap.flows !== undefined) metrics.push(...this.flows.build(snap.flows, this, end));
    for (const [key, s] of this.series) if (s.epoch !== epoch) this.series.delete(key);
    this.prevMs = snap.timeMs;
    this.prevHr = end;
    return { scope: this.scope, metrics };
  }

  get delta(): boolean {
    return this.temporality === 'delta';
  }

  /** Start of the current interval for a delta point, or of a series new in this collection. */
  get previousTime(): { ms: number; hr: HrTime } {
    return { ms: this.prevMs, hr: this.prevHr };
  }

  get firstStart(): { ms: number; hr: HrTime } {
    return { ms: this.startMs, hr: hrTime(this.startMs) };
  }

  private state(name: string, labels: Labels, epoch: number): SeriesState {
    let key = name;
    for (const k in labels) key += `\u0000${k}\u0001${labels[k]}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = { startMs: this.startMs, startHr: hrTime(this.startMs), prev: 0, prevBuckets: undefined, prevSum: 0, epoch };
      this.series.set(key, s);
    }
    s.epoch = epoch;
    return s;
  }

  private number(def: FamilyDef & { type: 'counter' | 'gauge' }, samples: readonly Sample[], end: HrTime, epoch: number): MetricData {
    const descriptor = { name: otelName(def), description: def.help, unit: otelUnit(def), valueType: valueType(def) };
    const points: DataPoint<number>[] = [];
    if (def.type === 'gauge') {
      for (const s of samples) points.push({ startTime: end, endTime: end, attributes: s.labels, value: s.value });
      return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints: points };
    }
    for (const s of samples) {
      const st = this.state(def.name, s.labels, epoch);
      if (s.value < st.prev) {
        // A counter went down: it was reset (netmon's own never do; a family could) and restarts now.
        st.startMs = this.prevMs;
        st.startHr = this.prevHr;
        st.prev = 0;
      }
      const value = this.delta ? s.value - st.prev : s.value;
      points.push({ startTime: this.delta ? this.prevHr : st.startHr, endTime: end, attributes: s.labels, value });
      st.prev = s.value;
    }
    return {
      descriptor,
      aggregationTemporality: this.delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      dataPoints: points,
      isMonotonic: true,
    };
  }

  private histogram(def: FamilyDef, samples: readonly HistogramSample[], end: HrTime, epoch: number): MetricData {
    const boundaries = [...(def.buckets ?? [])];
    const points: DataPoint<Histogram>[] = [];
    for (const s of samples) {
      const st = this.state(def.name, s.labels, epoch);
      const counts = Array.from({ length: boundaries.length + 1 }, (_, i) => s.bucketCounts[i] ?? 0);
      if (s.count < st.prev) {
        st.startMs = this.prevMs;
        st.startHr = this.prevHr;
        st.prev = 0;
        st.prevBuckets = undefined;
        st.prevSum = 0;
      }
      let value: Histogram = { buckets: { boundaries, counts }, sum: s.sum, count: s.count };
      if (this.delta) {
        const prev = st.prevBuckets;
        value = { buckets: { boundaries, counts: counts.map((c, i) => c - (prev?.[i] ?? 0)) }, sum: s.sum - st.prevSum, count: s.count - st.prev };
      }
      points.push({ startTime: this.delta ? this.prevHr : st.startHr, endTime: end, attributes: s.labels, value });
      st.prev = s.count;
      st.prevBuckets = counts;
      st.prevSum = s.sum;
    }
    return {
      descriptor: { name: def.name, description: def.help, unit: otelUnit(def), valueType: ValueType.DOUBLE },
      aggregationTemporality: this.delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: points,
    };
  }
}

/**
 * Per flow-table slot: the start of its series, the values last exported and a hash of its labels,
 * so that the next collection can tell a series that continues (the same flow, also one that lost
 * its series and won it back: /metrics resumes it at its frozen value) from a new one in the same
 * slot (a new start; cumulative from there, delta counts it whole). Typed arrays grown to the
 * highest slot seen (28 bytes a slot: at most ~14 MB at the default 500 000 flows); the parsed
 * attributes are kept only for the series exported in the latest collection.
 */
class FlowSeriesState {
  private start: Float64Array = new Float64Array(0);
  private prevPackets: Float64Array = new Float64Array(0);
  private prevBytes: Float64Array = new Float64Array(0);
  private hash: Int32Array = new Int32Array(0);
  private seen: Int32Array = new Int32Array(0);
  private readonly attrs: (Attributes | undefined)[] = [];
  private readonly attrText: string[] = [];
  private readonly startHr: (HrTime | undefined)[] = [];
  private prevIds: number[] = [];
  private epoch = 0;
  private overflowAttrs: Attributes = {};
  private overflowText: string | undefined;
  private overflowPrev = [0, 0];

  build(v: FlowSeriesView, d: OtelMetricData, end: HrTime): MetricData[] {
    const epoch = ++this.epoch;
    const n = v.count;
    const prev = d.previousTime;
    const first = d.firstStart;
    const packetPoints: DataPoint<number>[] = new Array(n + 1);
    const bytePoints: DataPoint<number>[] = new Array(n + 1);
    const ids: number[] = new Array(n);
    let freshHr: HrTime | undefined;
    for (let i = 0; i < n; i++) {
      const id = v.ids[i]!;
      ids[i] = id;
      if (id >= this.seen.length) this.grow(id);
      const text = v.labelText[id]!;
      const p = v.packets[i]!;
      const b = v.bytes[i]!;
      let attrs = this.attrs[id];
      const continued = this.seen[id] === epoch - 1 && this.attrText[id] === text;
      let fresh: boolean;
      if (continued) fresh = p < this.prevPackets[id]! || b < this.prevBytes[id]!;
      else {
        const h = hashText(text);
        // Back after a gap with the same labels and no lower values: the same flow's series resumes.
        fresh = this.seen[id] === 0 || this.hash[id] !== h || p < this.prevPackets[id]! || b < this.prevBytes[id]!;
        this.hash[id] = h;
      }
      if (attrs === undefined || this.attrText[id] !== text) {
        attrs = parseLabelText(text);
        this.attrs[id] = attrs;
        this.attrText[id] = text;
      }
      if (fresh) {
        // Counting began at the rebalance before this snapshot's, which is no earlier than the previous collection's snapshot.
        this.start[id] = this.seen[id] === 0 && this.epoch === 1 ? first.ms : prev.ms;
        freshHr ??= this.epoch === 1 ? first.hr : prev.hr;
        this.startHr[id] = freshHr;
        this.prevPackets[id] = 0;
        this.prevBytes[id] = 0;
      }
      const startHr = d.delta ? prev.hr : (this.startHr[id] ??= hrTime(this.start[id]!));
      packetPoints[i] = { startTime: startHr, endTime: end, attributes: attrs, value: d.delta ? p - this.prevPackets[id]! : p };
      bytePoints[i] = { startTime: startHr, endTime: end, attributes: attrs, value: d.delta ? b - this.prevBytes[id]! : b };
      this.prevPackets[id] = p;
      this.prevBytes[id] = b;
      this.seen[id] = epoch;
    }
    // Series gone since the previous collection: keep their numbers (typed arrays), drop their objects.
    for (const id of this.prevIds) {
      if (this.seen[id] !== epoch) {
        this.attrs[id] = undefined;
        this.attrText[id] = '';
        this.startHr[id] = undefined;
      }
    }
    this.prevIds = ids;
    if (this.overflowText !== v.overflowLabels) {
      this.overflowText = v.overflowLabels;
      this.overflowAttrs = parseLabelText(v.overflowLabels);
    }
    const start = d.delta ? prev.hr : first.hr;
    packetPoints[n] = { startTime: start, endTime: end, attributes: this.overflowAttrs, value: d.delta ? v.overflowPackets - this.overflowPrev[0]! : v.overflowPackets };
    bytePoints[n] = { startTime: start, endTime: end, attributes: this.overflowAttrs, value: d.delta ? v.overflowBytes - this.overflowPrev[1]! : v.overflowBytes };
    this.overflowPrev = [v.overflowPackets, v.overflowBytes];
    const temporality = d.delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
    const sum = (def: FamilyDef, help: string, dataPoints: DataPoint<number>[]): MetricData => ({
      descriptor: { name: otelName(def), description: help, unit: otelUnit(def), valueType: ValueType.INT },
      aggregationTemporality: temporality,
      dataPointType: DataPointType.SUM,
      dataPoints,
      isMonotonic: true,
    });
    return [sum(CATALOG.flowPackets, FLOW_PACKETS_HELP, packetPoints), sum(CATALOG.flowBytes, FLOW_BYTES_HELP, bytePoints)];
  }

  private grow(id: number): void {
    let size = Math.max(1024, this.seen.length);
    while (size <= id) size *= 2;
    const f64 = (a: Float64Array): Float64Array => {
      const x = new Float64Array(size);
      x.set(a);
      return x;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const x = new Int32Array(size);
      x.set(a);
      return x;
    };
    this.start = f64(this.start);
    this.prevPackets = f64(this.prevPackets);
    this.prevBytes = f64(this.prevBytes);
    this.hash = i32(this.hash);
    this.seen = i32(this.seen);
  }
}

/** FNV-1a of a string's UTF-16 code units. */
function hashText(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** `k="v",k2="v2"` as the text exposition writes labels (values escape \\, \" and \n) → attributes. */
export function parseLabelText(text: string): Attributes {
  const out: Attributes = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('="', i);
    if (eq < 0) break;
    const key = text.slice(i, eq);
    let j = eq + 2;
    let value = '';
    let from = j;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        value += text.slice(from, j) + (text[j + 1] === 'n' ? '\n' : text[j + 1]!);
        j++;
        from = j + 1;
      }
    }
    value += text.slice(from, j);
    out[key] = value;
    i = j + 2; // past '",'
  }
  return out;
}
