import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostname } from 'node:os';
import { ConfigError, parseConfigText } from '../../src/config/load';
import { NetmonError } from '../../src/errors';
import { resolveOtlpSettings } from '../../src/metrics/otlp-settings';

const settings = (yaml: string, env: Record<string, string> = {}) => resolveOtlpSettings(parseConfigText(yaml, 'c.yaml'), 'c.yaml', '1.2.3', env);
const fails = (yaml: string, env: Record<string, string>, pattern: RegExp) =>
  assert.throws(
    () => settings(yaml, env),
    (err: unknown) => err instanceof NetmonError && err.exitCode === 2 && pattern.test(err.message),
  );

test('off without an otlp section, whatever the environment says', () => {
  assert.equal(settings('', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), undefined);
});

test('defaults: localhost:4318/v1/metrics, protobuf, 15 s, 10 s, cumulative; resource service.name, version, host', () => {
  const s = settings('otlp:\n')!;
  assert.equal(s.url, 'http://localhost:4318/v1/metrics');
  assert.equal(s.protocol, 'http/protobuf');
  assert.equal(s.intervalMs, 15_000);
  assert.equal(s.timeoutMs, 10_000);
  assert.equal(s.temporality, 'cumulative');
  assert.equal(s.compression, 'none');
  assert.deepEqual(s.resourceAttributes, { 'service.name': 'netmon', 'service.version': '1.2.3', 'host.name': hostname() });
});

test('the standard environment variables apply where the file is silent; the file wins', () => {
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-a=1',
    OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-a=2',
    OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
    OTEL_METRIC_EXPORT_INTERVAL: '5000',
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta',
    OTEL_RESOURCE_ATTRIBUTES: 'k8s.node.name=node-7,service.name=ignored',
    OTEL_SERVICE_NAME: 'netmon-edge',
  };
  const s = settings('otlp: {}\n', env)!;
  assert.equal(s.url, 'http://collector:4318/v1/metrics');
  assert.equal(s.protocol, 'http/json');
  assert.deepEqual(s.headers, { authorization: 'Bearer abc', 'x-a': '2' });
  assert.equal(s.timeoutMs, 2500);
  assert.equal(s.intervalMs, 5000);
  assert.equal(s.temporality, 'delta');
  assert.equal(s.resourceAttributes['k8s.node.name'], 'node-7');
  assert.equal(s.resourceAttributes['service.name'], 'netmon-edge');
  assert.equal(settings('otlp: {}\n', { ...env, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:9/custom' })!.url, 'http://m:9/custom');

  const f = settings(
    'otlp:\n  endpoint: http://file:4318\n  protocol: http/protobuf\n  interval: 20s\n  timeout: 3s\n  temporality: cumulative\n  headers: {x-a: "3"}\n  resource_attributes: {service.name: from-file}\n',
    env,
  )!;
  assert.equal(f.url, 'http://file:4318/v1/metrics');
  assert.equal(f.protocol, 'http/protobuf');
  assert.equal(f.intervalMs, 20_000);
  assert.equal(f.timeoutMs, 3000);
  assert.equal(f.temporality, 'cumulative');
  assert.equal(f.headers['x-a'], '3');
  assert.equal(f.headers['authorization'], 'Bearer abc');
  assert.equal(f.resourceAttributes['service.name'], 'from-file');
});

test('bad environment values stop netmon naming the variable', () => {
  fails('otlp: {}\n', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /OTEL_EXPORTER_OTLP_PROTOCOL: expected "http\/protobuf" or "http\/json" \(netmon does not export over gRPC\)/);
  fails('otlp: {}\n', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:\/\/ or https:\/\/ URL/);
  fails('otlp: {}\n', { OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }, /OTEL_EXPORTER_OTLP_TIMEOUT: expected a whole number of milliseconds/);
  fails('otlp: {}\n', { OTEL_METRIC_EXPORT_INTERVAL: '50' }, /OTEL_METRIC_EXPORT_INTERVAL: expected at least 100 milliseconds/);
  fails('otlp: {}\n', { OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }, /OTEL_EXPORTER_OTLP_HEADERS: expected HTTP headers as key=value/);
  fails('otlp: {}\n', { OTEL_RESOURCE_ATTRIBUTES: 'a=%zz' }, /OTEL_RESOURCE_ATTRIBUTES: the value of "a" is not valid percent-encoding/);
  fails('otlp: {}\n', { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' }, /OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: expected "cumulative", "delta" or "lowmemory"/);
  fails('otlp: {}\n', { OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }, /OTEL_EXPORTER_OTLP_COMPRESSION: expected "none" or "gzip"/);
  fails('otlp: {}\n', { OTEL_EXPORTER_OTLP_TIMEOUT: '20000' }, /timeout from OTEL_EXPORTER_OTLP_TIMEOUT: 20000 ms is longer than the export interval \(15000 ms\)/);
  fails('otlp: {interval: 5s, timeout: 6s}\n', {}, /c\.yaml: otlp\.timeout: 6000 ms is longer than the export interval/);
});

test('bad otlp keys in the file are configuration problems with their line', () => {
  const problems = (yaml: string): string[] => {
    try {
      parseConfigText(yaml, 'c.yaml');
    } catch (err) {
      if (err instanceof ConfigError) return err.problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
      throw err;
    }
    return [];
  };
  assert.match(problems('otlp:\n  endpoint: collector:4318\n')[0]!, /^2 otlp\.endpoint: expected an http:\/\/ or https:\/\/ URL/);
  assert.match(problems('otlp:\n  protocol: grpc\n')[0]!, /^2 otlp\.protocol: expected one of "http\/protobuf", "http\/json"/);
  assert.match(problems('otlp:\n  interval: 10ms\n')[0]!, /^2 otlp\.interval: expected a duration of at least 100 ms/);
  assert.match(problems('otlp:\n  headers: {"bad header": x}\n')[0]!, /^2 otlp\.headers\.bad header: invalid name/);
  assert.match(problems('otlp:\n  colour: red\n')[0]!, /^2 otlp\.colour: unknown key/);
  assert.match(problems('metrics:\n  engine: statsd\n')[0]!, /^2 metrics\.engine: expected one of "prometheus", "otel"/);
});
