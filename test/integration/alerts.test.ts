import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse, stringify } from 'yaml';
import { CATALOG } from '../../src/metrics/catalog';

/**
 * Checks alerts/ and grafana/ with the real tools: promtool (rule syntax and unit tests), amtool
 * (Alertmanager config and routing) and a throw-away Prometheus server that must accept every PromQL
 * expression of the dashboard. Metric names are checked against the catalog and prom-client's own
 * process metrics, because PromQL happily returns nothing for a misspelt name.
 */

/** The repository: next to dist/ when built in place, else the working directory (scripts/test.sh). */
const ROOT = [join(__dirname, '..', '..', '..'), process.cwd()].find((d) => existsSync(join(d, 'alerts', 'netmon-rules.yml')));
const RULES = join(ROOT ?? '.', 'alerts', 'netmon-rules.yml');
const RULE_TESTS = join(ROOT ?? '.', 'alerts', 'netmon-rules.test.yml');
const ALERTMANAGER = join(ROOT ?? '.', 'alerts', 'alertmanager.yml');
const DASHBOARD = join(ROOT ?? '.', 'grafana', 'dashboards', 'netmon.json');

const dir = mkdtempSync(join(tmpdir(), 'netmon-alerts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
const rules = groups.flatMap((g) => g.rules);
const alertRules = rules.filter((r) => r.alert !== undefined);

function run(cmd: string, args: readonly string[]): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout + r.stderr };
}

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Every metric name netmon exports, by an independent route for the process metrics (prom-client). */
function knownMetricNames(): Set<string> {
  const names = new Set<string>(['up']);
  for (const def of Object.values(CATALOG)) {
    names.add(def.name);
    if (def.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(def.name + s);
  }
  const reg = new Registry();
  collectDefaultMetrics({ register: reg, prefix: 'netmon_' });
  for (const m of reg.getMetricsAsArray()) names.add(m.name);
  reg.clear();
  for (const r of rules) if (r.record !== undefined) names.add(r.record);
  return names;
}
const KNOWN = knownMetricNames();

/** Metric names used in an expression: netmon_* identifiers and recording-rule names (a:b:c). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(netmon_\w+|\w+:\w+:\w+)\b/g)].map((m) => m[1]!);
}

test('repository files are found', () => {
  assert.ok(ROOT !== undefined, `alerts/netmon-rules.yml not found from ${__dirname} or ${process.cwd()}`);
});

test('promtool check rules, and every alert is complete and names real metrics', () => {
  const r = run('promtool', ['check', 'rules', RULES]);
  assert.equal(r.code, 0, r.out);
  const expected = ['NetmonDown', 'NetmonCaptureDown', 'NetmonPacketsDropped', 'NetmonDecodeErrorsHigh', 'NetmonFlowTableFull',
    'NetmonFlowSeriesBudgetExhausted', 'NetmonHighMemory', 'NetmonNoTraffic'];
  assert.deepEqual(alertRules.map((a) => a.alert).sort(), expected.sort());
  for (const a of alertRules) {
    assert.ok(a.labels?.severity === 'critical' || a.labels?.severity === 'warning', `${a.alert}: severity`);
    assert.ok(a.annotations?.summary && a.annotations.description, `${a.alert}: summary and description`);
    assert.match(a.for ?? '', /^\d+m$/, `${a.alert}: for`);
  }
  for (const r of rules) for (const n of metricNames(r.expr)) assert.ok(KNOWN.has(n), `${r.alert ?? r.record}: unknown metric ${n}`);
});

test('promtool test rules: every alert has a firing and a silent case, and fails when the alert never fires', () => {
  const r = run('promtool', ['test', 'rules', RULE_TESTS]);
  assert.equal(r.code, 0, r.out);
  const tests = (parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] }).tests;
  const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const a of alertRules) {
    const mine = cases.filter((c) => c.alertname === a.alert);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${a.alert}: a case where it fires`);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${a.alert}: a case where it does not`);
  }
  // Mutation: with one alert's expression made never true, the unit tests must fail.
  writeFileSync(join(dir, 'netmon-rules.test.yml'), readFileSync(RULE_TESTS));
  for (const a of alertRules) {
    const mutated = groups.map((g) => ({ ...g, rules: g.rules.map((x) => (x.alert === a.alert ? { ...x, expr: 'vector(1) == 0' } : x)) }));
    writeFileSync(join(dir, 'netmon-rules.yml'), stringify({ groups: mutated }));
    assert.notEqual(run('promtool', ['test', 'rules', join(dir, 'netmon-rules.test.yml')]).code, 0, `${a.alert} never firing goes unnoticed`);
  }
});

test('amtool check-config, and each alert is routed by its severity', (t) => {
  if (!hasCommand('amtool')) {
    t.skip('amtool not installed (Debian package prometheus-alertmanager)');
    return;
  }
  const r = run('amtool', ['check-config', ALERTMANAGER]);
  assert.equal(r.code, 0, r.out);
  const receiver: Record<string, string> = { critical: 'pager', warning: 'chat' };
  for (const a of alertRules) {
    const want = receiver[a.labels!.severity!]!;
    const args = ['config', 'routes', 'test', `--config.file=${ALERTMANAGER}`, `--verify.receivers=${want}`];
    const rt = run('amtool', [...args, `alertname=${a.alert}`, `severity=${a.labels!.severity}`, 'instance=a:10847', 'interface=eth0']);
    assert.equal(rt.code, 0, `${a.alert} → ${want}: ${rt.out}`);
  }
  // The check itself can fail: a critical alert must not reach the chat receiver.
  const wrong = run('amtool', ['config', 'routes', 'test', `--config.file=${ALERTMANAGER}`, '--verify.receivers=chat', 'severity=critical']);
  assert.notEqual(wrong.code, 0);
});

interface Variable {
  type: string;
  name: string;
  query?: string;
  allValue?: string;
  includeAll?: boolean;
  current?: { value?: unknown };
}

/** Grafana's built-in interval variables, as Grafana would substitute them. */
const BUILTINS: Record<string, string> = { __rate_interval: '5m', __interval: '1m', __range: '1h', __range_s: '3600', __interval_ms: '60000' };

/** Replaces $v, ${v}, ${v:fmt} and [[v]] with a concrete value; multi-value variables get their "All" regex. */
function substitute(expr: string, vars: readonly Variable[]): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (_m, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    if (name in BUILTINS) return BUILTINS[name]!;
    const v = vars.find((x) => x.name === name);
    assert.ok(v, `undefined dashboard variable $${name} in ${expr}`);
    if (v.type === 'query') return v.includeAll && v.allValue !== undefined ? v.allValue : 'a';
    if (v.type === 'textbox' || v.type === 'constant') return String(v.query);
    return String(v.current?.value ?? '');
  });
}

