import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { ROOT, allRules, declaredMetricNames, metricNames, ruleFileGroups } from '../support/monitoring-files';
import type { Rule } from '../support/monitoring-files';

/**
 * alerts/ with the real tools: promtool (rule syntax, the unit tests of every alert, firing and not),
 * amtool (Alertmanager config and routing by severity), and the files' own contract: every alert has
 * severity, summary, description and a runbook_url whose section exists in docs/runbooks.md; every
 * threshold is one recording rule of netmon-thresholds.yml. Metric names are checked against what
 * netmon declares, because PromQL happily returns nothing for a misspelt name. (The rules against a
 * live netmon, Prometheus and Alertmanager: alerting-e2e.test.ts.)
 */

const ALERTS_DIR = join(ROOT, 'alerts');
const ALERTMANAGER = join(ALERTS_DIR, 'alertmanager.yml');
const TEST_FILES = readdirSync(ALERTS_DIR).filter((f) => /\.test\.ya?ml$/.test(f)).sort();

const dir = mkdtempSync(join(tmpdir(), 'netmon-alerts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const files = ruleFileGroups();
const rules = allRules();
const alertRules = rules.filter((r) => r.alert !== undefined);

/** The alerts the issue names, and netmon's health alerts. */
const REQUIRED = [
  'NetmonSynFlood', 'NetmonPortScan', 'NetmonHostSweep', 'NetmonTcpResetStorm', 'NetmonTrafficSpike', 'NetmonTrafficDrop', 'NetmonFilterSilent',
  'NetmonDown', 'NetmonCaptureDown', 'NetmonPacketsDropped', 'NetmonDecodeErrorsHigh', 'NetmonFlowTableFull', 'NetmonFlowSeriesBudgetExhausted', 'NetmonHighMemory', 'NetmonNoTraffic',
  'NetmonDnsServfailRatio', 'NetmonDnsLatencyHigh', 'NetmonDnsUnanswered', 'NetmonDnsFragmentsLost', 'NetmonTcpFragmentsLost', 'NetmonTcpRetransmitRatio', 'NetmonTcpConnectFailures',
];

function run(cmd: string, args: readonly string[], cwd?: string): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, cwd });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout + r.stderr };
}

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Anchors of docs/runbooks.md's headings, as GitHub makes them. */
function runbookAnchors(): Set<string> {
  const text = readFileSync(join(ROOT, 'docs', 'runbooks.md'), 'utf8');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')));
}

test('promtool check rules on every rule file; every alert is complete, named and documented', () => {
  assert.ok(files.length >= 3, `rule files: ${files.map((f) => f.file)}`);
  for (const f of files) {
    const r = run('promtool', ['check', 'rules', join(ROOT, f.file)]);
    assert.equal(r.code, 0, r.out);
  }
  const names = alertRules.map((a) => a.alert!);
  assert.equal(new Set(names).size, names.length, `duplicate alert names: ${names}`);
  for (const n of REQUIRED) assert.ok(names.includes(n), `alert ${n}`);
  assert.ok(names.length >= 14, `${names.length} alerts`);
  const anchors = runbookAnchors();
  for (const a of alertRules) {
    assert.ok(a.labels?.severity === 'critical' || a.labels?.severity === 'warning', `${a.alert}: severity`);
    assert.ok(a.annotations?.summary && a.annotations.description, `${a.alert}: summary and description`);
    assert.match(a.for ?? '', /^\d+[mh]$/, `${a.alert}: for`);
    const m = /^docs\/runbooks\.md#([\w-]+)$/.exec(a.annotations?.runbook_url ?? '');
    assert.ok(m, `${a.alert}: runbook_url ${a.annotations?.runbook_url}`);
    assert.equal(m[1], a.alert!.toLowerCase(), `${a.alert}: runbook_url names its own section`);
    assert.ok(anchors.has(m[1]!), `${a.alert}: docs/runbooks.md has no section #${m[1]}`);
  }
  const known = declaredMetricNames();
  for (const r of rules) for (const n of metricNames(r.expr)) assert.ok(known.has(n), `${r.alert ?? r.record}: unknown metric ${n}`);
});

test('traffic alerts carry category="traffic" (the label the inhibitions match); health alerts do not', () => {
  const traffic = files.find((f) => f.file === join('alerts', 'netmon-traffic.yml'))!;
  for (const g of traffic.groups) for (const a of g.rules) if (a.alert !== undefined && a.alert !== 'NetmonThresholdsMissing') assert.equal(a.labels?.category, 'traffic', a.alert);
  for (const a of alertRules) if (['NetmonDown', 'NetmonCaptureDown', 'NetmonThresholdsMissing'].includes(a.alert!)) assert.equal(a.labels?.category, undefined, a.alert);
});

