import { captureHealth } from './capture-health';
import { dnsTcp } from './dns-tcp';
import { flowsThreats } from './flows-threats';
import { overview } from './overview';
import type { DashboardSpec } from './panels';

/** Every dashboard, by the name of its file in grafana/dashboards/. */
export const DASHBOARDS: Readonly<Record<string, DashboardSpec>> = {
  'netmon-overview.json': overview,
  'netmon-flows-threats.json': flowsThreats,
  'netmon-capture-health.json': captureHealth,
  'netmon-dns-tcp.json': dnsTcp,
};
