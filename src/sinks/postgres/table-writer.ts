/**
 * Writes the rows of one table: a bounded queue filled by the record bus, and one loop that takes
 * up to batch_size rows at a time, encodes them as one binary COPY and writes them in one
 * transaction, retrying with backoff until it is committed (pmacct's sql plugin model: the capture
 * side never waits for the database).
 *
 * Neither lost nor doubled:
 * - A batch is formed once (its rows and its id fixed) and retried as it is until it commits.
 * - Its transaction inserts (writer id, batch id) into the ledger table before the COPY; a retry
 *   whose earlier attempt did commit (the connection died after COMMIT was sent, before the reply)
 *   finds its ledger row and rolls back instead of copying the rows again.
 * - At most max_queue rows wait (the batch being written included); rows beyond are dropped and
 *   counted (SinkStats.dropped), never silently. A replay (`unbounded`) drops nothing: its
 *   producer waits for the queue with whenBelow() instead.
 *
 * A connection is opened at start and kept; when it fails it is destroyed and opened again with
 * backoff (BACKOFF_MIN_MS doubling to BACKOFF_MAX_MS). The state (up/down) is logged once per
 * change and exported as netmon_sink_up.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log';
import type { SinkStats } from '../sink-stats';
import { CopyBinaryWriter } from './copy-binary';
import { migrate } from './migrate';
import { DayPartitions, dayOf } from './partitions';
import type { Connector, SinkSession } from './pg-session';
import { LoopSleep } from './loop-sleep';
import { RecordQueue } from './record-queue';
import type { RowEncoder } from './row-encoder';
import { LEDGER_TABLE, ledgerMigrations } from './schema-sql';
import type { Migration } from './schema-sql';

export const BACKOFF_MIN_MS = 250;
export const BACKOFF_MAX_MS = 5000;
/** A batch attempt (partitions, COPY, commit) taking longer than this is aborted and retried. */
export const WRITE_TIMEOUT_MS = 30_000;
/** Retention and ledger pruning run at start and then this often. */
export const MAINTENANCE_INTERVAL_MS = 3_600_000;
/** Ledger rows are kept this long (a retry comes seconds or minutes after its first attempt). */
const LEDGER_KEEP = "interval '1 day'";

export interface TableWriterOptions<B> {
  readonly stats: SinkStats;
  readonly table: string;
  readonly migrations: readonly Migration[];
  readonly encoder: RowEncoder<B>;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxQueue: number;
  /** Seconds; 0 keeps everything. */
  readonly retentionSeconds: number;
  /** Never drop for room (replay: the producer paces itself with whenBelow()). */
  readonly unbounded: boolean;
  readonly connect: Connector;
  readonly log: Logger;
  /** For log lines: the database without its password. */
  readonly where: string;
}

/** A PostgreSQL "data exception" (SQLSTATE class 22: a value out of range, invalid text...). */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 && code.startsWith('22');
}

interface Batch {
  readonly id: number;
  readonly rows: number;
  readonly data: Buffer;
  readonly days: ReadonlySet<number>;
}

type Outcome = 'committed' | 'duplicate';

export class TableWriter<B> {
  readonly writerId = randomUUID();
  private readonly queue = new RecordQueue<B>();
  private readonly copy = new CopyBinaryWriter();
  private readonly partitions: DayPartitions;
  private readonly copySql: string;
  private session: SinkSession | null = null;
  private migrated = false;
  private nextMaintenanceMs = 0;
  private inflight: Batch | null = null;
  private nextBatchId = 1;
  private closing = false;
  private aborted = false;
  /** null until the first attempt: the first state is logged whichever it is. */
  private lastUp: boolean | null = null;
  private dropping = false;
  private readonly sleep = new LoopSleep();
  private readonly drainWaiters: { mark: number; resolve(): void }[] = [];
  private readonly done: Promise<void>;

  constructor(private readonly o: TableWriterOptions<B>) {
    this.partitions = new DayPartitions(o.table);
    this.copySql = `COPY ${o.table} (${o.encoder.columns.map((c) => `"${c}"`).join(', ')}) FROM STDIN (FORMAT binary)`;
    this.done = this.run();
  }

  /** Rows waiting, the batch being written included. */
  get pending(): number {
    return this.queue.size + (this.inflight?.rows ?? 0);
  }

