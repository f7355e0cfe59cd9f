import { defaultInterface, interfaceExists, validateCaptureFilter } from '../capture/interfaces';
import { EngineClient } from '../engine/engine-client';
import type { EngineExit } from '../engine/engine-client';
import { NetmonError } from '../errors';
import type { HttpSources } from '../http/server';
import { createLogger } from '../log';
import type { Family } from '../metrics/family';
import { netmonFamilies } from '../metrics/netmon-families';
import type { MetricSnapshot } from '../metrics/otel-metric-data';
import type * as OtelPrometheus from '../metrics/otel-prometheus';
import type * as OtlpExport from '../metrics/otlp-export';
import type * as ProcessFamilies from '../metrics/process-families';
import type * as PromRegistry from '../metrics/prometheus-registry';
import { resolveOtlpSettings, resolveResourceAttributes } from '../metrics/otlp-settings';
import { sinkFamilies } from '../metrics/sink-families';
import { PrometheusExposition } from '../metrics/prometheus-registry';
import { Registry } from 'prom-client';
import { checkSinks, startSinks } from '../sinks/configured-sinks';
import type { Sinks } from '../sinks/configured-sinks';
import { RecordBus } from '../sinks/record-bus';
import { VERSION } from '../version';
import { closeServer, shutdownSignal, startHttp } from './http-runtime';
import { buildApi, resolveWebConfig } from './live-view';
import { loadConfigOrDefaults } from './load-config';
import { resolveLogLevel } from './log-level';

export interface RunOptions {
  readonly configFile: string | undefined;
  readonly interfaces: readonly string[];
  readonly listen: string | undefined;
  readonly captureFilter: string | undefined;
  readonly logLevel: string | undefined;
  readonly webConfigFile: string | undefined;
}

/** How long the capture process may take to stop before it is killed (SIGTERM must exit promptly). */
const ENGINE_STOP_TIMEOUT_MS = 2000;
/** How long the sinks may take to write what is queued at SIGTERM; what is left then is dropped and counted. */
const SINK_STOP_TIMEOUT_MS = 10_000;

/**
 * `netmon run`: live capture until SIGTERM/SIGINT, then a clean exit 0.
 *
 * Two processes: capture, decoding and counting run in a child (engine/engine-process.ts) whose
 * event loop does nothing else, so rendering /metrics here (and collecting its garbage) can never
 * stall the thread that drains the kernel capture ring. Each scrape fetches one snapshot of the
 * counters from the child, then renders it. If the child dies, netmon exits 1 (a supervisor restarts it).
 */
