import { basename } from 'node:path';
import { CaptureFileError, openCaptureFile } from '../capture/capture-file';
import { replayAllSync, replayPaced } from '../capture/replay';
import { buildPipeline } from '../engine/build-pipeline';
import { createLogger } from '../log';
import { netmonFamilies } from '../metrics/netmon-families';
import { renderFamilies } from '../metrics/text-exposition';
import { FlowNdjsonWriter } from '../sinks/flow-ndjson-writer';
import { VERSION } from '../version';
import type * as HttpRuntime from './http-runtime';
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
}

/** `netmon replay`: exit 0, or 1 when a file was damaged (its packets before the damage still count). */
export async function replayCommand(opts: ReplayOptions): Promise<number> {
  const { config, name } = loadConfigOrDefaults(opts.configFile);
  const log = createLogger(resolveLogLevel(opts.logLevel, config.log.level));
  const ndjson = opts.format === 'flows-json' && !opts.serve ? new FlowNdjsonWriter(1) : undefined;
  const pipeline = buildPipeline(config, name, log, ndjson?.write);
  // Open every file first: a file that is not a capture (or cannot be read) is refused before any work (exit 2).
  const readers = opts.files.map((f) => openCaptureFile(f));
  const damagedFiles = new Map<string, number>();
  const families = netmonFamilies({ version: VERSION, pipeline, captures: [], replay: { damagedFiles } });

  let started = false;
  // The HTTP stack is loaded only when serving: a plain replay starts faster without it.
  const http = opts.serve ? (require('./http-runtime') as typeof HttpRuntime) : undefined;
  const server = http
    ? await http.startHttp(opts.listen ?? config.listen, http.prometheusSources(families, pipeline, {
        isReady: () => started,
        describe: () => `Replaying ${opts.files.join(', ')}.`,
      }), log)
    : undefined;

  started = true;
  let exitCode = 0;
  const startedAt = performance.now();
  for (const reader of readers) {
    const onPacket = pipeline.addInterface(basename(reader.path));
    try {
      if (server === undefined && opts.speed === 'max') replayAllSync(reader, onPacket);
      else await replayPaced(reader, onPacket, { originalSpeed: opts.speed === 'original', batch: 65536 });
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
  pipeline.flows.advance(pipeline.lastTs);
  pipeline.dns?.advance(pipeline.lastTs);
  pipeline.tcp?.advance(pipeline.lastTs);
  const seconds = (performance.now() - startedAt) / 1000;
  const packets = pipeline.interfaces.reduce((n, i) => n + i.packets, 0);
  // debug, not info: a plain replay then never loads the logger (measurably faster start to finish).
  log.debug({ files: opts.files.length, packets, seconds, packets_per_second: Math.round(packets / seconds), flows_active: pipeline.flows.stats.activeFlows, max_rss_bytes: process.resourceUsage().maxRSS * 1024 }, 'replay finished');

  if (http !== undefined && server !== undefined) {
    const signal = await http.shutdownSignal();
    log.info({ signal }, 'stopping');
    await http.closeServer(server);
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
  return exitCode;
}