  /**
   * Queues rows start..end-1 of `batch` (or rows[start..end-1]). Rows beyond max_queue are dropped
   * and counted (except when unbounded). Never throws, never waits.
   */
  offer(batch: B, rows: Int32Array | null, start: number, end: number): void {
    if (this.closing) {
      this.drop(end - start, 'after shutdown began');
      return;
    }
    const room = this.o.unbounded ? Infinity : Math.max(0, this.o.maxQueue - this.pending);
    const take = Math.min(room, end - start);
    this.queue.push(batch, rows, start, start + take, Date.now());
    this.o.stats.queued = this.pending;
    if (take < end - start) this.drop(end - start - take, 'queue full (max_queue)');
    else if (this.dropping) {
      this.dropping = false;
      this.o.log.info({ sink: this.o.stats.sink, queued: this.pending }, 'postgres sink: queue has room again');
    }
    // A full batch, or the first rows (the flush timer starts now): wake an idle loop.
    if (this.queue.size >= this.o.batchSize || this.queue.size === take) this.sleep.wakeIdle();
  }

  /** Resolves once at most `mark` rows are pending (the replay's backpressure). */
  whenBelow(mark: number): Promise<void> {
    if (this.pending <= mark || this.aborted) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ mark, resolve }));
  }

  /**
   * Writes everything queued, then closes the connection. With a timeout, whatever is not
   * committed when it expires is dropped and counted (shutdown must end in bounded time).
   */
  async close(timeoutMs?: number): Promise<void> {
    this.closing = true;
    this.sleep.wakeNow();
    if (timeoutMs === undefined) await this.done;
    else {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      // Past the deadline the loop is not waited for: it stops at its next step and writes nothing more.
      await Promise.race([this.done, expired.then(() => this.abort())]);
      clearTimeout(timer);
    }
    const left = this.queue.clear() + (this.inflight?.rows ?? 0);
    this.inflight = null;
    if (left > 0) this.drop(left, 'not written before the shutdown deadline');
    this.o.stats.queued = 0;
    this.releaseWaiters();
    const s = this.session;
    this.session = null;
    await s?.end();
  }

  private abort(): void {
    this.aborted = true;
    this.session?.destroy();
    this.sleep.wakeNow();
  }

  private drop(n: number, why: string): void {
    if (n <= 0) return;
    this.o.stats.dropped += n;
    if (!this.dropping) {
      this.dropping = true;
      this.o.log.warn({ sink: this.o.stats.sink, dropped: n, max_queue: this.o.maxQueue }, `postgres sink: dropping records: ${why}`);
    }
  }

  private due(): boolean {
    const n = this.queue.size;
    if (n === 0) return false;
    return this.closing || n >= this.o.batchSize || Date.now() - this.queue.oldestArrivalMs >= this.o.flushIntervalMs;
  }

  private async run(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    for (;;) {
      if (this.aborted) return;
      if (this.closing && this.inflight === null && this.queue.size === 0) return;
      try {
        if (this.inflight === null && this.due()) this.inflight = this.form();
        // Connected even without work: the state is known (netmon_sink_up) before rows wait on it.
        const s = await this.ready();
        if (this.inflight === null) {
          if (this.due()) continue; // became due while connecting
          const wait = this.queue.size === 0 ? MAINTENANCE_INTERVAL_MS : this.queue.oldestArrivalMs + this.o.flushIntervalMs - Date.now();
          await this.sleep.sleep(Math.max(1, Math.min(wait, this.nextMaintenanceMs - Date.now())), true);
          continue;
        }
        const b = this.inflight;
        const started = performance.now();
        const outcome = b.rows === 0 ? 'committed' : await this.withTimeout(this.write(s, b));
        // Past the shutdown deadline close() has counted this batch as dropped already.
        if (this.aborted) return;
        this.o.stats.observeWrite((performance.now() - started) / 1000);
        this.o.stats.written += b.rows;
        if (outcome === 'duplicate') this.o.stats.batchesDuplicate++;
        else this.o.stats.batchesCommitted++;
        this.inflight = null;
        this.o.stats.queued = this.pending;
        this.releaseWaiters();
        backoff = BACKOFF_MIN_MS;
      } catch (err) {
        if (this.inflight !== null) this.o.stats.batchesFailed++;
        if (this.inflight !== null && isDataError(err)) {
          // The database refuses these rows themselves (SQLSTATE class 22): retrying cannot help.
          // The connection is not reused after a failed COPY, but the database is not down.
          this.dropSession();
          this.o.log.error({ sink: this.o.stats.sink, table: this.o.table, code: (err as { code?: string }).code, error: (err as Error).message, rows: this.inflight.rows }, 'postgres sink: batch refused by the database, dropped');
          this.o.stats.dropped += this.inflight.rows;
          this.inflight = null;
          this.o.stats.queued = this.pending;
          this.releaseWaiters();
          continue;
        }
        this.fail(err as Error);
        if (this.aborted) return;
        await this.sleep.sleep(backoff, false);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      }
    }
  }

  /** The open session (connecting and migrating first if needed), with maintenance done when due. */
  private async ready(): Promise<SinkSession> {
    let s = this.session;
    if (s === null) {
      s = await this.o.connect((err) => {
        if (this.session === s) this.fail(err);
        this.sleep.wakeIdle();
      });
      if (this.aborted) {
        s.destroy();
        throw new Error('shutdown deadline passed');
      }
      this.session = s;
      if (!this.migrated) {
        const ran = [...(await migrate(s, LEDGER_TABLE, ledgerMigrations())), ...(await migrate(s, this.o.table, this.o.migrations))];
        if (ran.length > 0) this.o.log.info({ sink: this.o.stats.sink, table: this.o.table, migrations: ran.length }, 'postgres sink: schema migrated');
        this.migrated = true;
      }
      this.setUp(true);
    }
    if (Date.now() >= this.nextMaintenanceMs) {
      await this.maintain(s);
      this.nextMaintenanceMs = Date.now() + MAINTENANCE_INTERVAL_MS;
    }
    return s;
  }

  private async maintain(s: SinkSession): Promise<void> {
    const dropped = await this.partitions.dropExpired(s, Date.now() / 1000, this.o.retentionSeconds);
    if (dropped.length > 0) this.o.log.info({ sink: this.o.stats.sink, partitions: dropped }, 'postgres sink: retention dropped partitions');
    // Never the ledger row of the batch this writer may still retry.
    await s.query(`DELETE FROM ${LEDGER_TABLE} WHERE committed_at < now() - ${LEDGER_KEEP} AND NOT (writer = $1 AND batch >= $2)`, [this.writerId, this.inflight?.id ?? this.nextBatchId]);
  }

  /**
   * Takes the next batch off the queue and encodes it (fixed from now on, whatever happens). A row
   * that cannot be stored (a timestamp out of range, from a damaged capture) is dropped and counted
   * here, so that it cannot make its whole batch fail forever.
   */
  private form(): Batch {
    const enc = this.o.encoder;
    const w = this.copy;
    const days = new Set<number>();
    let invalid = 0;
    w.begin();
    const taken = this.queue.take(this.o.batchSize, (batch, i) => {
      if (!enc.valid(batch, i)) {
        invalid++;
        return;
      }
      enc.encode(w, batch, i);
      days.add(dayOf(enc.time(batch, i)));
    });
    if (invalid > 0) {
      this.o.stats.dropped += invalid;
      this.o.log.warn({ sink: this.o.stats.sink, dropped: invalid }, 'postgres sink: rows with a timestamp out of range dropped');
    }
    return { id: this.nextBatchId++, rows: taken - invalid, data: w.finish(), days };
  }

  private async write(s: SinkSession, b: Batch): Promise<Outcome> {
    await this.partitions.ensure(s, b.days);
    const r = (await s.query(
      `BEGIN; INSERT INTO ${LEDGER_TABLE} (writer, batch, table_name, rows) VALUES ('${this.writerId}', ${b.id}, '${this.o.table}', ${b.rows}) ON CONFLICT DO NOTHING`,
    )) as unknown as { rowCount: number | null }[];
    if (r[1]?.rowCount === 0) {
      await s.query('ROLLBACK');
      return 'duplicate';
    }
    await s.copyIn(this.copySql, b.data);
    await s.query('COMMIT');
    return 'committed';
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.session?.destroy();
        reject(new Error(`batch not committed within ${WRITE_TIMEOUT_MS / 1000} s`));
      }, WRITE_TIMEOUT_MS);
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
  }

  /** The session failed (or could not open): destroy it, mark the sink down. */
  private fail(err: Error): void {
    this.dropSession();
    this.setUp(false, err);
  }

  private dropSession(): void {
    const s = this.session;
    this.session = null;
    s?.destroy();
    // A partition dropped by someone else would otherwise be assumed present forever.
    this.partitions.forget();
  }

  private setUp(up: boolean, err?: Error): void {
    this.o.stats.up = up;
    if (this.lastUp === up) return;
    this.lastUp = up;
    const sink = this.o.stats.sink;
    if (up) this.o.log.info({ sink, table: this.o.table, database: this.o.where }, 'postgres sink: connected');
    else
      this.o.log.warn(
        { sink, table: this.o.table, database: this.o.where, error: err?.message, code: (err as { code?: string } | undefined)?.code, queued: this.pending },
        'postgres sink: database unavailable; records wait in the queue (max_queue) and are written when it is back',
      );
  }

  private releaseWaiters(): void {
    const n = this.pending;
    for (let i = this.drainWaiters.length - 1; i >= 0; i--) {
      const w = this.drainWaiters[i]!;
      if (n <= w.mark || this.closing) {
        this.drainWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}
