/**
 * The dashboards of grafana/dashboards/ and their provisioning files, without Grafana: generated
 * from grafana/src/ and current, valid JSON, unique uids and panel ids, the variables they use
 * defined, every panel with a query on the chosen data source, every metric named one that netmon
 * declares or a recording rule of alerts/. (That the queries evaluate, return data and name only
 * metrics a real scrape has is proven by alerting-e2e.test.ts against a real Prometheus.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { staleDashboards } from '../../scripts/generate-dashboards';
import { ROOT, dashboardQueries, dashboards, declaredMetricNames, metricNames, panelsOf, substitute } from '../support/monitoring-files';
import type { Dashboard } from '../support/monitoring-files';

/** Every problem of one dashboard (empty: consistent). Separate so that the test can show it catches each kind. */
function problems(file: string, d: Dashboard, known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  if (typeof d.uid !== 'string' || !/^[a-z0-9-]{1,40}$/.test(d.uid)) out.push(`${file}: uid ${JSON.stringify(d.uid)}: expected lowercase letters, digits and "-", at most 40`);
  if (!(d.schemaVersion >= 36)) out.push(`${file}: schemaVersion ${d.schemaVersion}`);
  if (d.__inputs !== undefined) out.push(`${file}: __inputs (an export for sharing: provisioning would not give it a data source)`);
  const vars = d.templating?.list ?? [];
  const ds = vars.find((v) => v.name === 'datasource');
  if (ds?.type !== 'datasource' || ds.query !== 'prometheus') out.push(`${file}: no "datasource" variable of type prometheus`);
  if (!vars.some((v) => v.name === 'instance' && v.type === 'query')) out.push(`${file}: no "instance" variable`);
  const ids = new Set<number>();
  for (const p of panelsOf(d)) {
    const where = `${file}: panel ${JSON.stringify(p.title)}`;
    if (typeof p.id !== 'number' || ids.has(p.id)) out.push(`${where}: id ${p.id} missing or not unique`);
    else ids.add(p.id);
    if (p.type === 'row') continue;
    if (!p.title) out.push(`${where}: no title`);
    const targets = (p.targets ?? []).filter((t) => typeof t.expr === 'string' && t.expr.trim() !== '');
    if (targets.length === 0) out.push(`${where}: no query`);
    if (p.datasource?.uid !== '${datasource}') out.push(`${where}: data source ${JSON.stringify(p.datasource)}, expected the \${datasource} variable`);
    for (const t of p.targets ?? []) if (t.datasource !== undefined && t.datasource.uid !== '${datasource}') out.push(`${where}: query ${t.refId} on another data source`);
    if (new Set((p.targets ?? []).map((t) => t.refId)).size !== (p.targets ?? []).length) out.push(`${where}: duplicate refId`);
  }
  for (const q of dashboardQueries(file, d)) {
    try {
      const concrete = substitute(q.expr, vars);
      if (concrete.includes('$')) out.push(`${file}: ${q.panel}: unreplaced variable in ${concrete}`);
    } catch (err) {
      out.push(`${file}: ${q.panel}: ${(err as Error).message}`);
    }
    for (const n of metricNames(q.expr)) if (!known.has(n)) out.push(`${file}: ${q.panel}: unknown metric ${n}`);
  }
  return out;
}

test('the dashboards are generated from grafana/src/ and current (npm run generate)', () => {
  assert.deepEqual(staleDashboards(ROOT), [], 'stale: run npm run generate and commit the result');
});

