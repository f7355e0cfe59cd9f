/**
 * Carries ended flow records out of the packet path in batches (the house rule for every output:
 * the capture process only hands data over, in batches, and never waits for anyone).
 *
 * The flow table writes each ended record into the current builder (FlowRecordOutput). A full
 * builder is queued and a fresh one taken from a fixed pool; the queue is delivered by flush(),
 * which runs outside the ring reader's loop (a timer, or an immediate scheduled when a builder
 * fills). When every builder of the pool is full and undelivered, further records are dropped and
 * counted: memory stays at `maxBatches` builders whatever the consumer does.
 *
 * `deliver` hands a batch to the consumers (process.send to the HTTP process in `netmon run`, the
 * in-process RecordBus in a replay) and returns false when it cannot take it now (the IPC backlog
 * is at its bound): the batch's records are then dropped and counted too.
 */
import { FlowRecordBatchBuilder } from '../flow/flow-record-batch';
import type { FlowRecordBatch, FlowRecordOutput } from '../flow/flow-record-batch';

export interface FlowRecordChannelOptions {
  /** Records per batch. */
  readonly batchRecords: number;
  /** Builders in the pool (the bound on records held: batchRecords x maxBatches). */
  readonly maxBatches: number;
  /** How flush() is scheduled when a builder fills (setImmediate in production; tests run it by hand). */
  readonly schedule?: (fn: () => void) => void;
}

export const DEFAULT_FLOW_RECORD_CHANNEL: FlowRecordChannelOptions = { batchRecords: 4096, maxBatches: 16 };

export class FlowRecordChannel implements FlowRecordOutput {
  /** Records handed to deliver (accepted), and records dropped (no room, or deliver refused). */
  delivered = 0;
  droppedRecords = 0;
  private readonly free: FlowRecordBatchBuilder[] = [];
  private readonly full: FlowRecordBatchBuilder[] = [];
  private current: FlowRecordBatchBuilder;
  private flushScheduled = false;
  private synchronous = false;
  private readonly schedule: (fn: () => void) => void;
  private readonly flushNow = (): void => this.flush();

  constructor(private readonly deliver: (batch: FlowRecordBatch) => boolean, private readonly opts: FlowRecordChannelOptions = DEFAULT_FLOW_RECORD_CHANNEL) {
    for (let i = 1; i < opts.maxBatches; i++) this.free.push(new FlowRecordBatchBuilder(opts.batchRecords));
    this.current = new FlowRecordBatchBuilder(opts.batchRecords);
    this.schedule = opts.schedule ?? ((fn) => void setImmediate(fn));
  }

  /** Records waiting for the next flush. */
  get pending(): number {
    return this.full.length * this.opts.batchRecords + this.current.count;
  }

  /**
   * Once capture has stopped (SIGTERM writes the records of the flows still active, which may be
   * many more than the pool holds), a full pool is delivered on the spot instead of dropping.
   */
  setSynchronous(on: boolean): void {
    this.synchronous = on;
  }

  builder(): FlowRecordBatchBuilder | null {
    if (!this.current.full) return this.current;
    if (this.free.length === 0 && this.synchronous) this.flush();
    if (!this.current.full) return this.current;
    const next = this.free.pop();
    if (next === undefined) return null;
    this.full.push(this.current);
    this.current = next;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.schedule(this.flushNow);
    }
    return next;
  }

  dropped(): void {
    this.droppedRecords++;
  }

  /** Delivers every queued batch and the current one, in order. Never call it from the packet path. */
  flush(): void {
    this.flushScheduled = false;
    for (const b of this.full) this.send(b);
    for (const b of this.full) this.free.push(b);
    this.full.length = 0;
    if (this.current.count > 0) this.send(this.current);
  }

  private send(b: FlowRecordBatchBuilder): void {
    const n = b.count;
    const batch = b.take();
    if (this.deliver(batch)) this.delivered += n;
    else this.droppedRecords += n;
  }
}