test('thresholds: one recording rule each in netmon-thresholds.yml, all of them used, none written as a literal in the alerts', () => {
  const thresholds = files.find((f) => f.file === join('alerts', 'netmon-thresholds.yml'))!.groups.flatMap((g) => g.rules);
  const defined = thresholds.map((r) => r.record!);
  for (const r of thresholds) assert.match(r.expr, /^vector\([\d.e+-]+\)$/, `${r.record}: one number`);
  const used = new Set(alertRules.flatMap((a) => [...a.expr.matchAll(/netmon:threshold:\w+/g)].map((m) => m[0])));
  assert.deepEqual([...used].sort(), [...defined].sort());
  // Alerts compare against thresholds, not numbers (a literal would not be overridable). `== 0`,
  // `> 0`, `== 1` are no thresholds: they are what down, silent, dropping and open mean.
  for (const a of alertRules) {
    const bare = a.expr.replace(/\[\w+\]/g, '').replace(/(==|>)\s*[01]\b/g, '');
    assert.doesNotMatch(bare, /[<>=]=?\s*\d/, `${a.alert}: literal threshold`);
  }
});

/** Exit code of `promtool test rules FILE` run in cwd (asynchronous, so that several run at once). */
function promtoolTest(file: string, cwd: string): Promise<number> {
  return new Promise((resolve) => execFile('promtool', ['test', 'rules', file], { cwd, timeout: 60_000 }, (err) => resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : 1)));
}

test('promtool test rules: every alert has a firing and a silent case, and the tests fail when any alert never fires', async () => {
  assert.ok(TEST_FILES.length >= 2, `test files ${TEST_FILES}`);
  for (const t of TEST_FILES) {
    const r = run('promtool', ['test', 'rules', t], ALERTS_DIR);
    assert.equal(r.code, 0, `${t}: ${r.out}`);
  }
  const casesOf = (t: string) => (parse(readFileSync(join(ALERTS_DIR, t), 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] }).tests.flatMap((x) => x.alert_rule_test ?? []);
  const cases = TEST_FILES.flatMap(casesOf);
  for (const a of alertRules) {
    const mine = cases.filter((c) => c.alertname === a.alert);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${a.alert}: a case where it fires`);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${a.alert}: a case where it does not`);
  }
  // Mutation: with one alert's expression made never true, a unit test of it must fail. One copy of
  // alerts/ per alert, its test files run three at a time.
  const jobs: { alert: string; run: () => Promise<boolean> }[] = [];
  for (const f of files) {
    for (const a of f.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined)) {
      const copy = join(dir, a.alert!);
      cpSync(ALERTS_DIR, copy, { recursive: true });
      const mutated = f.groups.map((g) => ({ ...g, rules: g.rules.map((x: Rule) => (x.alert === a.alert ? { ...x, expr: 'vector(1) == 0' } : x)) }));
      writeFileSync(join(copy, f.file.slice('alerts/'.length)), stringify({ groups: mutated }));
      const tests = TEST_FILES.filter((t) => casesOf(t).some((c) => c.alertname === a.alert && (c.exp_alerts ?? []).length > 0));
      jobs.push({ alert: a.alert!, run: async () => (await Promise.all(tests.map((t) => promtoolTest(t, copy)))).some((code) => code !== 0) });
    }
  }
  const noticed = new Map<string, boolean>();
  for (let i = 0; i < jobs.length; i += 3) {
    const batch = jobs.slice(i, i + 3);
    const results = await Promise.all(batch.map((j) => j.run()));
    batch.forEach((j, k) => noticed.set(j.alert, results[k]!));
  }
  for (const [alert, failed] of noticed) assert.ok(failed, `${alert} never firing goes unnoticed`);
});

test('amtool check-config; each alert routed by its severity (critical pages, warning makes a ticket)', (t) => {
  if (!hasCommand('amtool')) {
    t.skip('amtool not installed (Debian package prometheus-alertmanager)');
    return;
  }
  const r = run('amtool', ['check-config', ALERTMANAGER]);
  assert.equal(r.code, 0, r.out);
  const receiver: Record<string, string> = { critical: 'pager', warning: 'ticket' };
  for (const a of alertRules) {
    const want = receiver[a.labels!.severity!]!;
    const labels = Object.entries({ ...a.labels, alertname: a.alert!, instance: 'a:10847', interface: 'eth0' }).map(([k, v]) => `${k}=${v}`);
    const rt = run('amtool', ['config', 'routes', 'test', `--config.file=${ALERTMANAGER}`, `--verify.receivers=${want}`, ...labels]);
    assert.equal(rt.code, 0, `${a.alert} → ${want}: ${rt.out}`);
  }
  // The check itself can fail: a critical alert must not reach the ticket receiver.
  const wrong = run('amtool', ['config', 'routes', 'test', `--config.file=${ALERTMANAGER}`, '--verify.receivers=ticket', 'severity=critical']);
  assert.notEqual(wrong.code, 0);
  // Grouped per alert and instance; the inhibitions the end-to-end test exercises are there.
  const am = parse(readFileSync(ALERTMANAGER, 'utf8')) as { route: { group_by: string[] }; inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[] };
  assert.deepEqual(am.route.group_by, ['alertname', 'instance']);
  assert.ok(am.inhibit_rules.some((i) => i.source_matchers.includes('alertname="NetmonCaptureDown"') && i.target_matchers.includes('category="traffic"') && i.equal.join() === 'instance'));
  assert.ok(am.inhibit_rules.some((i) => i.source_matchers.includes('alertname="NetmonDown"') && i.equal.join() === 'instance'));
});
