/**
 * The monitoring files of the repository, read for the tests: the rule files of alerts/, the
 * dashboards of grafana/dashboards/, and every PromQL expression in them with the dashboard
 * variables substituted as Grafana would.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse } from 'yaml';
import { ruleFiles } from '../../scripts/generate-kubernetes';
import { CATALOG } from '../../src/metrics/catalog';
import { DASHBOARD_DIR, generateDashboards } from '../../scripts/generate-dashboards';

/** The repository: next to dist/ when built in place, else the working directory. */
export const ROOT = [join(__dirname, '..', '..', '..'), process.cwd()].find((d) => existsSync(join(d, 'alerts', 'netmon-rules.yml'))) ?? process.cwd();

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: Rule[];
}

/** Every rule file of alerts/ (as the Kubernetes generator picks them), parsed. */
export function ruleFileGroups(): { file: string; groups: RuleGroup[] }[] {
  return ruleFiles(ROOT).map((file) => ({ file, groups: (parse(readFileSync(join(ROOT, file), 'utf8')) as { groups: RuleGroup[] }).groups }));
}

export const allRules = (): Rule[] => ruleFileGroups().flatMap((f) => f.groups.flatMap((g) => g.rules));

export interface Variable {
  type: string;
  name: string;
  query?: unknown;
  allValue?: string;
  includeAll?: boolean;
  current?: { value?: unknown };
}

export interface Panel {
  type: string;
  id?: number;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: { expr?: string; refId?: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: Variable[] };
  panels: Panel[];
  __inputs?: unknown;
}

/** The committed dashboards, file name → parsed JSON (throws naming a file that is not JSON). */
export function dashboards(): Map<string, Dashboard> {
  const m = new Map<string, Dashboard>();
  for (const path of generateDashboards().keys()) {
    const text = readFileSync(join(ROOT, path), 'utf8');
    try {
      m.set(path.slice(DASHBOARD_DIR.length + 1), JSON.parse(text) as Dashboard);
    } catch (err) {
      throw new Error(`${path}: not JSON: ${(err as Error).message}`);
    }
  }
  return m;
}

/** Every panel, rows' nested panels included. */
export function panelsOf(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Grafana's built-in interval variables, as Grafana would substitute them for a 1 h range. */
const BUILTINS: Record<string, string> = { __rate_interval: '1m', __interval: '15s', __range: '1h', __range_s: '3600', __interval_ms: '15000' };

/**
 * Replaces $v, ${v}, ${v:fmt} and [[v]]: multi-value query variables by their "All" regex, textboxes
 * by their value, and `builtins` over Grafana's own ($__rate_interval...).
 */
export function substitute(expr: string, vars: readonly Variable[], builtins: Readonly<Record<string, string>> = {}): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (_m, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    if (name in builtins) return builtins[name]!;
    if (name in BUILTINS) return BUILTINS[name]!;
    const v = vars.find((x) => x.name === name);
    if (v === undefined) throw new Error(`undefined dashboard variable $${name} in ${expr}`);
    if (v.type === 'query') return v.includeAll === true && v.allValue !== undefined ? v.allValue : '.*';
    const cur = v.current?.value;
    return String(typeof cur === 'string' ? cur : v.query);
  });
}

export interface DashboardQuery {
  dashboard: string;
  panel: string;
  expr: string;
  /** A query variable's selector (label_values), not a panel query. */
  variable: boolean;
}

/** Every query of a dashboard: panel targets, and the selectors inside its label_values() variables. */
export function dashboardQueries(file: string, d: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of panelsOf(d)) for (const t of p.targets ?? []) if (typeof t.expr === 'string') out.push({ dashboard: file, panel: p.title ?? '', expr: t.expr, variable: false });
  for (const v of d.templating.list) {
    const m = v.type === 'query' ? /^label_values\((.*),\s*\w+\)$/.exec(String(v.query)) : null;
    if (m) out.push({ dashboard: file, panel: `variable ${v.name}`, expr: m[1]!, variable: true });
  }
  return out;
}

/** Metric names an expression reads: netmon_* and Prometheus' own series, and recording rules (a:b:c). */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  // Strip label matchers and strings first, so that label values are not taken for names.
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of bare.matchAll(/\b(netmon_\w+|up|scrape_\w+|ALERTS\w*|[a-z_]+:\w+:\w+)\b/g)) names.add(m[1]!);
  return [...names];
}

/** Series Prometheus makes for every target itself. */
export const PROMETHEUS_SERIES: readonly string[] = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'];

/** Names netmon declares (catalog, histogram suffixes, prom-client's process metrics) and the recording rules. */
export function declaredMetricNames(): Set<string> {
  const names = new Set<string>(PROMETHEUS_SERIES);
  for (const def of Object.values(CATALOG)) {
    names.add(def.name);
    if (def.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(def.name + s);
  }
  const reg = new Registry();
  collectDefaultMetrics({ register: reg, prefix: 'netmon_' });
  for (const m of reg.getMetricsAsArray()) names.add(m.name);
  reg.clear();
  for (const r of allRules()) if (r.record !== undefined) names.add(r.record);
  return names;
}
