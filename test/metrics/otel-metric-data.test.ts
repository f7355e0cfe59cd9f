import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import type { MetricData, SumMetricData } from '@opentelemetry/sdk-metrics';
import { CATALOG } from '../../src/metrics/catalog';
import type { Family } from '../../src/metrics/family';
import { OtelMetricData, otelName, otelUnit, parseLabelText } from '../../src/metrics/otel-metric-data';
import type { FlowSeriesView } from '../../src/metrics/otel-metric-data';

const scope = { name: 'netmon', version: 'test' };
const T0 = 1_700_000_000_000;

/** A flow snapshot: series [id, labels, packets, bytes], labels as /metrics writes them. */
function flows(series: Array<[number, string, number, number]>, overflow: [number, number] = [0, 0]): FlowSeriesView {
  const labelText: string[] = [];
  for (const [id, text] of series) labelText[id] = text;
  return {
    count: series.length,
    ids: series.map((s) => s[0]),
    packets: series.map((s) => s[2]),
    bytes: series.map((s) => s[3]),
    labelText,
    overflowLabels: 'src_ip="other",dst_ip="other"',
    overflowPackets: overflow[0],
    overflowBytes: overflow[1],
  };
}

const A = 'src_ip="10.0.0.1",dst_ip="10.0.0.2"';
const B = 'src_ip="10.0.0.3",dst_ip="10.0.0.4"';

function sum(metrics: readonly MetricData[], name: string): SumMetricData {
  const m = metrics.find((x) => x.descriptor.name === name);
  assert.ok(m !== undefined && m.dataPointType === DataPointType.SUM, `${name} is a sum`);
  return m as SumMetricData;
}
const points = (m: SumMetricData) => m.dataPoints.map((p) => [p.attributes['src_ip'], p.value, p.startTime[0] * 1000 + Math.round(p.startTime[1] / 1e6)]);

test('names drop _total on counters only; units from the catalog or the name', () => {
  assert.equal(otelName(CATALOG.packets), 'netmon_packets');
  assert.equal(otelName(CATALOG.flowsActive), 'netmon_flows_active');
  assert.equal(otelName(CATALOG.packetSize), 'netmon_packet_size_bytes');
  assert.equal(otelUnit(CATALOG.packets), '{packet}');
  assert.equal(otelUnit(CATALOG.bytes), 'By');
  assert.equal(otelUnit(CATALOG.captureProcessCpu), 's');
  assert.equal(otelUnit(CATALOG.otlpExportSeconds), 's');
  assert.equal(otelUnit(CATALOG.captureUp), '');
});

test('label text parses back to the attributes, escapes included', () => {
  assert.deepEqual(parseLabelText('a="1",b="x\\"y\\\\z\\nw",c=""'), { a: '1', b: 'x"y\\z\nw', c: '' });
  assert.deepEqual(parseLabelText(''), {});
});

test('cumulative flow series: values as shown, start when the series began; an ended flow is gone from the next collection', () => {
  const d = new OtelMetricData(scope, 'cumulative', T0);
  let m = d.build({ families: [], flows: flows([[3, A, 5, 500]]), timeMs: T0 + 1000 }).metrics;
  assert.deepEqual(points(sum(m, 'netmon_flow_packets')), [['10.0.0.1', 5, T0], ['other', 0, T0]]);
  assert.equal(sum(m, 'netmon_flow_packets').aggregationTemporality, AggregationTemporality.CUMULATIVE);
  assert.ok(sum(m, 'netmon_flow_bytes').isMonotonic);
  // B is new at the second collection: its count began no earlier than the first collection's snapshot.
  m = d.build({ families: [], flows: flows([[3, A, 7, 700], [9, B, 1, 60]]), timeMs: T0 + 2000 }).metrics;
  assert.deepEqual(points(sum(m, 'netmon_flow_packets')), [['10.0.0.1', 7, T0], ['10.0.0.3', 1, T0 + 1000], ['other', 0, T0]]);
  // A ended: only B (and the overflow series) remain.
  m = d.build({ families: [], flows: flows([[9, B, 2, 120]], [4, 400]), timeMs: T0 + 3000 }).metrics;
  assert.deepEqual(points(sum(m, 'netmon_flow_bytes')), [['10.0.0.3', 120, T0 + 1000], ['other', 400, T0]]);
});

