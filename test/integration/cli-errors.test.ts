import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runNetmon } from '../support/netmon-cli';

const dir = mkdtempSync(join(tmpdir(), 'netmon-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Exit 2 with exactly one line on stderr that matches `pattern`, and no stack trace. */
function assertUsageError(args: string[], pattern: RegExp): void {
  const r = runNetmon(args);
  assert.equal(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, 'no stack trace');
  assert.equal(r.stdout, '');
}

test('--version and --help exit 0', () => {
  const v = runNetmon(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^netmon \d+\.\d+\.\d+\n$/);
  const h = runNetmon(['--help']);
  assert.equal(h.code, 0);
  for (const word of ['netmon run', 'netmon replay', 'netmon check-config', '--capture-filter', '--format', '--speed', '--serve']) {
    assert.ok(h.stdout.includes(word), `help mentions ${word}`);
  }
});

test('unknown commands, flags and bad values stop with exit 2 and one message', () => {
  assertUsageError(['frobnicate'], /^netmon: unknown command "frobnicate"/);
  assertUsageError(['run', '--bogus'], /^netmon: run: Unknown option '--bogus'/);
  assertUsageError(['replay', 'x.pcap', '--format', 'xml'], /--format: expected "prometheus" or "flows-json", got "xml"/);
  assertUsageError(['replay', 'x.pcap', '--speed', 'warp'], /--speed: expected "max" or "original", got "warp"/);
  assertUsageError(['replay'], /replay: expected at least one capture FILE/);
  assertUsageError(['run', '--interface', 'nonexistent0'], /interface "nonexistent0" does not exist/);
  assertUsageError(['replay', join(dir, 'missing.pcap')], /missing\.pcap/);
  assertUsageError(['run', '--interface', 'lo', '--log-level', 'loud'], /--log-level: expected one of/);
});

test('check-config: exit 0 for a valid file, exit 2 naming every problem by key path and line', () => {
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'flows:\n  max_series: 100\nfilters:\n  dns: udp port 53\n');
  const ok = runNetmon(['check-config', good]);
  assert.equal(ok.code, 0, ok.stderr);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'flows:\n  max_series: -1\n  colour: red\n');
  const r = runNetmon(['check-config', bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.yaml:2: flows\.max_series: expected an integer from 1 to 10000000, got -1/);
  assert.match(r.stderr, /bad\.yaml:3: flows\.colour: unknown key/);
  const syntax = join(dir, 'syntax.yaml');
  writeFileSync(syntax, 'flows:\n  max_series: [1,\n');
  const s = runNetmon(['check-config', syntax]);
  assert.equal(s.code, 2);
  assert.match(s.stderr, /syntax\.yaml:\d+: YAML syntax error/);
});

test('a bad config file stops replay and run at start-up with exit 2', () => {
  const bad = join(dir, 'bad2.yaml');
  writeFileSync(bad, 'listen: nowhere\n');
  assertUsageError(['replay', 'x.pcap', '--config', bad], /bad2\.yaml:1: listen: expected HOST:PORT/);
  assertUsageError(['run', '--config', bad], /bad2\.yaml:1: listen/);
});