export async function runCommand(opts: RunOptions): Promise<number> {
  const { config, name } = loadConfigOrDefaults(opts.configFile);
  const logLevel = resolveLogLevel(opts.logLevel, config.log.level);
  const log = createLogger(logLevel);
  const names = opts.interfaces.length > 0 ? [...opts.interfaces] : config.interfaces.length > 0 ? [...config.interfaces] : [defaultOrFail()];
  for (const n of names) {
    if (!interfaceExists(n)) throw new NetmonError('NETMON_ERR_INTERFACE', `interface "${n}" does not exist (see "ip link" for the interfaces of this host)`);
  }
  const web = resolveWebConfig(opts.webConfigFile, config, opts.configFile);
  const otlp = resolveOtlpSettings(config, name, VERSION);
  const otelEngineResource = config.metrics.engine === 'otel' ? resolveResourceAttributes(config, VERSION) : undefined;
  const startMs = performance.timeOrigin + performance.now();
  const filter = opts.captureFilter ?? config.capture.filter;
  if (filter !== '') validateCaptureFilter(filter, opts.captureFilter !== undefined ? '--capture-filter' : `${name}: capture.filter`);
  checkSinks(config, name);

  const captureOptions = {
    snaplen: config.capture.snaplen,
    bufferSize: config.capture.buffer_size_mb * 1024 * 1024,
    promiscuous: config.capture.promiscuous,
    immediate: config.capture.immediate,
    timeoutMs: config.capture.timeout_ms,
    filter,
  };
  // A bad named filter is reported by the child's buildPipeline as the same NetmonError (exit 2).
  const engine = await EngineClient.start({ config, configName: name, interfaces: names, capture: captureOptions, logLevel });
  // Ended flow records and tapped packets from the capture process reach the outputs through the bus.
  const bus = new RecordBus(engine);
  engine.setOutputReceiver(bus);
  const describe = () => `Capturing on ${names.join(', ')}.`;
  const { api, stats } = buildApi({ config, bus, interfaceNames: () => names, query: (q) => engine.query(q), describe }, log);
  let server;
  let push: OtlpExport.OtlpPush | undefined;
  let sinks: Sinks | undefined;
  try {
    // Sinks run here, never in the capture process: they subscribe to the bus before capture starts.
    sinks = startSinks(config, name, { bus, interfaceName: (i) => names[i] ?? String(i), log, replay: false });
    // The OpenTelemetry modules load only when OTLP or the otel engine is configured.
    const otlpModule = otlp !== undefined || otelEngineResource !== undefined ? (require('../metrics/otlp-export') as typeof OtlpExport) : undefined;
    const otlpStats = otlp !== undefined ? new otlpModule!.OtlpExportStats() : undefined;
    const families: Family[] = [
      ...netmonFamilies({
        version: VERSION, pipeline: engine.counters(), captures: engine.captureStatus(), captureProcess: engine.processUsage(), outputs: engine.outputsStatus(),
        analysis: { dns: config.dns.enabled, tcp: config.tcp.enabled },
      }),
      ...sinkFamilies(sinks?.stats ?? []),
      ...stats.families(),
      ...(otlpStats?.families() ?? []),
    ];
    // The OpenTelemetry data also carries prom-client's process metrics of this process, read first
    // (awaited); then the catalog families and flow series of the latest snapshot, read synchronously.
    const processRegistry = otlpModule !== undefined ? (require('../metrics/prometheus-registry') as typeof PromRegistry).addProcessMetrics(new Registry()) : undefined;
    const processFamilies = async (): Promise<Family[]> => (require('../metrics/process-families') as typeof ProcessFamilies).readProcessFamilies(processRegistry!);
    const latest = (proc: readonly Family[]): MetricSnapshot => ({ families: [...families, ...proc], flows: engine.flowSeries(), timeMs: engine.snapshotTimeMs });
    const exposition =
      otelEngineResource !== undefined
        ? new (otelPrometheus()).OtelPrometheusExposition(async () => latest(await processFamilies()), { resourceAttributes: otelEngineResource, version: VERSION, startMs, maxSeries: config.flows.max_series })
        : new PrometheusExposition(families, [() => engine.renderFlowFamilies()]);
    const sources: HttpSources = {
      version: VERSION,
      renderMetrics: async () => {
        await engine.refresh();
        // Synchronous from here to the registry's (synchronous) collects: no other snapshot lands mid-render.
        return exposition.render();
      },
      metricsContentType: exposition.contentType,
      isReady: () => engine.up.some((u) => u),
      describe,
      api: api.router,
      web,
    };
    server = await startHttp(opts.listen ?? config.listen, sources, log);
    if (otlp !== undefined) {
      // One snapshot per export interval, shared with /metrics: an export uses the snapshot of the
      // latest scrape if one came since the previous export, and asks for its own otherwise. So an
      // export shows exactly the flow series /metrics showed, and adds no rebalance (no faster
      // score decay) while Prometheus scrapes at least once per export interval.
      let exportedSeq = -1;
      const source = async (): Promise<MetricSnapshot> => {
        const proc = await processFamilies();
        if (engine.snapshotSeq === 0 || engine.snapshotSeq === exportedSeq) await engine.refresh();
        exportedSeq = engine.snapshotSeq;
        return latest(proc);
      };
      push = otlpModule!.startOtlpPush({ settings: otlp, source, maxSeries: config.flows.max_series, version: VERSION, startMs, stats: otlpStats!, log });
    }
  } catch (err) {
    api.close();
    engine.kill();
    await sinks?.close(0);
    throw err;
  }
  engine.capture();

  const ended = await Promise.race([
    shutdownSignal().then((signal) => ({ signal })),
    engine.exited.then((exit) => ({ exit })),
  ]);
  if ('exit' in ended) {
    const e: EngineExit = ended.exit;
    log.error({ code: e.code, signal: e.signal }, 'capture process exited unexpectedly: stopping');
    api.close();
    await sinks?.close(SINK_STOP_TIMEOUT_MS);
    await closeServer(server);
    return 1;
  }
  log.info({ signal: ended.signal }, 'stopping');
  // A last export of the final counts, bounded by otlp.timeout, while the capture process still answers.
  const cutShort = (await push?.shutdown()) === true;
  const e = await engine.stop(ENGINE_STOP_TIMEOUT_MS);
  if (e.code !== 0) log.warn({ code: e.code, signal: e.signal }, 'capture process did not stop cleanly');
  // The streams got the records of the flows still active (end_reason "end"): end them, then the server.
  api.close();
  // Everything the capture process delivered (the records of the flows still active included) is queued now.
  await sinks?.close(SINK_STOP_TIMEOUT_MS);
  await closeServer(server);
  if (cutShort) otlpModuleLoaded().exitWhenDone();
  return 0;
}

function otlpModuleLoaded(): typeof OtlpExport {
  return require('../metrics/otlp-export') as typeof OtlpExport;
}

function defaultOrFail(): string {
  const name = defaultInterface();
  if (name === undefined) throw new NetmonError('NETMON_ERR_INTERFACE', 'no interface given and no non-loopback interface is up: use --interface NAME');
  return name;
}

/** Loads the otel engine on demand. (A function: `new (require(...) as T).X()` loses its parentheses in tsc 7's output.) */
function otelPrometheus(): { OtelPrometheusExposition: typeof OtelPrometheus.OtelPrometheusExposition } {
  return require('../metrics/otel-prometheus') as typeof OtelPrometheus;
}
