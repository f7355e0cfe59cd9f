import { once } from 'node:events';
import type { Server } from 'node:http';
import express from 'express';
import type { Logger } from '../log';
import { NetmonError } from '../errors';

/** What the HTTP layer needs from the rest of netmon: no business logic lives here. */
export interface HttpSources {
  readonly version: string;
  /** Renders the whole exposition at scrape time, as chunks sent in order (no concatenation of large texts). */
  renderMetrics(): Promise<ReadonlyArray<string | Buffer>>;
  readonly metricsContentType: string;
  /** Ready once capture is open or a replay has started. */
  isReady(): boolean;
  /** One line describing the current mode for the index page. */
  describe(): string;
}

export function createApp(src: HttpSources, log: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', (_req, res) => {
    src.renderMetrics().then(
      (chunks) => {
        res.setHeader('Content-Type', src.metricsContentType);
        res.setHeader('Content-Length', chunks.reduce((n, c) => n + (typeof c === 'string' ? Buffer.byteLength(c) : c.length), 0));
        for (const c of chunks) res.write(c);
        res.end();
      },
      (err: unknown) => {
        log.error({ err }, 'rendering /metrics failed');
        res.status(500).type('text/plain').send(`netmon: rendering metrics failed: ${(err as Error).message}\n`);
      },
    );
  });
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    if (src.isReady()) res.type('text/plain').send('ready\n');
    else res.status(503).type('text/plain').send('not ready: capture not open yet\n');
  });
  app.get('/', (_req, res) => {
    res.type('text/html').send(indexPage(src));
  });
  return app;
}

function indexPage(src: HttpSources): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>netmon</title></head>
<body>
<h1>netmon ${esc(src.version)}</h1>
<p>${esc(src.describe())}</p>
<ul>
<li><a href="metrics">/metrics</a>: Prometheus exposition</li>
<li><a href="healthz">/healthz</a>: liveness</li>
<li><a href="readyz">/readyz</a>: readiness (capture open or replay started)</li>
</ul>
</body></html>
`;
}

/** Starts listening; a port in use or a bad address becomes a clear start-up error (exit 2). */
export async function listen(app: express.Express, host: string, port: number): Promise<Server> {
  const server = app.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EADDRNOTAVAIL' ? 'address not available on this host' : e.message;
    throw new NetmonError('NETMON_ERR_LISTEN', `cannot listen on ${host}:${port}: ${why}`);
  }
  server.keepAliveTimeout = 65_000;
  return server;
}

/** Stops accepting connections and waits for in-flight requests (a scrape in progress finishes). */
export async function closeServer(server: Server): Promise<void> {
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