test('a flow that wins back its series continues it; a new flow in the same slot starts a new one', () => {
  const d = new OtelMetricData(scope, 'cumulative', T0);
  d.build({ families: [], flows: flows([[3, A, 5, 500]]), timeMs: T0 + 1000 });
  d.build({ families: [], flows: flows([]), timeMs: T0 + 2000 }); // demoted: frozen at 5
  let m = d.build({ families: [], flows: flows([[3, A, 8, 800]]), timeMs: T0 + 3000 }).metrics;
  assert.deepEqual(points(sum(m, 'netmon_flow_packets'))[0], ['10.0.0.1', 8, T0], 'same start: the series resumes');
  m = d.build({ families: [], flows: flows([[3, B, 2, 100]]), timeMs: T0 + 4000 }).metrics;
  assert.deepEqual(points(sum(m, 'netmon_flow_packets'))[0], ['10.0.0.3', 2, T0 + 3000], 'another flow in slot 3: new start');
  // The same labels again but counted from scratch (the flow ended and came back between two collections): a reset.
  m = d.build({ families: [], flows: flows([[3, B, 1, 50]]), timeMs: T0 + 5000 }).metrics;
  assert.deepEqual(points(sum(m, 'netmon_flow_packets'))[0], ['10.0.0.3', 1, T0 + 4000]);
});

test('delta temporality: each point is what changed since the previous collection, summing to the cumulative values', () => {
  let packets = 10;
  const families: Family[] = [{ def: CATALOG.packets, collect: () => [{ labels: { interface: 'eth0' }, value: packets }] }];
  const d = new OtelMetricData(scope, 'delta', T0);
  const seen: number[] = [];
  const flowSeen: number[] = [];
  const steps: Array<[number, FlowSeriesView]> = [
    [10, flows([[3, A, 5, 500]])],
    [25, flows([[3, A, 9, 900]])],
    [25, flows([])],
    [40, flows([[3, A, 12, 1200]])], // won back its series: only the 3 new packets
  ];
  steps.forEach(([p, f], i) => {
    packets = p;
    const m = d.build({ families, flows: f, timeMs: T0 + (i + 1) * 1000 }).metrics;
    const s = sum(m, 'netmon_packets');
    assert.equal(s.aggregationTemporality, AggregationTemporality.DELTA);
    const pt = s.dataPoints[0]!;
    assert.equal(pt.startTime[0] * 1000 + Math.round(pt.startTime[1] / 1e6), T0 + i * 1000, 'a delta point starts at the previous collection');
    seen.push(pt.value);
    const fp = sum(m, 'netmon_flow_packets').dataPoints.filter((x) => x.attributes['src_ip'] === '10.0.0.1');
    flowSeen.push(fp[0]?.value ?? 0);
  });
  assert.deepEqual(seen, [10, 15, 0, 15]);
  assert.deepEqual(flowSeen, [5, 4, 0, 3]);
  assert.equal(flowSeen.reduce((a, b) => a + b), 12);
});

test('histograms: non-cumulative bucket counts with the catalog bounds, gauges as gauges', () => {
  const families: Family[] = [
    { def: CATALOG.packetSize, collect: () => [{ labels: { interface: 'eth0' }, bucketCounts: Float64Array.from([1, 2, 0, 0, 0, 0, 0, 0, 0, 3]), sum: 123, count: 6 }] },
    { def: CATALOG.flowsActive, collect: () => [{ labels: {}, value: 42 }] },
  ];
  const m = new OtelMetricData(scope, 'cumulative', T0).build({ families, flows: undefined, timeMs: T0 + 1 }).metrics;
  const h = m.find((x) => x.descriptor.name === 'netmon_packet_size_bytes')!;
  assert.equal(h.dataPointType, DataPointType.HISTOGRAM);
  const v = h.dataPoints[0]!.value as { buckets: { boundaries: number[]; counts: number[] }; sum: number; count: number };
  assert.deepEqual(v.buckets.boundaries, [...CATALOG.packetSize.buckets]);
  assert.deepEqual(v.buckets.counts, [1, 2, 0, 0, 0, 0, 0, 0, 0, 3]);
  assert.ok(Array.isArray(v.buckets.counts), 'a plain array (a typed array would not serialize as JSON)');
  assert.equal(v.count, 6);
  const g = m.find((x) => x.descriptor.name === 'netmon_flows_active')!;
  assert.equal(g.dataPointType, DataPointType.GAUGE);
  assert.equal(g.dataPoints[0]!.value, 42);
  assert.equal(g.descriptor.unit, '{flow}');
});
