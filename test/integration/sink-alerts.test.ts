/**
 * The sink's alert rules and dashboard (alerts/netmon-sink-rules.yml, its promtool tests,
 * grafana/dashboards/netmon-sinks.json) with the real promtool: rule syntax, unit tests that fail
 * when an alert never fires, and every dashboard expression parsed as PromQL (as recording rules
 * given to `promtool check rules`). Metric names are checked against the catalog, because PromQL
 * happily returns nothing for a misspelt name.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { CATALOG } from '../../src/metrics/catalog';

const ROOT = join(__dirname, '..', '..', '..');
const RULES = join(ROOT, 'alerts', 'netmon-sink-rules.yml');
const RULE_TESTS = join(ROOT, 'alerts', 'netmon-sink-rules.test.yml');
const DASHBOARD = join(ROOT, 'grafana', 'dashboards', 'netmon-sinks.json');
const skip = spawnSync('promtool', ['--version']).status === 0 ? undefined : 'promtool is not installed (Debian package prometheus)';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const run = (args: readonly string[]): { code: number | null; out: string } => {
  const r = spawnSync('promtool', args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout + r.stderr };
};

const known = new Set<string>(
  Object.values(CATALOG).flatMap((d) => (d.type === 'histogram' ? [d.name, `${d.name}_bucket`, `${d.name}_sum`, `${d.name}_count`] : [d.name])),
);
const metricNames = (expr: string): string[] => [...expr.matchAll(/\bnetmon_\w+\b/g)].map((m) => m[0]);

describe('sink alerts and dashboard', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nmt-sink-alerts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
  const alerts = groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);

  it('promtool checks the rules; each alert is complete and names netmon_sink_* metrics that exist', () => {
    const r = run(['check', 'rules', RULES]);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(alerts.map((a) => a.alert), ['NetmonSinkDown', 'NetmonSinkDropping']);
    for (const a of alerts) {
      assert.ok(['warning', 'critical'].includes(a.labels?.['severity'] ?? ''), `${a.alert}: severity`);
      assert.ok(a.annotations?.['summary'] && a.annotations['description']?.includes('docs/postgres.md'), `${a.alert}: annotations and runbook`);
      const names = metricNames(a.expr);
      assert.ok(names.length > 0 && names.every((n) => known.has(n) && n.startsWith('netmon_sink_')), `${a.alert}: ${names.join(', ')}`);
    }
  });

  it('promtool test rules passes, and fails when any alert never fires', () => {
    const r = run(['test', 'rules', RULE_TESTS]);
    assert.equal(r.code, 0, r.out);
    writeFileSync(join(dir, 'netmon-sink-rules.test.yml'), readFileSync(RULE_TESTS));
    for (const a of alerts) {
      const mutated = groups.map((g) => ({ ...g, rules: g.rules.map((x) => (x.alert === a.alert ? { ...x, expr: 'vector(1) == 0' } : x)) }));
      writeFileSync(join(dir, 'netmon-sink-rules.yml'), stringify({ groups: mutated }));
      assert.notEqual(run(['test', 'rules', join(dir, 'netmon-sink-rules.test.yml')]).code, 0, `${a.alert} never firing goes unnoticed`);
    }
  });

  it('every dashboard expression is valid PromQL over metrics netmon exports, with a data source variable', () => {
    const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; __inputs?: unknown; templating: { list: { name: string; type: string; query?: string }[] }; panels: { title: string; targets?: { expr: string }[] }[] };
    assert.equal(dash.__inputs, undefined);
    assert.ok(dash.templating.list.some((v) => v.type === 'datasource' && v.name === 'datasource'));
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
    for (const v of dash.templating.list) {
      const m = v.type === 'query' ? /^label_values\((.*),\s*\w+\)$/.exec(String(v.query)) : null;
      if (m) exprs.push({ title: `variable ${v.name}`, expr: m[1]! });
    }
    assert.ok(exprs.length >= 6);
    for (const e of exprs) for (const n of metricNames(e.expr)) assert.ok(known.has(n), `${e.title}: unknown metric ${n}`);
    // Grafana's variables replaced as Grafana would, then parsed by promtool as recording rules.
    const concrete = exprs.map((e) => e.expr.replace(/\$__rate_interval/g, '5m').replace(/\$(instance|sink)\b/g, '.*'));
    const file = join(dir, 'dashboard-exprs.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: concrete.map((expr, i) => ({ record: `dashboard:expr_${i}:x`, expr })) }] }));
    const r = run(['check', 'rules', file]);
    assert.equal(r.code, 0, r.out);
    // The check can fail: a range function without a range is rejected.
    writeFileSync(file, stringify({ groups: [{ name: 'bad', rules: [{ record: 'bad:x:y', expr: 'rate(netmon_sink_up)' }] }] }));
    assert.notEqual(run(['check', 'rules', file]).code, 0);
  });
});