/** Every `expr` anywhere in the dashboard, with the title of the panel it belongs to. */
function dashboardExprs(node: unknown, title = ''): { title: string; expr: string }[] {
  if (Array.isArray(node)) return node.flatMap((n) => dashboardExprs(n, title));
  if (node === null || typeof node !== 'object') return [];
  const o = node as Record<string, unknown>;
  const here = typeof o.title === 'string' ? o.title : title;
  const own = typeof o.expr === 'string' ? [{ title: here, expr: o.expr }] : [];
  return [...own, ...Object.entries(o).flatMap(([k, v]) => (k === 'expr' ? [] : dashboardExprs(v, here)))];
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

test('every dashboard expression is accepted by a real Prometheus', { timeout: 90_000 }, async () => {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { schemaVersion: number; templating: { list: Variable[] }; panels: unknown[] };
  assert.ok(dash.schemaVersion >= 36, 'schemaVersion');
  const vars = dash.templating.list;
  for (const name of ['datasource', 'instance', 'interface']) assert.ok(vars.some((v) => v.name === name), `variable ${name}`);
  const exprs = dashboardExprs(dash.panels);
  // Query variables: the selector inside label_values(SELECTOR, label) must be valid too.
  for (const v of vars) {
    const m = v.type === 'query' ? /^label_values\((.*),\s*\w+\)$/.exec(String(v.query)) : null;
    if (m) exprs.push({ title: `variable ${v.name}`, expr: m[1]! });
  }
  assert.ok(exprs.length >= 15, `found ${exprs.length} expressions`);
  for (const e of exprs) for (const n of metricNames(e.expr)) assert.ok(KNOWN.has(n), `${e.title}: unknown metric ${n}`);

  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  evaluation_interval: 1m\nrule_files:\n  - ${JSON.stringify(RULES)}\n`);
  const prom = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  prom.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      assert.equal(prom.exitCode, null, `prometheus exited: ${stderr}`);
      const ok = await fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
      if (ok) break;
      assert.ok(Date.now() < deadline, `prometheus not ready after 30 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const query = async (expr: string) => {
      const r = await fetch(`${base}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }), signal: AbortSignal.timeout(10_000) });
      return (await r.json()) as { status: string; error?: string };
    };
    // The check can fail: Prometheus rejects a range function without a range.
    assert.equal((await query('rate(netmon_bytes_total)')).status, 'error');
    for (const e of exprs) {
      const concrete = substitute(e.expr, vars);
      assert.ok(!concrete.includes('$'), `${e.title}: unreplaced variable in ${concrete}`);
      const r = await query(concrete);
      assert.equal(r.status, 'success', `${e.title}: ${concrete}: ${r.error}`);
    }
    // Prometheus loaded the same rule file (no rule silently dropped).
    const loaded = (await (await fetch(`${base}/api/v1/rules`)).json()) as { data: { groups: { rules: unknown[] }[] } };
    assert.equal(loaded.data.groups.flatMap((g) => g.rules).length, rules.length);
  } finally {
    await stop(prom);
  }
});