test('three or more dashboards, valid JSON, unique uids and titles, each consistent', () => {
  const all = dashboards();
  assert.ok(all.size >= 3, `${all.size} dashboards`);
  const uids = [...all.values()].map((d) => d.uid);
  assert.equal(new Set(uids).size, uids.length, `uids ${uids}`);
  const titles = [...all.values()].map((d) => d.title);
  assert.equal(new Set(titles).size, titles.length, `titles ${titles}`);
  const known = declaredMetricNames();
  for (const [file, d] of all) assert.deepEqual(problems(file, d, known), []);
  // What each must show (the list), by its rows.
  const rows = (f: string) => all.get(f)!.panels.filter((p) => p.type === 'row').map((p) => p.title);
  assert.deepEqual(rows('netmon-overview.json'), ['Traffic', 'Protocols', 'Named filters', 'Top talkers']);
  assert.ok(rows('netmon-flows-threats.json').some((r) => r!.startsWith('Threats')) && rows('netmon-flows-threats.json').includes('Flows'));
  assert.deepEqual(rows('netmon-capture-health.json'), ['Capture', 'Budgets', 'Sinks', 'Scrapes and processes']);
  assert.deepEqual(rows('netmon-dns-tcp.json'), ['DNS', 'TCP']);
  const vars = (f: string) => all.get(f)!.templating.list.map((v) => v.name);
  assert.deepEqual(vars('netmon-overview.json'), ['datasource', 'instance', 'interface', 'filter']);
  // Every detector gauge has a panel.
  const exprs = [...all].flatMap(([f, d]) => dashboardQueries(f, d).map((q) => q.expr)).join('\n');
  for (const g of ['netmon_detect_syn_unanswered', 'netmon_detect_scan_ports', 'netmon_detect_scan_hosts', 'netmon_detect_rst_sent', 'netmon_detect_keys', 'netmon_detect_evictions_total']) assert.ok(exprs.includes(g), g);
  // DNS: rcodes and latency quantiles; TCP: the handshake RTT heatmap and the retransmission ratio.
  const dnsTcp = all.get('netmon-dns-tcp.json')!;
  const byTitle = (t: string) => panelsOf(dnsTcp).find((p) => p.title === t)!;
  assert.match(byTitle('DNS responses by RCODE').targets![0]!.expr!, /netmon_dns_responses_total/);
  assert.equal(byTitle('DNS response time quantiles').targets!.filter((t) => /histogram_quantile/.test(t.expr!)).length, 3);
  assert.equal(byTitle('TCP handshake RTT').type, 'heatmap');
  assert.match(byTitle('TCP retransmission ratio').targets![0]!.expr!, /interface:netmon_tcp_retransmissions:ratio_rate5m/);
});

test('the consistency check catches each kind of problem', () => {
  const known = declaredMetricNames();
  const good = dashboards().get('netmon-overview.json')!;
  const broken = structuredClone(good);
  broken.uid = 'Not A Uid';
  const panels = broken.panels.filter((p) => p.type !== 'row');
  panels[0]!.targets = [];
  panels[1]!.id = panels[2]!.id;
  panels[3]!.targets![0]!.expr = 'rate(netmon_byts_total[$__rate_interval])';
  panels[4]!.targets![0]!.expr = 'netmon_packets_total{instance=~"$instanse"}';
  panels[5]!.datasource = { type: 'prometheus', uid: 'P1809F7CD0C75ACF3' };
  broken.templating.list = broken.templating.list.filter((v) => v.name !== 'datasource');
  const found = problems('x.json', broken, known);
  for (const want of [/uid "Not A Uid"/, /no query/, /not unique/, /unknown metric netmon_byts_total/, /undefined dashboard variable \$instanse/, /data source .*P1809F7CD0C75ACF3/, /no "datasource" variable/]) {
    assert.ok(found.some((p) => want.test(p)), `${want} not among ${found.join('; ')}`);
  }
});

test('provisioning files: a file provider for the dashboards, an example Prometheus data source', () => {
  const prov = parse(readFileSync(join(ROOT, 'grafana', 'provisioning', 'dashboards', 'netmon.yaml'), 'utf8')) as {
    apiVersion: number;
    providers: { name: string; type: string; options: { path: string } }[];
  };
  assert.equal(prov.apiVersion, 1);
  assert.equal(prov.providers.length, 1);
  assert.equal(prov.providers[0]!.type, 'file');
  assert.match(prov.providers[0]!.options.path, /^\/.+/);
  const ds = parse(readFileSync(join(ROOT, 'grafana', 'provisioning', 'datasources', 'prometheus.yaml'), 'utf8')) as { apiVersion: number; datasources: { type: string; url: string }[] };
  assert.equal(ds.apiVersion, 1);
  assert.equal(ds.datasources[0]!.type, 'prometheus');
  // The README's provisioning steps name the provider's path.
  assert.ok(readFileSync(join(ROOT, 'README.md'), 'utf8').includes(prov.providers[0]!.options.path), 'README names the dashboards path');
});
