/**
 * What one sink reports about itself (read at scrape time into the netmon_sink_* families): rows
 * written and dropped, batches by outcome, the queue, write latency and whether the destination is
 * reachable. Plain counters, updated by the sink's writer outside the packet path.
 */

/** Upper bounds of netmon_sink_write_seconds (seconds; +Inf implied). */
export const SINK_WRITE_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class SinkStats {
  /** Rows stored (committed once; a retried batch found already committed counts once). */
  written = 0;
  /**
   * Rows dropped by the sink: its queue was full (max_queue), shutdown's deadline passed, or the
   * database refuses them (a timestamp out of range, text it cannot store): never retried forever.
   */
  dropped = 0;
  /** Rows never handed to the sink by the capture side because of a configured rate cap (packets only). */
  rateLimited = 0;
  /** Batches committed. */
  batchesCommitted = 0;
  /** Attempts that failed (the batch is retried). */
  batchesFailed = 0;
  /** Retries that found their batch already committed (the failure came after the commit): not written twice. */
  batchesDuplicate = 0;
  /** Rows waiting, the batch being written included. */
  queued = 0;
  up = false;
  /** Non-cumulative counts per bucket of SINK_WRITE_BUCKETS (+Inf last), their sum and count. */
  readonly writeBuckets = new Float64Array(SINK_WRITE_BUCKETS.length + 1);
  writeSum = 0;
  writeCount = 0;

  /** @param rateCapped whether the capture side rate-caps this sink's rows (packet metadata). */
  constructor(readonly sink: string, readonly rateCapped = false) {}

  observeWrite(seconds: number): void {
    let i = 0;
    while (i < SINK_WRITE_BUCKETS.length && seconds > SINK_WRITE_BUCKETS[i]!) i++;
    this.writeBuckets[i]!++;
    this.writeSum += seconds;
    this.writeCount++;
  }
}
