import { InterfaceSupervisor } from '../capture/interface-supervisor';
import { defaultInterface, interfaceExists, validateCaptureFilter } from '../capture/interfaces';
import { buildPipeline } from '../engine/build-pipeline';
import { NetmonError } from '../errors';
import { createLogger } from '../log';
import { netmonFamilies } from '../metrics/netmon-families';
import { VERSION } from '../version';
import { closeServer, prometheusSources, shutdownSignal, startHttp } from './http-runtime';
import { loadConfigOrDefaults } from './load-config';
import { resolveLogLevel } from './log-level';

export interface RunOptions {
  readonly configFile: string | undefined;
  readonly interfaces: readonly string[];
  readonly listen: string | undefined;
  readonly captureFilter: string | undefined;
  readonly logLevel: string | undefined;
}

/** Flow clock tick on a quiet link, so idle flows end without waiting for the next packet. */
const CLOCK_TICK_MS = 1000;

/** `netmon run`: live capture until SIGTERM/SIGINT, then a clean exit 0. */
export async function runCommand(opts: RunOptions): Promise<number> {
  const { config, name } = loadConfigOrDefaults(opts.configFile);
  const log = createLogger(resolveLogLevel(opts.logLevel, config.log.level));
  const names = opts.interfaces.length > 0 ? [...opts.interfaces] : config.interfaces.length > 0 ? [...config.interfaces] : [defaultOrFail()];
  for (const n of names) {
    if (!interfaceExists(n)) throw new NetmonError('NETMON_ERR_INTERFACE', `interface "${n}" does not exist (see "ip link" for the interfaces of this host)`);
  }
  const filter = opts.captureFilter ?? config.capture.filter;
  if (filter !== '') validateCaptureFilter(filter, opts.captureFilter !== undefined ? '--capture-filter' : `${name}: capture.filter`);

  const pipeline = buildPipeline(config, name, log);
  const captureOptions = {
    snaplen: config.capture.snaplen,
    bufferSize: config.capture.buffer_size_mb * 1024 * 1024,
    promiscuous: config.capture.promiscuous,
    immediate: config.capture.immediate,
    timeoutMs: config.capture.timeout_ms,
    filter,
  };
  const captures = names.map((n) => new InterfaceSupervisor(n, captureOptions, pipeline.addInterface(n), log));
  const families = netmonFamilies({ version: VERSION, pipeline, captures });
  const server = await startHttp(opts.listen ?? config.listen, prometheusSources(families, pipeline, {
    isReady: () => captures.some((c) => c.up),
    describe: () => `Capturing on ${names.join(', ')}.`,
  }), log);

  for (const c of captures) c.start();
  const clock = setInterval(() => pipeline.tick(Date.now() / 1000), CLOCK_TICK_MS);
  log.info({ interfaces: names, filter, filters: pipeline.filterNames }, 'capturing');

  const signal = await shutdownSignal();
  log.info({ signal }, 'stopping');
  clearInterval(clock);
  for (const c of captures) c.stop();
  await closeServer(server);
  return 0;
}

function defaultOrFail(): string {
  const name = defaultInterface();
  if (name === undefined) throw new NetmonError('NETMON_ERR_INTERFACE', 'no interface given and no non-loopback interface is up: use --interface NAME');
  return name;
}
