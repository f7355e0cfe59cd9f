/**
 * Wiring shared by `netmon run` and `replay --serve` for the live view: the web configuration
 * (--web.config.file or web_config_file) and the API with its stream metrics.
 */
import { dirname, resolve } from 'node:path';
import { Api } from '../api/api-router';
import type { ApiSources } from '../api/api-router';
import { StreamStats } from '../api/stream-stats';
import type { NetmonConfig } from '../config/schema';
import type { EngineQuery, EngineQueryResult } from '../engine/engine-queries';
import { FlowKeyProjection } from '../flow/flow-key';
import { loadWebConfig } from '../http/web-config';
import type { WebConfig } from '../http/web-config';
import type { Logger } from '../log';
import type { RecordBus } from '../sinks/record-bus';
import { VERSION } from '../version';

/**
 * The web configuration of --web.config.file (which wins) or web_config_file (relative to the
 * configuration file that names it), if any.
 */
export function resolveWebConfig(flag: string | undefined, config: NetmonConfig, configFile: string | undefined): WebConfig | undefined {
  if (flag !== undefined) return loadWebConfig(flag);
  if (config.web_config_file === '') return undefined;
  return loadWebConfig(configFile === undefined ? config.web_config_file : resolve(dirname(configFile), config.web_config_file));
}

export interface LiveViewSources {
  readonly config: NetmonConfig;
  readonly bus: RecordBus;
  interfaceNames(): readonly string[];
  query(q: EngineQuery): Promise<EngineQueryResult>;
  describe(): string;
}

export function buildApi(src: LiveViewSources, log: Logger): { api: Api; stats: StreamStats } {
  const stats = new StreamStats();
  const sources: ApiSources = {
    options: src.config.api,
    version: VERSION,
    describe: src.describe,
    bus: src.bus,
    flowKeys: new FlowKeyProjection({ labels: src.config.flows.labels, aggregate: src.config.flows.aggregate }),
    interfaceNames: src.interfaceNames,
    query: src.query,
    stats,
  };
  return { api: new Api(sources, log), stats };
}
