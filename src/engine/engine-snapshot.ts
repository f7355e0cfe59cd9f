/**
 * Messages between `netmon run` (the HTTP process) and its capture process (engine-process.ts).
 * They travel over the fork IPC channel with serialization 'advanced' (V8 structured clone), so
 * typed arrays cross as raw bytes rather than JSON numbers.
 *
 * The capture process never renders exposition text: a snapshot carries the small counters and the
 * exported flow series as ids + values, plus the label text of series new since the previous
 * snapshot (FlowSeriesDelta). Rendering and its garbage stay in the HTTP process.
 */
import type { DetectorReport } from '../analysis/detectors';
import type { DnsCounters } from '../analysis/dns-counters';
import type { TcpCounters } from '../analysis/tcp-counters';
import type { NetmonConfig } from '../config/schema';
import type { LiveCaptureOptions } from '../capture/live-capture';
import type { FlowRecordBatch } from '../flow/flow-record-batch';
import type { PacketMetaBatch } from './packet-tap';
import type { EngineQuery, EngineQueryResult } from './engine-queries';

/** Parent → child: build the pipeline (the child answers 'built' or 'fatal'). */
export interface StartMessage {
  readonly type: 'start';
  readonly config: NetmonConfig;
  readonly configName: string;
  readonly interfaces: readonly string[];
  readonly capture: LiveCaptureOptions;
  readonly logLevel: string;
}

/**
 * Parent → child: open the captures (sent once HTTP listens), take a snapshot, switch the outputs
 * (flow records, packet subscriptions: see sinks/record-bus.ts), or stop: end and deliver what the
 * outputs want (drain), answer 'stopped', exit 0.
 */
export type ControlMessage =
  | StartMessage
  | { readonly type: 'capture' }
  | { readonly type: 'scrape'; readonly id: number }
  | { readonly type: 'flow-records-wanted'; readonly on: boolean }
  | { readonly type: 'packets-subscribe'; readonly id: number; readonly filter: string; readonly rate: number }
  | { readonly type: 'packets-unsubscribe'; readonly id: number }
  /** An API query (engine-queries.ts): answered with 'query-result' or 'query-error' of the same id. */
  | { readonly type: 'query'; readonly id: number; readonly query: EngineQuery }
  | { readonly type: 'stop' };

/** Per-interface packet counters (InterfaceCounters). */
export interface InterfaceSnapshot {
  readonly name: string;
  readonly packets: number;
  readonly bytes: number;
  readonly sizeBuckets: Float64Array;
  readonly tcpFlags: Float64Array;
}

/** Capture state of one interface (InterfaceSupervisor). */
export interface CaptureSnapshot {
  readonly name: string;
  readonly up: boolean;
  readonly received: number;
  readonly droppedKernel: number;
  readonly droppedInterface: number;
}

/** The flow table's self-metrics read by the catalog families. */
export interface FlowStatsSnapshot {
  readonly activeFlows: number;
  readonly seriesExported: number;
  readonly evictionsIdle: number;
  readonly evictionsActive: number;
  readonly evictionsCapacity: number;
  readonly overflowPackets: number;
  readonly overflowBytes: number;
}

/**
 * The exported flow series after one rebalance. Series i has id ids[i] (a flow-table slot, stable
 * while the series lives) and values packets[i], bytes[i]. Label text is sent once per series:
 * `added` holds the ids whose text is new or changed since the previous snapshot, `removed` the ids
 * exported in the previous snapshot and not in this one (the receiver forgets their text).
 */
export interface FlowSeriesDelta {
  readonly ids: Int32Array;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly addedIds: Int32Array;
  readonly addedLabels: readonly string[];
  readonly removedIds: Int32Array;
  readonly overflowLabels: string;
}

export interface EngineSnapshot {
  readonly interfaces: readonly InterfaceSnapshot[];
  readonly decodeErrors: Float64Array;
  /** Inner packets the DNS and TCP analysis decoded, by Tunnel. */
  readonly tunnelPackets: Float64Array;
  readonly filterNames: readonly string[];
  readonly filterPackets: Float64Array;
  readonly filterBytes: Float64Array;
  readonly flowStats: FlowStatsSnapshot;
  readonly flows: FlowSeriesDelta;
  /** DNS and TCP analysis counters (absent: disabled). */
  readonly dns?: DnsCounters;
  readonly tcp?: TcpCounters;
  readonly captures: readonly CaptureSnapshot[];
  /** The detectors' top-N lists (typed arrays + label values); absent when detect.enabled is false. */
  readonly detections?: DetectorReport;
  /** The capture process itself: resident memory (bytes) and user + system CPU (seconds). */
  readonly residentBytes: number;
  readonly cpuSeconds: number;
  /** Ended flow records the outputs could not take (pool or IPC backlog full). */
  readonly flowRecordsDropped: number;
}

/** Child → parent. */
export type EngineMessage =
  | { readonly type: 'built' }
  | { readonly type: 'fatal'; readonly code: string; readonly message: string; readonly exitCode: number }
  | { readonly type: 'status'; readonly up: readonly boolean[] }
  | { readonly type: 'snapshot'; readonly id: number; readonly snapshot: EngineSnapshot }
  | { readonly type: 'flow-records'; readonly batch: FlowRecordBatch }
  | { readonly type: 'packets'; readonly batch: PacketMetaBatch }
  | { readonly type: 'query-result'; readonly id: number; readonly result: EngineQueryResult }
  | { readonly type: 'query-error'; readonly id: number; readonly message: string }
  | { readonly type: 'stopped' };
