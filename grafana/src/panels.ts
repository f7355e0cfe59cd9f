/**
 * Building blocks of netmon's dashboards, on Grafana's typed builders (@grafana/grafana-foundation-sdk):
 * a dashboard is a list of rows, a row a list of panels, a panel a few PromQL queries. Panels are
 * laid out by the builder (left to right, wrapping at 24 columns); ids are numbered in order.
 *
 * Adding a panel: add one `timeseries({...})` (or stat/table/heatmap/stateTimeline) to a row of a
 * dashboard in this folder, then `npm run generate`. Every query must name metrics netmon exports or
 * recording rules of alerts/ (test/integration/dashboards.test.ts and the end-to-end test check it),
 * and use `$instance` (and `$interface` / `$filter` where the metric has those labels).
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmapPanel from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as statPanel from '@grafana/grafana-foundation-sdk/stat';
import * as stateTimelinePanel from '@grafana/grafana-foundation-sdk/statetimeline';
import * as tablePanel from '@grafana/grafana-foundation-sdk/table';
import * as timeseriesPanel from '@grafana/grafana-foundation-sdk/timeseries';

/** Every panel and variable queries the data source chosen in the `datasource` variable. */
export const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** Matchers for the dashboard variables, to put inside a selector's braces. */
export const INSTANCE = 'instance=~"$instance"';
export const INTERFACE = 'instance=~"$instance", interface=~"$interface"';
export const FILTER = 'instance=~"$instance", filter=~"$filter"';

export interface Query {
  readonly expr: string;
  /** Legend, e.g. "{{instance}} {{interface}}". */
  readonly legend?: string;
  /** One value now (tables, stats) rather than a range. */
  readonly instant?: boolean;
  /** Grafana's table format (labels as columns), for table panels. */
  readonly table?: boolean;
}

type AnyPanel = timeseriesPanel.PanelBuilder | statPanel.PanelBuilder | tablePanel.PanelBuilder | heatmapPanel.PanelBuilder | stateTimelinePanel.PanelBuilder;

interface PanelCommon {
  readonly title: string;
  readonly description: string;
  readonly queries: readonly Query[];
  /** Grafana unit (bps, pps, bytes, percentunit, short, s...). */
  readonly unit?: string;
  /** Columns out of 24 (default 12) and height in grid rows (default 8). */
  readonly width?: number;
  readonly height?: number;
}

function targets<P extends AnyPanel>(p: P, o: PanelCommon): P {
  p.title(o.title).description(o.description).datasource(DATASOURCE).span(o.width ?? 12).height(o.height ?? 8);
  if (o.unit !== undefined) p.unit(o.unit);
  o.queries.forEach((q, i) => {
    const t = new prometheus.DataqueryBuilder().expr(q.expr).refId(String.fromCharCode(65 + i)).datasource(DATASOURCE);
    if (q.legend !== undefined) t.legendFormat(q.legend);
    if (q.instant === true) t.instant();
    else t.range();
    if (q.table === true) t.format(prometheus.PromQueryFormat.Table);
    p.withTarget(t);
  });
  return p;
}

export function timeseries(o: PanelCommon & { readonly stack?: boolean; readonly min?: number }): timeseriesPanel.PanelBuilder {
  const p = targets(new timeseriesPanel.PanelBuilder(), o).fillOpacity(10).showPoints(common.VisibilityMode.Never).legend(
    new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom),
  );
  if (o.stack === true) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)).fillOpacity(60);
  if (o.min !== undefined) p.min(o.min);
  return p;
}

/** A single number per series (instant queries). */
export function stat(o: PanelCommon): statPanel.PanelBuilder {
  return targets(new statPanel.PanelBuilder(), { ...o, queries: o.queries.map((q) => ({ ...q, instant: true })) }).graphMode(common.BigValueGraphMode.None);
}

/** One row per series of instant queries, labels as columns. */
export function table(o: PanelCommon): tablePanel.PanelBuilder {
  return targets(new tablePanel.PanelBuilder(), { ...o, queries: o.queries.map((q) => ({ ...q, instant: true, table: true })) });
}

/** A histogram's buckets over time (the query returns rates per `le`). */
export function heatmap(o: PanelCommon): heatmapPanel.PanelBuilder {
  return targets(new heatmapPanel.PanelBuilder(), { ...o, queries: o.queries.map((q) => ({ ...q, legend: q.legend ?? '{{le}}' })) });
}

/** Up/down over time (1 / 0 gauges). */
export function stateTimeline(o: PanelCommon): stateTimelinePanel.PanelBuilder {
  return targets(new stateTimelinePanel.PanelBuilder(), o);
}

export interface Row {
  readonly title: string;
  readonly panels: readonly AnyPanel[];
}

/** The query variables a dashboard may offer (each also needs the ones before it). */
export type VariableName = 'instance' | 'interface' | 'filter';

const VARIABLES: Record<VariableName, { label: string; query: string }> = {
  instance: { label: 'Instance', query: 'label_values(netmon_build_info, instance)' },
  interface: { label: 'Interface', query: 'label_values(netmon_packets_total{instance=~"$instance"}, interface)' },
  filter: { label: 'Named filter', query: 'label_values(netmon_filter_packets_total{instance=~"$instance"}, filter)' },
};

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly variables: readonly VariableName[];
  /** Extra variables (e.g. a textbox holding a budget that netmon does not export). */
  readonly extraVariables?: readonly dashboard.TextBoxVariableBuilder[];
  readonly rows: readonly Row[];
}

/** Links every netmon dashboard carries to the others (by tag), keeping the variables. */
const LINKS = new dashboard.DashboardLinkBuilder('netmon dashboards').type(dashboard.DashboardLinkType.Dashboards).tags(['netmon']).asDropdown(true).includeVars(true).keepTime(true);

export function buildDashboard(spec: DashboardSpec): dashboard.Dashboard {
  const vars: cog.Builder<dashboard.VariableModel>[] = [new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus')];
  for (const name of spec.variables) {
    const v = VARIABLES[name];
    vars.push(
      new dashboard.QueryVariableBuilder(name)
        .label(v.label)
        .datasource(DATASOURCE)
        .query(v.query)
        .definition(v.query)
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .sort(dashboard.VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .allValue('.*')
        .current({ selected: true, text: ['All'], value: ['$__all'] }),
    );
  }
  vars.push(...(spec.extraVariables ?? []));
  const b = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(['netmon', 'network'])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .link(LINKS)
    .variables(vars);
  let id = 1;
  for (const row of spec.rows) {
    b.withRow(new dashboard.RowBuilder(row.title).id(id++));
    for (const p of row.panels) b.withPanel(p.id(id++));
  }
  return b.build();
}
