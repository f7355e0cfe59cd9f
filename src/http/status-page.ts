/**
 * The status page at `/` and its assets (`/assets/app.js`, `/assets/app.css`), built from web/ by
 * `npm run build` (scripts/build-web.js: esbuild bundles the page's script with uPlot; nothing is
 * loaded from elsewhere). The page reads everything it shows from the API. Read once, at start-up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type express from 'express';

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

const FILES: ReadonlyArray<[string, string, string]> = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/assets/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/assets/app.css', 'app.css', 'text/css; charset=utf-8'],
];

/** dist/bundle/web next to the bundle, or from the unbundled build (dist/src/http). */
function webDir(): string | undefined {
  for (const d of [join(__dirname, 'web'), join(__dirname, '..', '..', 'bundle', 'web')]) if (existsSync(join(d, 'index.html'))) return d;
  return undefined;
}

export function mountStatusPage(app: express.Express, src: { version: string; describe(): string }): void {
  const dir = webDir();
  const assets = new Map<string, Asset>();
  if (dir !== undefined) for (const [path, file, type] of FILES) assets.set(path, { type, body: readFileSync(join(dir, file)) });
  for (const [path] of FILES) {
    app.get(path, (_req, res) => {
      const a = assets.get(path);
      if (a === undefined) {
        if (path === '/') res.type('text/html').send(fallbackPage(src));
        else res.status(404).type('text/plain').send('status page assets not built (npm run build)\n');
        return;
      }
      res.setHeader('Content-Type', a.type);
      res.setHeader('Cache-Control', 'no-cache');
      // The page names the version and what is captured before its script has fetched anything.
      res.send(path === '/' ? a.body.toString('utf8').replace('{{version}}', esc(src.version)).replace('{{description}}', esc(src.describe())) : a.body);
    });
  }
}

/** Without the built assets: the list of endpoints. */
const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function fallbackPage(src: { version: string; describe(): string }): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>netmon</title></head>
<body>
<h1>netmon ${esc(src.version)}</h1>
<p>${esc(src.describe())}</p>
<ul>
<li><a href="metrics">/metrics</a>: Prometheus exposition</li>
<li><a href="api/v1/status">/api/v1/status</a>, <a href="api/v1/flows">/api/v1/flows</a>: capture status, active flows</li>
<li><a href="healthz">/healthz</a>: liveness</li>
<li><a href="readyz">/readyz</a>: readiness (capture open or replay started)</li>
</ul>
</body></html>
`;
}
