/**
 * Runs the migrations of one table that have not run yet, in one transaction under an advisory
 * lock (several netmon nodes may start at once against the same database), and records each in
 * the version table. Running it again on an up-to-date schema executes no DDL.
 */
import { VERSION_TABLE } from './schema-sql';
import type { Migration } from './schema-sql';
import type { SqlClient } from './sql-client';

/** Advisory lock key for schema changes ("netmon" in ASCII). */
export const SCHEMA_LOCK = 0x6e65746d6f6e;

/** Applies the pending migrations of `object` (a table name); returns the versions that ran now. */
export async function migrate(client: SqlClient, object: string, migrations: readonly Migration[]): Promise<number[]> {
  const ran: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (
      object text NOT NULL,
      version integer NOT NULL,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (object, version)
    )`);
    const done = new Set((await client.query(`SELECT version FROM ${VERSION_TABLE} WHERE object = $1`, [object])).rows.map((r) => Number(r['version'])));
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      for (const sql of m.statements) await client.query(sql);
      await client.query(`INSERT INTO ${VERSION_TABLE} (object, version, description) VALUES ($1, $2, $3)`, [object, m.version, m.description]);
      ran.push(m.version);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return ran;
}
