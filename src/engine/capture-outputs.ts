/**
 * The capture side of the outputs (sinks, streams): the flow record channel and the packet tap of
 * one pipeline, switched on and off by what the consumers subscribe to (CaptureOutputControl), and
 * flushed outside the packet path. The capture process of `netmon run` delivers over IPC; a replay
 * delivers straight to its RecordBus.
 */
import type * as CompileFilter from '../filter/compile-filter';
import type { FlowRecordBatch } from '../flow/flow-record-batch';
import type { CaptureOutputControl } from '../sinks/record-bus';
import { DEFAULT_FLOW_RECORD_CHANNEL, FlowRecordChannel } from './flow-record-channel';
import type { FlowRecordChannelOptions } from './flow-record-channel';
import { DEFAULT_TAP_ROWS, PacketTap } from './packet-tap';
import type { PacketMetaBatch } from './packet-tap';
import type { PacketPipeline } from './packet-pipeline';

export interface CaptureOutputsOptions {
  readonly flowChannel?: FlowRecordChannelOptions;
  readonly tapRows?: number;
  /**
   * Deliver on the spot when a buffer fills instead of dropping (replays: nothing to starve, and a
   * synchronous replay would otherwise fill every buffer before the first flush).
   */
  readonly synchronous?: boolean;
}

export class CaptureOutputs implements CaptureOutputControl {
  readonly flowChannel: FlowRecordChannel;
  readonly tap: PacketTap;
  private flowsWanted = false;

  constructor(
    private readonly pipeline: PacketPipeline,
    deliverFlows: (batch: FlowRecordBatch) => boolean,
    deliverPackets: (batch: PacketMetaBatch) => boolean,
    opts: CaptureOutputsOptions = {},
  ) {
    this.flowChannel = new FlowRecordChannel(deliverFlows, opts.flowChannel ?? DEFAULT_FLOW_RECORD_CHANNEL);
    this.tap = new PacketTap(deliverPackets, opts.tapRows ?? DEFAULT_TAP_ROWS);
    this.flowChannel.setSynchronous(opts.synchronous === true);
    this.tap.setSynchronous(opts.synchronous === true);
  }

  get flowRecordsWanted(): boolean {
    return this.flowsWanted;
  }

  setFlowRecordsWanted(on: boolean): void {
    if (on === this.flowsWanted) return;
    this.flowsWanted = on;
    this.pipeline.flows.setRecordOutput(on ? this.flowChannel : null);
    if (!on) this.flowChannel.flush();
  }

  subscribePackets(id: number, filter: string, rate: number): void {
    // The filter compiler is loaded only when something subscribes (as for named filters).
    const { compileFilter } = require('../filter/compile-filter') as typeof CompileFilter;
    this.tap.add(id, compileFilter(`subscription ${id}`, filter), rate);
    this.pipeline.setTap(this.tap);
  }

  unsubscribePackets(id: number): void {
    this.tap.remove(id);
    if (this.tap.subscriptions === 0) {
      this.pipeline.setTap(null);
      this.tap.flush();
    }
  }

  /** Delivers what is queued (call from a timer or after a replay batch, never from the packet path). */
  flush(): void {
    this.flowChannel.flush();
    this.tap.flush();
  }

  /**
   * End of capture: when flow records are wanted, every flow still active ends with reason "end"
   * (its record goes out too), then everything queued is delivered. No record is dropped for room
   * here: the channel delivers full batches on the spot.
   */
  drain(): void {
    if (this.flowsWanted) {
      this.flowChannel.setSynchronous(true);
      this.pipeline.flows.endAll();
    }
    this.flush();
  }
}
