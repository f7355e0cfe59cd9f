import type { Server } from 'node:http';
import { parseListen } from '../config/schema';
import { usageError } from '../errors';
import type { PacketPipeline } from '../engine/packet-pipeline';
import { closeServer, createApp, listen } from '../http/server';
import type { HttpSources } from '../http/server';
import type { Logger } from '../log';
import type { Family } from '../metrics/family';
import { PrometheusExposition } from '../metrics/prometheus-registry';
import { VERSION } from '../version';

export { closeServer };

/** What /metrics serves: the catalog families and prom-client's process metrics, plus the flow families. */
export function prometheusSources(
  families: readonly Family[],
  pipeline: PacketPipeline,
  status: { isReady(): boolean; describe(): string },
  /** Renders /metrics instead of prom-client (`metrics.engine: otel`). */
  otherEngine?: { render(): Promise<Array<string | Buffer>>; readonly contentType: string },
): HttpSources {
  const exposition = otherEngine ?? new PrometheusExposition(families, [() => pipeline.flows.renderFlowFamilies()]);
  return {
    version: VERSION,
    renderMetrics: () => exposition.render(),
    metricsContentType: exposition.contentType,
    isReady: status.isReady,
    describe: status.describe,
  };
}

/** Starts the HTTP server on HOST:PORT (validated: a bad value is a usage error, exit 2). */
export async function startHttp(address: string, sources: HttpSources, log: Logger): Promise<Server> {
  const parsed = parseListen(address);
  if (parsed === undefined) throw usageError(`--listen: expected HOST:PORT with a port from 1 to 65535, got "${address}"`);
  const server = await listen(createApp(sources, log), parsed.host, parsed.port, sources.web, log);
  log.info({ listen: address, tls: sources.web?.tls !== undefined, basic_auth: (sources.web?.users.size ?? 0) > 0 }, 'serving /metrics');
  return server;
}

/** Resolves with the signal name on the first SIGTERM or SIGINT. */
export function shutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onTerm = () => done('SIGTERM');
    const onInt = () => done('SIGINT');
    const done = (signal: string) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(signal);
    };
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}
