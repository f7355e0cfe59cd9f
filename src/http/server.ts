import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import express from 'express';
import type { Logger } from '../log';
import { NetmonError } from '../errors';
import { BasicAuth } from './web-config-auth';
import { clientCertProblem, tlsServerOptions, watchTlsFiles } from './web-config-tls';
import type { WebConfig } from './web-config';
import { mountStatusPage } from './status-page';

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
  /** The API (src/api/), mounted at /api/v1. */
  readonly api?: express.Router;
  /** The web configuration securing every endpoint (TLS, basic auth, headers), if any. */
  readonly web?: WebConfig;
}

export function createApp(src: HttpSources, log: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  if (src.web !== undefined) secure(app, src.web, log);
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
  if (src.api !== undefined) app.use('/api/v1', src.api);
  mountStatusPage(app, src);
  return app;
}

/**
 * Every endpoint behind the web configuration: its headers on every response, the client
 * certificate rule of client_auth_type, and basic auth when users are configured (401 with a
 * challenge otherwise, so browsers ask for the password).
 */
function secure(app: express.Express, web: WebConfig, log: Logger): void {
  const auth = web.users.size > 0 ? new BasicAuth(web.users) : undefined;
  app.use((req, res, next) => {
    for (const [k, v] of Object.entries(web.headers)) res.setHeader(k, v);
    const certProblem = web.tls === undefined ? undefined : clientCertProblem(web, req.socket as TLSSocket);
    if (certProblem !== undefined) {
      res.status(403).type('text/plain').send(`${certProblem}\n`);
      return;
    }
    if (auth === undefined) return next();
    auth.check(req).then(
      (ok) => {
        if (ok) return next();
        res.setHeader('WWW-Authenticate', 'Basic realm="netmon", charset="UTF-8"');
        res.status(401).type('text/plain').send('Unauthorized\n');
      },
      (err: unknown) => {
        log.error({ err }, 'basic auth check failed');
        res.status(500).type('text/plain').send('authentication failed\n');
      },
    );
  });
}

/**
 * Starts listening (HTTPS when the web configuration has tls_server_config); a port in use or a bad
 * address becomes a clear start-up error (exit 2), as do unreadable TLS files.
 */
export async function listen(app: express.Express, host: string, port: number, web?: WebConfig, log?: Logger): Promise<Server> {
  let server: Server;
  if (web?.tls !== undefined) {
    const https = createHttpsServer(tlsServerOptions(web), app);
    if (log !== undefined) watchTlsFiles(https, web, log);
    server = https;
  } else {
    server = createServer(app);
  }
  server.listen(port, host);
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

/**
 * Stops accepting connections and waits for in-flight requests (a scrape in progress finishes);
 * connections still open after `graceMs` (a stream client that does not read) are closed.
 */
export async function closeServer(server: Server, graceMs = 2000): Promise<void> {
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  clearTimeout(timer);
}
