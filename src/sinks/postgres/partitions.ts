/**
 * Day partitions (UTC) of a range-partitioned table: `<table>_pYYYYMMDD` holds [day, day + 1).
 * Created before a batch that needs them is copied (a row without a partition would fail the whole
 * COPY), under the schema advisory lock so that nodes sharing the database do not race; dropped
 * whole by retention, never emptied with DELETE.
 */
import { SCHEMA_LOCK } from './migrate';
import type { SqlClient } from './sql-client';

const DAY_SECONDS = 86_400;

/** The UTC day number (days since the Unix epoch) of a timestamp in seconds. */
export function dayOf(seconds: number): number {
  return Math.floor(seconds / DAY_SECONDS);
}

function dayText(day: number): string {
  return new Date(day * DAY_SECONDS * 1000).toISOString().slice(0, 10);
}

export function partitionName(table: string, day: number): string {
  return `${table}_p${dayText(day).replace(/-/g, '')}`;
}

/** The day of a partition name of `table`, or undefined when it is not one of netmon's. */
export function partitionDay(table: string, name: string): number | undefined {
  const m = /^_p(\d{4})(\d{2})(\d{2})$/.exec(name.slice(table.length));
  if (!name.startsWith(table) || m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(ms) ? undefined : ms / 1000 / DAY_SECONDS;
}

export class DayPartitions {
  /** Days known to have a partition (created or seen by this process). */
  private readonly known = new Set<number>();

  constructor(readonly table: string) {}

  /** Forgets what is known to exist (after a failure: someone may have dropped a partition). */
  forget(): void {
    this.known.clear();
  }

  /** Creates the partitions of `days` that this process has not seen yet. */
  async ensure(client: SqlClient, days: Iterable<number>): Promise<void> {
    const missing = [...days].filter((d) => !this.known.has(d));
    if (missing.length === 0) return;
    await client.query('BEGIN');
    try {
      await client.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`);
      for (const d of missing) {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${partitionName(this.table, d)} PARTITION OF ${this.table} FOR VALUES FROM ('${dayText(d)} 00:00:00+00') TO ('${dayText(d + 1)} 00:00:00+00')`,
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    for (const d of missing) this.known.add(d);
  }

  /**
   * Drops the partitions entirely older than `retentionSeconds` before `nowSeconds` (wall clock);
   * returns their names. retentionSeconds 0 keeps everything.
   */
  async dropExpired(client: SqlClient, nowSeconds: number, retentionSeconds: number): Promise<string[]> {
    if (retentionSeconds <= 0) return [];
    const rows = (
      await client.query(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         WHERE p.relname = $1 AND p.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`,
        [this.table],
      )
    ).rows;
    const cutoff = nowSeconds - retentionSeconds;
    const dropped: string[] = [];
    for (const r of rows) {
      const name = String(r['name']);
      const day = partitionDay(this.table, name);
      if (day === undefined || (day + 1) * DAY_SECONDS > cutoff) continue;
      await client.query(`DROP TABLE IF EXISTS ${name}`);
      this.known.delete(day);
      dropped.push(name);
    }
    return dropped;
  }
}
