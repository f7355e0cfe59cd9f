import type { Family, Labels } from './family';

/**
 * Renders catalog families in the Prometheus text format (version 0.0.4) without prom-client: used for
 * the output of a replay, where loading the registry would cost more than the rendering.
 */
export function renderFamilies(families: readonly Family[]): string {
  let out = '';
  for (const family of families) {
    const { def } = family;
    out += `# HELP ${def.name} ${escapeHelp(def.help)}\n# TYPE ${def.name} ${def.type}\n`;
    if (family.def.type === 'histogram') {
      const bounds = def.buckets ?? [];
      for (const s of (family as Extract<Family, { def: { type: 'histogram' } }>).collect()) {
        let cumulative = 0;
        for (let i = 0; i <= bounds.length; i++) {
          cumulative += s.bucketCounts[i] ?? 0;
          out += `${def.name}_bucket${labelText(s.labels, i < bounds.length ? String(bounds[i]) : '+Inf')} ${cumulative}\n`;
        }
        out += `${def.name}_sum${labelText(s.labels)} ${s.sum}\n${def.name}_count${labelText(s.labels)} ${s.count}\n`;
      }
    } else {
      for (const s of (family as Extract<Family, { def: { type: 'counter' | 'gauge' } }>).collect()) {
        out += `${def.name}${labelText(s.labels)} ${formatValue(s.value)}\n`;
      }
    }
  }
  return out;
}

function labelText(labels: Labels, le?: string): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (le !== undefined) parts.push(`le="${le}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Label values escape backslash, double quote and newline (text format 0.0.4). */
function escapeLabel(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function escapeHelp(v: string): string {
  return v.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

function formatValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}
