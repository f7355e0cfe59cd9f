/**
 * The consumer side of the capture outputs: ended flow records and packet header metadata arrive
 * here in batches (from the capture process over IPC in `netmon run`, from the in-process pipeline
 * in a replay) and are handed to every subscriber. Subscribing is what switches an output on in the
 * capture process (CaptureOutputControl): no subscriber, no work on the packet path.
 *
 * Listeners are called synchronously with the same immutable batch; each keeps its own bounded
 * queue (a sink's max_queue, a stream client's buffer) and must not throw: an exception is counted
 * in `listenerErrors` and the other listeners still get the batch.
 */
import type { FlowRecordBatch } from '../flow/flow-record-batch';
import type { PacketMetaBatch } from '../engine/packet-tap';

/** What the bus asks of the capture side. */
export interface CaptureOutputControl {
  /** Ended flow records are (or stop being) written to the flow record channel. */
  setFlowRecordsWanted(on: boolean): void;
  /** Packets matching `filter` (validated already) are tapped for subscription `id`, at most `rate` per second. */
  subscribePackets(id: number, filter: string, rate: number): void;
  unsubscribePackets(id: number): void;
}

export type FlowRecordListener = (batch: FlowRecordBatch) => void;

/** Receives the packet batches that hold rows, losses or matches of its subscription. */
export type PacketListener = (batch: PacketMetaBatch, subscription: number) => void;

export interface PacketSubscription {
  readonly id: number;
  close(): void;
}

export class RecordBus {
  /** Exceptions thrown by listeners (each is a bug in a consumer; counted, never fatal). */
  listenerErrors = 0;
  private readonly flowListeners = new Set<FlowRecordListener>();
  private readonly packetListeners = new Map<number, PacketListener>();
  private nextId = 1;

  constructor(private readonly control: CaptureOutputControl) {}

  /** Every flow record that ends from now on goes to `listener`; the returned function unsubscribes. */
  subscribeFlows(listener: FlowRecordListener): () => void {
    this.flowListeners.add(listener);
    if (this.flowListeners.size === 1) this.control.setFlowRecordsWanted(true);
    return () => {
      if (!this.flowListeners.delete(listener)) return;
      if (this.flowListeners.size === 0) this.control.setFlowRecordsWanted(false);
    };
  }

  get flowSubscribers(): number {
    return this.flowListeners.size;
  }

  /**
   * Packets matching `filter` (a tcpdump expression the caller has validated, e.g. with
   * compileFilter) go to `listener`, at most `rate` per second.
   */
  subscribePackets(filter: string, rate: number, listener: PacketListener): PacketSubscription {
    const id = this.nextId++;
    this.packetListeners.set(id, listener);
    this.control.subscribePackets(id, filter, rate);
    return {
      id,
      close: () => {
        if (this.packetListeners.delete(id)) this.control.unsubscribePackets(id);
      },
    };
  }

  publishFlows(batch: FlowRecordBatch): void {
    for (const l of this.flowListeners) {
      try {
        l(batch);
      } catch {
        this.listenerErrors++;
      }
    }
  }

  publishPackets(batch: PacketMetaBatch): void {
    const ids = new Set<number>();
    for (let i = 0; i < batch.count; i++) ids.add(batch.sub[i]!);
    for (const id of batch.lostIds) ids.add(id);
    for (const id of batch.matchedIds) ids.add(id);
    for (const id of ids) {
      const l = this.packetListeners.get(id);
      if (l === undefined) continue;
      try {
        l(batch, id);
      } catch {
        this.listenerErrors++;
      }
    }
  }
}
