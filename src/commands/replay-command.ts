import { basename } from 'node:path';
import { CaptureFileError, openCaptureFile } from '../capture/capture-file';
import { replayAllSync, replayPaced } from '../capture/replay';
import { buildPipeline } from '../engine/build-pipeline';
import { CaptureOutputs } from '../engine/capture-outputs';
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
import { renderFamilies } from '../metrics/text-exposition';
import { checkSinks, startSinks } from '../sinks/configured-sinks';
import { FlowNdjsonWriter } from '../sinks/flow-ndjson-writer';
import { RecordBus } from '../sinks/record-bus';
import { VERSION } from '../version';
import type * as HttpRuntime from './http-runtime';
import type * as LiveView from './live-view';
import type * as EngineQueriesModule from '../engine/engine-queries';
import { loadConfigOrDefaults } from './load-config';
import { resolveLogLevel } from './log-level';

export interface ReplayOptions {
  readonly files: readonly string[];
  readonly configFile: string | undefined;
  readonly format: 'prometheus' | 'flows-json';
  readonly speed: 'max' | 'original';
  readonly serve: boolean;
  readonly listen: string | undefined;
  readonly logLevel: string | undefined;
  readonly webConfigFile: string | undefined;
}

/** `netmon replay`: exit 0, or 1 when a file was damaged (its packets before the damage still count). */
export async function replayCommand(opts: ReplayOptions): Promise<number> {
  const { config, name } = loadConfigOrDefaults(opts.configFile);
  const log = createLogger(resolveLogLevel(opts.logLevel, config.log.level));
  checkSinks(config, name);
  // OTLP and the otel engine only serve a replay with --serve (a plain replay prints and exits).
  const otlp = opts.serve ? resolveOtlpSettings(config, name, VERSION) : undefined;
  const otelEngineResource = opts.serve && config.metrics.engine === 'otel' ? resolveResourceAttributes(config, VERSION) : undefined;
  const startMs = performance.timeOrigin + performance.now();
  const ndjson = opts.format === 'flows-json' && !opts.serve ? new FlowNdjsonWriter(1) : undefined;
  const pipeline = buildPipeline(config, name, log, ndjson?.write);
  // Outputs (sinks, streams) subscribe on the bus; in a replay they are fed in-process, and a full
  // buffer is delivered on the spot (synchronous): nothing is dropped for lack of room.
  const outputs: CaptureOutputs = new CaptureOutputs(
    pipeline,
    (batch) => {
      bus.publishFlows(batch);
      return true;
    },
    (batch) => {
      bus.publishPackets(batch);
      return true;
    },
    { synchronous: true },
  );
  const bus = new RecordBus(outputs);
  // Sinks write every record of the replay: the replay waits for their queues rather than dropping.
  const sinks = startSinks(config, name, { bus, interfaceName: (i) => pipeline.interfaces[i]?.name ?? String(i), log, replay: true });
  const sinkBackpressure =
    sinks === undefined
      ? undefined
      : async (): Promise<void> => {
          outputs.flush();
          await sinks.whenBelowMark();
        };
  // Open every file first: a file that is not a capture (or cannot be read) is refused before any work (exit 2).
  const readers = opts.files.map((f) => openCaptureFile(f));
  const damagedFiles = new Map<string, number>();
  const families: Family[] = [
    ...netmonFamilies({ version: VERSION, pipeline, captures: [], replay: { damagedFiles }, outputs: { flowRecordsDropped: () => outputs.flowChannel.droppedRecords } }),
    ...sinkFamilies(sinks?.stats ?? []),
  ];
  const otlpModule = otlp !== undefined || otelEngineResource !== undefined ? (require('../metrics/otlp-export') as typeof OtlpExport) : undefined;
  const otlpStats = otlp !== undefined ? new otlpModule!.OtlpExportStats() : undefined;
  if (otlpStats !== undefined) families.push(...otlpStats.families());
  // The in-process pipeline has no snapshot: each collection reads it as a scrape does, the flow
  // table's rebalance first (it settles the series and netmon_flow_series), then the families.
  // prom-client's process metrics are read first (awaited), the pipeline then synchronously.
  let processRegistry: import('prom-client').Registry | undefined;
  if (otlpModule !== undefined) {
    const { Registry } = require('prom-client') as typeof import('prom-client');
    processRegistry = (require('../metrics/prometheus-registry') as typeof PromRegistry).addProcessMetrics(new Registry());
  }
  const readPipeline = async (): Promise<MetricSnapshot> => {
    const proc = await (require('../metrics/process-families') as typeof ProcessFamilies).readProcessFamilies(processRegistry!);
    const x = pipeline.flows.exportFlowSeries();
    const s = pipeline.flows.stats;
    return { families: [...families, ...proc], flows: { ...x, overflowPackets: s.overflowPackets, overflowBytes: s.overflowBytes }, timeMs: performance.timeOrigin + performance.now() };
  };
  const otelEngine =
    otelEngineResource !== undefined
      ? new (otelPrometheus()).OtelPrometheusExposition(readPipeline, { resourceAttributes: otelEngineResource, version: VERSION, startMs, maxSeries: config.flows.max_series })
      : undefined;

  let started = false;
  // The HTTP stack (and the API) is loaded only when serving: a plain replay starts faster without it.
  const http = opts.serve ? (require('./http-runtime') as typeof HttpRuntime) : undefined;
  let api: { close(): void } | undefined;
  let server;
  if (http !== undefined) {
    const live = require('./live-view') as typeof LiveView;
    const web = live.resolveWebConfig(opts.webConfigFile, config, opts.configFile);
    const { EngineQueries } = require('../engine/engine-queries') as typeof EngineQueriesModule;
    const queries = new EngineQueries(pipeline, { captures: () => [], flowRecordsDropped: () => outputs.flowChannel.droppedRecords });
    const describe = () => `Replaying ${opts.files.join(', ')}.`;
    const built = live.buildApi({ config, bus, interfaceNames: () => pipeline.interfaces.map((i) => i.name), query: async (q) => queries.run(q), describe }, log);
    api = built.api;
    // Into `families` itself, so that the OpenTelemetry data carries them too.
    families.push(...built.stats.families());
    const sources = http.prometheusSources(families, pipeline, { isReady: () => started, describe }, otelEngine);
    server = await http.startHttp(opts.listen ?? config.listen, { ...sources, api: built.api.router, web }, log);
  }
  const push =
    otlp !== undefined && server !== undefined
      ? otlpModule!.startOtlpPush({ settings: otlp, source: readPipeline, maxSeries: config.flows.max_series, version: VERSION, startMs, stats: otlpStats!, log })
      : undefined;

  started = true;
  // While serving, what the outputs gathered reaches their subscribers every 100 ms, as in `netmon run`.
  const flushTimer = server !== undefined ? setInterval(() => outputs.flush(), 100) : undefined;
  let exitCode = 0;
  const startedAt = performance.now();
  for (const reader of readers) {
    const onPacket = pipeline.addInterface(basename(reader.path));
    try {
      if (server === undefined && opts.speed === 'max' && sinks === undefined) replayAllSync(reader, onPacket);
      else await replayPaced(reader, onPacket, { originalSpeed: opts.speed === 'original', batch: 65536, between: sinkBackpressure });
    } catch (err) {
      if (!(err instanceof CaptureFileError)) throw err;
      damagedFiles.set(reader.path, 1);
      log.error({ file: reader.path, byteOffset: err.byteOffset }, err.message);
      process.stderr.write(`netmon: ${err.message}\n`);
      exitCode = 1;
    } finally {
      reader.close();
    }
  }
  // Expire what the capture's last timestamp ends, so the output shows the flows active at that moment.
  const endTs = pipeline.endTs;
  pipeline.flows.advance(endTs);
  pipeline.dns?.advance(endTs);
  pipeline.tcp?.advance(endTs);
  outputs.flush();
  const seconds = (performance.now() - startedAt) / 1000;
  const packets = pipeline.interfaces.reduce((n, i) => n + i.packets, 0);
  // debug, not info: a plain replay then never loads the logger (measurably faster start to finish).
  log.debug({ files: opts.files.length, packets, seconds, packets_per_second: Math.round(packets / seconds), flows_active: pipeline.flows.stats.activeFlows, max_rss_bytes: process.resourceUsage().maxRSS * 1024 }, 'replay finished');

  if (http !== undefined && server !== undefined) {
    const signal = await http.shutdownSignal();
    log.info({ signal }, 'stopping');
    const cutShort = (await push?.shutdown()) === true;
    clearInterval(flushTimer);
    outputs.drain();
    api?.close();
    await sinks?.close();
    await http.closeServer(server);
    if (cutShort) otlpModule!.exitWhenDone();
    return exitCode;
  }
  if (ndjson !== undefined) {
    pipeline.flows.endAll();
    ndjson.flush();
  } else {
    // The flow families render first: that is when the flow table settles which flows have series.
    const flowText = pipeline.flows.renderFlowFamilies();
    process.stdout.write(renderFamilies(families));
    process.stdout.write(flowText);
  }
  // The outputs get the records of the flows still active at the end of the capture.
  outputs.drain();
  // The replay exits once the sinks have committed its last batch.
  await sinks?.close();
  return exitCode;
}

/** Loads the otel engine on demand. (A function: `new (require(...) as T).X()` loses its parentheses in tsc 7's output.) */
function otelPrometheus(): { OtelPrometheusExposition: typeof OtelPrometheus.OtelPrometheusExposition } {
  return require('../metrics/otel-prometheus') as typeof OtelPrometheus;
}
