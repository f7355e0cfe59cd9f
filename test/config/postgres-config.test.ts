/**
 * The `sinks.postgres` keys: defaults, durations, and clear errors naming the key (exit 2 from
 * check-config and at start-up), never echoing a password.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { ConfigError, parseConfigText } from '../../src/config/load';
import { redactUrl } from '../../src/config/postgres-schema';
import { packetsTableOf } from '../../src/sinks/postgres/schema-sql';

function problemsOf(text: string): string[] {
  try {
    parseConfigText(text, 'c.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems.map((p) => `${p.line ?? '?'} ${p.path}: ${p.message}`);
  }
  return [];
}

const pg = (body: string): string => `sinks:\n  postgres:\n${body}`;

test('absent: no sink', () => {
  assert.equal(parseConfigText('', 'c.yaml').sinks.postgres, undefined);
});

test('only url: every other key takes its default', () => {
  const c = parseConfigText(pg('    url: postgres://netmon@db:5432/netmon\n'), 'c.yaml').sinks.postgres!;
  assert.deepEqual(c, {
    url: 'postgres://netmon@db:5432/netmon',
    password_file: undefined,
    host: hostname(),
    table: 'netmon_flows',
    batch_size: 5000,
    flush_interval: 1,
    max_queue: 200_000,
    retention: 7 * 86400,
    packets: undefined,
  });
  assert.equal(packetsTableOf(c.table), 'netmon_packets');
  assert.equal(packetsTableOf('edge_a'), 'edge_a_packets');
});

test('every key as the issue names it', () => {
  const c = parseConfigText(
    pg('    url: postgresql://netmon@db/netmon?sslmode=require\n    password_file: /run/pw\n    host: node7\n    table: edge_flows\n    batch_size: 100\n    flush_interval: 250ms\n    max_queue: 1000\n    retention: 0\n    packets:\n      filter: "tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0"\n      max_rate: 50\n'),
    'c.yaml',
  ).sinks.postgres!;
  assert.equal(c.flush_interval, 0.25);
  assert.equal(c.retention, 0);
  assert.deepEqual(c.packets, { filter: 'tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0', max_rate: 50 });
  assert.equal(parseConfigText(pg('    url: postgres://h/d\n    retention: 2w\n'), 'c.yaml').sinks.postgres!.retention, 14 * 86400);
});

test('a missing or malformed url names the key, and never shows the password', () => {
  assert.deepEqual(problemsOf(pg('    table: x\n')), ['3 sinks.postgres.url: required key is missing']);
  assert.match(problemsOf(pg('    url: "not a url"\n'))[0]!, /^3 sinks\.postgres\.url: expected a URL such as postgres:\/\//);
  assert.match(problemsOf(pg('    url: mysql://u:hunter2@db/x\n'))[0]!, /^3 sinks\.postgres\.url: expected a postgres:\/\/ or postgresql:\/\/ URL, got scheme "mysql"/);
  assert.match(problemsOf(pg('    url: postgres://u:hunter2@db:99999/x\n'))[0]!, /^3 sinks\.postgres\.url: expected a URL/);
  assert.match(problemsOf(pg('    url: "postgres:///netmon"\n'))[0]!, /expected a host/);
  for (const text of [pg('    url: mysql://u:hunter2@db/x\n'), pg('    url: postgres://u:hunter2@db:99999/x\n')]) assert.ok(!problemsOf(text).join().includes('hunter2'));
  assert.equal(redactUrl('postgres://u:hunter2@db/x'), 'postgres://u:***@db/x');
});

test('unknown keys and bad values are problems with their line', () => {
  assert.deepEqual(problemsOf(pg('    url: postgres://db/x\n    colour: red\n')), ['4 sinks.postgres.colour: unknown key (see config.yaml for the keys netmon accepts)']);
  assert.deepEqual(problemsOf('sinks:\n  kafka: {}\n'), ['2 sinks.kafka: unknown key (see config.yaml for the keys netmon accepts)']);
  assert.match(problemsOf(pg('    url: postgres://db/x\n    table: Flows\n'))[0]!, /^4 sinks\.postgres\.table: expected a lowercase SQL name/);
  assert.match(problemsOf(pg('    url: postgres://db/x\n    flush_interval: 0\n'))[0]!, /^4 sinks\.postgres\.flush_interval: expected a duration above 0/);
  assert.match(problemsOf(pg('    url: postgres://db/x\n    retention: 1y\n'))[0]!, /^4 sinks\.postgres\.retention: expected a duration/);
  assert.match(problemsOf(pg('    url: postgres://db/x\n    max_queue: 0\n'))[0]!, /^4 sinks\.postgres\.max_queue: expected an integer from 1/);
  assert.match(problemsOf(pg('    url: postgres://db/x\n    packets: {max_rate: 5}\n'))[0]!, /sinks\.postgres\.packets\.filter: required key is missing/);
});
