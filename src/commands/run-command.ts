import { defaultInterface, interfaceExists, validateCaptureFilter } from '../capture/interfaces';
import { EngineClient } from '../engine/engine-client';
import type { EngineExit } from '../engine/engine-client';
import { NetmonError } from '../errors';
import type { HttpSources } from '../http/server';
import { createLogger } from '../log';
import { netmonFamilies } from '../metrics/netmon-families';
import { sinkFamilies } from '../metrics/sink-families';
import { PrometheusExposition } from '../metrics/prometheus-registry';
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
  let sinks: Sinks | undefined;
  try {
    // Sinks run here, never in the capture process: they subscribe to the bus before capture starts.
    sinks = startSinks(config, name, { bus, interfaceName: (i) => names[i] ?? String(i), log, replay: false });
    const families = [
      ...netmonFamilies({
        version: VERSION, pipeline: engine.counters(), captures: engine.captureStatus(), captureProcess: engine.processUsage(), outputs: engine.outputsStatus(),
        analysis: { dns: config.dns.enabled, tcp: config.tcp.enabled },
      }),
      ...sinkFamilies(sinks?.stats ?? []),
      ...stats.families(),
    ];
    const exposition = new PrometheusExposition(families, [() => engine.renderFlowFamilies()]);
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
  const e = await engine.stop(ENGINE_STOP_TIMEOUT_MS);
  if (e.code !== 0) log.warn({ code: e.code, signal: e.signal }, 'capture process did not stop cleanly');
  // The streams got the records of the flows still active (end_reason "end"): end them, then the server.
  api.close();
  // Everything the capture process delivered (the records of the flows still active included) is queued now.
  await sinks?.close(SINK_STOP_TIMEOUT_MS);
  await closeServer(server);
  return 0;
}

function defaultOrFail(): string {
  const name = defaultInterface();
  if (name === undefined) throw new NetmonError('NETMON_ERR_INTERFACE', 'no interface given and no non-loopback interface is up: use --interface NAME');
  return name;
}
