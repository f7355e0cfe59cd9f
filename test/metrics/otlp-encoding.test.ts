import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { CATALOG } from '../../src/metrics/catalog';
import type { Family } from '../../src/metrics/family';
import { OtelMetricData } from '../../src/metrics/otel-metric-data';
import { encodeJson, encodeProtobuf } from '../../src/metrics/otlp-encoding';
import { decodeOtlp } from '../support/otlp-receiver';

/** Sums (int and double), gauges, a histogram and flow series with attributes that need UTF-8 and escaping. */
function sample(temporality: 'cumulative' | 'delta', withNaN = true): ResourceMetrics[] {
  const families: Family[] = [
    { def: CATALOG.packets, collect: () => [{ labels: { interface: 'eth0' }, value: 123456789012 }, { labels: { interface: 'wlan "ä"' }, value: 0 }] },
    { def: CATALOG.captureProcessCpu, collect: () => [{ labels: {}, value: 1.25 }] },
    { def: CATALOG.flowsActive, collect: () => [{ labels: {}, value: 7 }] },
    { def: { name: 'netmon_x_ratio', help: 'a gauge that is not a number', type: 'gauge', labelNames: [] }, collect: () => (withNaN ? [{ labels: {}, value: NaN }] : []) },
    { def: CATALOG.packetSize, collect: () => [{ labels: { interface: 'eth0' }, bucketCounts: [1, 2, 3, 0, 0, 0, 0, 0, 4, 5], sum: 99999.5, count: 15 }] },
    { def: CATALOG.filterPackets, collect: () => [] },
  ];
  const flows = {
    count: 2,
    ids: [4, 900],
    packets: [3, 2 ** 40],
    bytes: [180, 2 ** 50],
    labelText: Object.assign([], { 4: 'src_ip="10.0.0.1",dst_ip="::1",proto="tcp",src_port="1",dst_port="80"', 900: 'src_ip="2001:db8::/64",dst_ip="10.0.0.0/24",proto="ip\\"x",src_port="0",dst_port="0"' }) as string[],
    overflowLabels: 'src_ip="other",dst_ip="other",proto="other",src_port="other",dst_port="other"',
    overflowPackets: 10,
    overflowBytes: 1000,
  };
  const d = new OtelMetricData({ name: 'netmon', version: '9.9.9' }, temporality, 1_700_000_000_123.456);
  const resource = resourceFromAttributes({ 'service.name': 'netmon', 'host.name': 'höst' });
  const first = { resource, scopeMetrics: [d.build({ families, flows, timeMs: 1_700_000_001_000.5 })] };
  const second = { resource, scopeMetrics: [d.build({ families, flows: { ...flows, packets: [5, 2 ** 40 + 1] }, timeMs: 1_700_000_002_000 })] };
  return [first, second];
}

for (const temporality of ['cumulative', 'delta'] as const) {
  test(`protobuf (${temporality}): netmon's encoding decodes to what the exporter's own serializer encodes`, () => {
    for (const rm of sample(temporality)) {
      const ours = decodeOtlp(encodeProtobuf(rm), 'application/x-protobuf');
      const theirs = decodeOtlp(ProtobufMetricsSerializer.serializeRequest(rm)!, 'application/x-protobuf');
      assert.deepEqual(ours, theirs);
      assert.ok(ours[0]!.metrics.length >= 7);
    }
  });

  test(`OTLP/JSON (${temporality}): netmon's encoding decodes to what the exporter's own serializer encodes`, () => {
    // Without NaN: the exporter's JSON writes it as null (JSON.stringify), protobuf's JSON mapping as "NaN", as netmon does.
    for (const rm of sample(temporality, false)) {
      const ours = decodeOtlp(encodeJson(rm), 'application/json');
      const theirs = decodeOtlp(JsonMetricsSerializer.serializeRequest(rm)!, 'application/json');
      assert.deepEqual(ours, theirs);
    }
    // protobuf's JSON mapping: 64-bit integers as decimal strings.
    assert.match(Buffer.from(encodeJson(sample(temporality)[0]!)).toString(), /"asInt":"123456789012"/);
    const nan = decodeOtlp(encodeJson(sample(temporality)[0]!), 'application/json')[0]!.metrics.find((m) => m.name === 'netmon_x_ratio')!;
    assert.ok(Number.isNaN(nan.points[0]!.value));
  });
}
