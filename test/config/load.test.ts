import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, defaultConfig, loadConfigFile, parseConfigText } from '../../src/config/load';

// Tests run from the repository root (scripts/test.sh).
const repoRoot = process.cwd();

function problemsOf(text: string): string[] {
  try {
    parseConfigText(text, 'c.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems.map((p) => `${p.line ?? '?'} ${p.path}: ${p.message}`);
  }
  return [];
}

test('the shipped config.yaml documents exactly the built-in defaults, and enables a set of named filters', () => {
  const shipped = loadConfigFile(join(repoRoot, 'config.yaml'));
  const { filters, ...rest } = shipped;
  const { filters: noFilters, ...defaults } = defaultConfig();
  assert.deepEqual(rest, defaults);
  assert.deepEqual(noFilters, {});
  assert.deepEqual(Object.keys(filters), ['dns', 'web', 'ssh', 'ntp', 'icmp', 'tcp_syn']);
  for (const f of Object.values(filters)) assert.ok(typeof f !== 'string' && f.description, 'each shipped filter says what it is');
});

test('an empty file means all defaults', () => {
  assert.deepEqual(parseConfigText('', 'c.yaml'), defaultConfig());
  assert.deepEqual(parseConfigText('# only a comment\n', 'c.yaml'), defaultConfig());
});

test('the loaded configuration is frozen', () => {
  const c = parseConfigText('flows: {max_series: 10}', 'c.yaml');
  assert.equal(c.flows.max_series, 10);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.flows) && Object.isFrozen(c.flows.labels));
});

test('durations accept seconds and Prometheus-style strings', () => {
  const c = parseConfigText('flows: {idle_timeout: 90s, active_timeout: 5m}', 'c.yaml');
  assert.equal(c.flows.idle_timeout, 90);
  assert.equal(c.flows.active_timeout, 300);
  assert.equal(parseConfigText('flows: {idle_timeout: 250ms}', 'c.yaml').flows.idle_timeout, 0.25);
});

test('unknown keys are errors at every level, with their line', () => {
  assert.deepEqual(problemsOf('bogus: 1\n'), ['1 bogus: unknown key (see config.yaml for the keys netmon accepts)']);
  assert.deepEqual(problemsOf('flows:\n  max_series: 5\n  colour: red\n'), ['3 flows.colour: unknown key (see config.yaml for the keys netmon accepts)']);
});

test('every problem is named by key path and line, in file order', () => {
  const problems = problemsOf('listen: nope\nflows:\n  max_series: abc\n  labels: [src_ip, mac]\nlog: {level: loud}\n');
  assert.equal(problems.length, 4);
  assert.match(problems[0]!, /^1 listen: expected HOST:PORT/);
  assert.match(problems[1]!, /^3 flows\.max_series: expected an integer from 1 to 10000000, got "abc"/);
  assert.match(problems[2]!, /^4 flows\.labels\.1: expected one of "src_ip", .* got "mac"/);
  assert.match(problems[3]!, /^5 log\.level: expected one of .* got "loud"/);
});

test('YAML syntax errors carry the line', () => {
  const problems = problemsOf('flows:\n  max_series: [1,\n bad');
  assert.equal(problems.length >= 1, true);
  assert.match(problems[0]!, /^\d+ : YAML syntax error/);
});

test('filters accept the string and the mapping form, and reject bad names', () => {
  const c = parseConfigText('filters:\n  dns: udp port 53\n  web: {expr: tcp port 80, description: web}\n', 'c.yaml');
  assert.equal(c.filters['dns'], 'udp port 53');
  assert.deepEqual(c.filters['web'], { expr: 'tcp port 80', description: 'web' });
  assert.match(problemsOf('filters:\n  x: {description: no expr}\n')[0]!, /^2 filters\.x\.expr: required key is missing/);
  assert.match(problemsOf('filters:\n  "a b": udp\n')[0]!, /^2 filters\.a b: invalid name/);
  assert.match(problemsOf('filters:\n  x: {expr: udp, colour: red}\n')[0]!, /filters\.x/);
});

test('a missing file is a clear error', () => {
  assert.throws(() => loadConfigFile('/nonexistent/netmon.yaml'), /cannot read configuration file \/nonexistent\/netmon\.yaml: no such file/);
});

test('detect: defaults, durations, and each bad key named with what was expected', () => {
  const d = parseConfigText('', 'c.yaml').detect;
  assert.deepEqual(d, { enabled: true, window: 60, top_n: 10, max_contacts: 65536, max_targets: 16384, max_sources: 16384, max_dns_names: 0 });
  assert.equal(parseConfigText('detect: {window: 2m, enabled: false}', 'c.yaml').detect.window, 120);
  assert.deepEqual(problemsOf('detect:\n  window: 0.5s\n  top_n: 0\n  max_contacts: many\n  enabled: yes please\n  colour: red\n  max_dns_names: -5\n'), [
    '2 detect.window: expected a duration from 1 s to 3600 s, got "0.5s"',
    '3 detect.top_n: expected an integer from 1 to 1000, got 0',
    '4 detect.max_contacts: expected an integer from 16 to 16777216, got "many"',
    '5 detect.enabled: expected true or false, got "yes please"',
    '6 detect.colour: unknown key (see config.yaml for the keys netmon accepts)',
    '7 detect.max_dns_names: expected an integer from 0 to 1048576, got -5',
  ]);
  assert.equal(parseConfigText('detect: {max_dns_names: 4096}', 'c.yaml').detect.max_dns_names, 4096);
});

test('tunnels: defaults, Flannel\'s VXLAN port added, and a bad or doubly claimed port named', () => {
  assert.deepEqual(parseConfigText('', 'c.yaml').tunnels, { enabled: true, vxlan_ports: [4789], geneve_ports: [6081], gtpu_ports: [2152], l2tp_ports: [1701], teredo_ports: [3544], vxlan_gpe_ports: [4790], gre_udp_ports: [4754], mpls_udp_ports: [6635], capwap_ports: [5247] });
  assert.deepEqual(parseConfigText('tunnels: {vxlan_ports: [4789, 8472]}', 'c.yaml').tunnels.vxlan_ports, [4789, 8472]);
  assert.deepEqual(parseConfigText('tunnels: {gtpu_ports: []}', 'c.yaml').tunnels.gtpu_ports, []);
  assert.deepEqual(problemsOf('tunnels:\n  vxlan_ports: [4789, 0]\n  geneve_ports: [4789]\n  enabled: sure\n'), [
    '2 tunnels.vxlan_ports.1: expected an integer from 1 to 65535, got 0',
    '3 tunnels.geneve_ports.0: port 4789 is already in tunnels.vxlan_ports: a port can carry one kind of tunnel',
    '4 tunnels.enabled: expected true or false, got "sure"',
  ]);
});
