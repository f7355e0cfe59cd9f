/**
 * What the sinks' configuration needs beyond the schema: their tcpdump filters compile (checked by
 * check-config and at start-up, like named filters). The filter compiler is loaded only when a sink
 * has a filter.
 */
import type { NetmonConfig } from '../config/schema';
import type { FilterProblem } from '../engine/build-pipeline';
import type * as CompileFilter from '../filter/compile-filter';

export function sinkProblems(config: NetmonConfig): FilterProblem[] {
  const expr = config.sinks.postgres?.packets?.filter;
  if (expr === undefined) return [];
  const { compileFilter, FilterError } = require('../filter/compile-filter') as typeof CompileFilter;
  try {
    compileFilter('sinks.postgres.packets.filter', expr);
    return [];
  } catch (err) {
    if (!(err instanceof FilterError)) throw err;
    return [{ path: 'sinks.postgres.packets.filter', message: err.message.replace(/^filter "[^"]*": /, '') }];
  }
}
