/**
 * Generates grafana/dashboards/*.json from the dashboards as code in grafana/src/ (Grafana's typed
 * builders, @grafana/grafana-foundation-sdk), so that a wrong field is a compile error and the
 * committed JSON cannot drift from its source:
 *
 *   npm run generate:dashboards                         writes them (npm run generate: everything)
 *   node dist/scripts/generate-dashboards.js --check    exits 1 naming the files that differ
 *
 * A JSON file in grafana/dashboards/ that no dashboard of grafana/src/dashboards.ts produces is
 * stale too (a removed dashboard must not stay provisioned). test/integration/dashboards.test.ts
 * fails when the committed files differ from what this produces.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARDS } from '../grafana/src/dashboards';
import { buildDashboard } from '../grafana/src/panels';

export const DASHBOARD_DIR = join('grafana', 'dashboards');

/** path (relative to the repository) → file text, for every dashboard. */
export function generateDashboards(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, spec] of Object.entries(DASHBOARDS)) out.set(join(DASHBOARD_DIR, file), `${JSON.stringify(buildDashboard(spec), null, 2)}\n`);
  return out;
}

/** Files under grafana/dashboards/ that differ from, are missing from, or are not in the generated set. */
export function staleDashboards(root: string): string[] {
  const want = generateDashboards();
  const stale: string[] = [];
  for (const [path, text] of want) {
    const file = join(root, path);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) stale.push(path);
  }
  for (const f of readdirSync(join(root, DASHBOARD_DIR))) {
    const path = join(DASHBOARD_DIR, f);
    if (f.endsWith('.json') && !want.has(path)) stale.push(path);
  }
  return stale;
}

function main(argv: readonly string[]): number {
  const root = join(__dirname, '..', '..');
  if (argv.includes('--check')) {
    const stale = staleDashboards(root);
    for (const p of stale) process.stderr.write(`${p} is stale: run npm run generate:dashboards\n`);
    return stale.length === 0 ? 0 : 1;
  }
  const want = generateDashboards();
  for (const f of readdirSync(join(root, DASHBOARD_DIR))) {
    const path = join(DASHBOARD_DIR, f);
    if (f.endsWith('.json') && !want.has(path)) {
      rmSync(join(root, path));
      process.stdout.write(`removed ${path}\n`);
    }
  }
  for (const [path, text] of want) {
    writeFileSync(join(root, path), text);
    process.stdout.write(`wrote ${path}\n`);
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
