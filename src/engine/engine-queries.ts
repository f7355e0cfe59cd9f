/**
 * Queries the API asks of the pipeline (the capture process of `netmon run` over IPC, or a replay's
 * own pipeline): the top N active flows, and the live status of the status page. Answered
 * synchronously from the flow table and the counters; the answer is plain, cloneable data that
 * holds only what was asked for (N records, not the flow table).
 *
 * Unlike a scrape, a status query does not rebalance the flow series: the page may poll it every
 * second without changing which flows get a series.
 */
import { compileFlowFilter } from '../flow/flow-filter';
import type { FlowFilter } from '../flow/flow-filter';
import { FlowKeyProjection } from '../flow/flow-key';
import { FlowRecordBatchBuilder } from '../flow/flow-record-batch';
import type { FlowRecordBatch } from '../flow/flow-record-batch';
import { TopN } from '../flow/top-n';
import type { PacketPipeline } from './packet-pipeline';

/** Most flows one /api/v1/flows query returns. */
export const MAX_TOP_FLOWS = 10_000;

export type EngineQuery =
  | { readonly kind: 'top-flows'; readonly limit: number; readonly byPackets: boolean; readonly filter: string }
  | { readonly kind: 'status' };

export interface TopFlowsResult {
  /** The records, best first (their end reasons mean nothing: these flows are active). */
  readonly batch: FlowRecordBatch;
  /** Active flows the filter accepted (all active flows without a filter). */
  readonly matched: number;
  readonly activeFlows: number;
  /** Packet time of the flow table (seconds since the epoch). */
  readonly now: number;
}

export interface LiveCaptureStatus {
  readonly name: string;
  readonly up: boolean;
  readonly received: number;
  readonly droppedKernel: number;
  readonly droppedInterface: number;
}

export interface LiveStatus {
  /** Wall clock of the answer, seconds since the epoch. */
  readonly time: number;
  readonly interfaces: readonly { readonly name: string; readonly packets: number; readonly bytes: number }[];
  /** Live capture only (empty in a replay). */
  readonly captures: readonly LiveCaptureStatus[];
  readonly filters: readonly { readonly name: string; readonly packets: number; readonly bytes: number }[];
  readonly activeFlows: number;
  readonly flowRecordsDropped: number;
  readonly decodeErrors: number;
}

export type EngineQueryResult = TopFlowsResult | LiveStatus;

/** What a status answer reads besides the pipeline. */
export interface QueryContext {
  captures(): readonly LiveCaptureStatus[];
  flowRecordsDropped(): number;
}

/** Compiled flow filters by expression, a few of them (the page polls with the same one). */
const FILTER_CACHE = 16;

export class EngineQueries {
  private readonly proj: FlowKeyProjection;
  private readonly filters = new Map<string, FlowFilter>();

  constructor(private readonly pipeline: PacketPipeline, private readonly ctx: QueryContext) {
    this.proj = new FlowKeyProjection(pipeline.flows.options);
  }

  /** Answers q; throws FilterError / FlowFilterError for a bad filter (the HTTP side checked it already). */
  run(q: EngineQuery): EngineQueryResult {
    return q.kind === 'status' ? this.status() : this.topFlows(q.limit, q.byPackets, q.filter);
  }

  private topFlows(limit: number, byPackets: boolean, filter: string): TopFlowsResult {
    const k = Math.max(0, Math.min(MAX_TOP_FLOWS, Math.floor(limit)));
    const match = filter === '' ? null : this.filter(filter);
    const out = new FlowRecordBatchBuilder(Math.max(1, k));
    const matched = this.pipeline.flows.selectActive(new TopN(k), byPackets, match, out);
    return { batch: out.take(), matched, activeFlows: this.pipeline.flows.stats.activeFlows, now: this.pipeline.lastTs };
  }

  private filter(expr: string): FlowFilter {
    let f = this.filters.get(expr);
    if (f === undefined) {
      f = compileFlowFilter(expr, this.proj);
      if (this.filters.size >= FILTER_CACHE) this.filters.delete(this.filters.keys().next().value!);
      this.filters.set(expr, f);
    }
    return f;
  }

  private status(): LiveStatus {
    const p = this.pipeline;
    const packets = p.filterPackets;
    const bytes = p.filterBytes;
    return {
      time: Date.now() / 1000,
      interfaces: p.interfaces.map((i) => ({ name: i.name, packets: i.packets, bytes: i.bytes })),
      captures: this.ctx.captures(),
      filters: p.filterNames.map((name, i) => ({ name, packets: packets[i]!, bytes: bytes[i]! })),
      activeFlows: p.flows.stats.activeFlows,
      flowRecordsDropped: this.ctx.flowRecordsDropped(),
      decodeErrors: p.decodeErrors.reduce((a, b) => a + b, 0),
    };
  }
}
