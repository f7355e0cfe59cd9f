/**
 * Starts the sinks the configuration names (today: `sinks.postgres`) on a record bus. Nothing is
 * loaded when none is configured: the PostgreSQL sink and `pg` are required only here.
 */
import type { NetmonConfig } from '../config/schema';
import { NetmonError } from '../errors';
import type { Logger } from '../log';
import type * as PostgresSinkModule from './postgres/postgres-sink';
import type { RecordBus } from './record-bus';
import { sinkProblems } from './sink-config-check';
import type { SinkStats } from './sink-stats';

export interface Sinks {
  readonly stats: readonly SinkStats[];
  /** Resolves when the sinks' queues are below their mark (a replay's backpressure). */
  whenBelowMark(): Promise<void>;
  /** Writes what is queued and closes; with a timeout, what is not written by then is dropped and counted. */
  close(timeoutMs?: number): Promise<void>;
}

/** Start-up check of the sinks' filters (exit 2 naming the key), before anything else starts. */
export function checkSinks(config: NetmonConfig, configName: string): void {
  const problems = sinkProblems(config);
  if (problems.length > 0) {
    throw new NetmonError('NETMON_ERR_FILTER_INVALID', problems.map((p) => `invalid configuration: ${configName}: ${p.path}: ${p.message}`).join('\n'));
  }
}

export interface SinkContext {
  readonly bus: RecordBus;
  readonly interfaceName: (index: number) => string;
  readonly log: Logger;
  /** A replay: nothing is dropped for room, the replay waits for the sinks instead. */
  readonly replay: boolean;
}

/** The configured sinks, subscribed to the bus; undefined when none is configured. */
export function startSinks(config: NetmonConfig, configName: string, ctx: SinkContext): Sinks | undefined {
  const pg = config.sinks.postgres;
  if (pg === undefined) return undefined;
  checkSinks(config, configName);
  const { PostgresSink } = require('./postgres/postgres-sink') as typeof PostgresSinkModule;
  const sink = new PostgresSink({ config: pg, flows: config.flows, interfaceName: ctx.interfaceName, log: ctx.log, replay: ctx.replay });
  sink.attach(ctx.bus);
  return sink;
}
