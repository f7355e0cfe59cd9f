/**
 * One connection to PostgreSQL through `pg`, with the known pitfalls handled:
 * - An idle connection's socket error (the server restarts, a proxy cuts it) is emitted on the
 *   client as an 'error' event, which would crash the process without a listener: every client
 *   gets one from birth, and the session reports the error to its owner instead.
 * - A COPY that fails (or a query that times out) leaves the connection in an unknown protocol
 *   state: the session is destroyed (socket closed; the server rolls the transaction back) and
 *   never reused.
 * This is the only module that loads `pg`, `pg-copy-streams` and `pg-connection-string`, and it is
 * loaded only when `sinks.postgres` is configured.
 */
import { readFileSync } from 'node:fs';
import type { Client as PgClient, ClientConfig } from 'pg';
import type * as Pg from 'pg';
import type * as PgConnectionString from 'pg-connection-string';
import type * as PgCopyStreams from 'pg-copy-streams';
import { NetmonError } from '../../errors';
import type { SqlClient } from './sql-client';

/** How long connecting may take before the attempt counts as failed (then retried with backoff). */
export const CONNECT_TIMEOUT_MS = 5000;
/** A polite end (Terminate, then the server closes) that takes longer than this is cut off. */
const END_TIMEOUT_MS = 2000;

export interface SinkSession extends SqlClient {
  /** Streams one binary COPY (`sql` is COPY ... FROM STDIN (FORMAT binary)); resolves with the rows copied. */
  copyIn(sql: string, data: Buffer): Promise<number>;
  /** Closes the socket now (pending queries fail); idempotent. */
  destroy(): void;
  /** Ends the connection politely (after the last query). */
  end(): Promise<void>;
}

/** Opens a session; `onError` is called once if the connection fails later (the session is then dead). */
export type Connector = (onError: (err: Error) => void) => Promise<SinkSession>;

export interface ConnectionOptions {
  readonly url: string;
  /** Path of a file holding the password (trailing newline ignored). */
  readonly passwordFile: string | undefined;
}

/**
 * Reads the password file now (a missing or unreadable file is a start-up error naming the key),
 * then returns a connector. Password precedence: password_file, a password in the URL, PGPASSWORD
 * (which `pg` reads itself), as with libpq. The password is never logged.
 */
export function pgConnector(opts: ConnectionOptions): Connector {
  let password: string | undefined;
  if (opts.passwordFile !== undefined) {
    try {
      password = readFileSync(opts.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new NetmonError('NETMON_ERR_CONFIG_INVALID', `invalid configuration: sinks.postgres.password_file: cannot read ${opts.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const { Client } = require('pg') as typeof Pg;
  const { parse } = require('pg-connection-string') as typeof PgConnectionString;
  const { from: copyFrom } = require('pg-copy-streams') as typeof PgCopyStreams;
  // Parsed here rather than given to pg as connectionString: pg lets the URL's (empty) password
  // override an explicit one.
  const parsed = parse(opts.url);
  const config: ClientConfig = {
    ...(parsed as unknown as ClientConfig),
    port: parsed.port ? Number(parsed.port) : undefined,
    password: password ?? (parsed.password ? parsed.password : undefined),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: 'netmon',
  };

  return async (onError) => {
    const client: PgClient = new Client(config);
    let dead = false;
    const destroy = (): void => {
      if (dead) return;
      dead = true;
      const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
      stream?.destroy();
      client.end().catch(() => undefined);
    };
    client.on('error', (err: Error) => {
      const first = !dead;
      destroy();
      if (first) onError(err);
    });
    try {
      await client.connect();
    } catch (err) {
      dead = true;
      client.end().catch(() => undefined);
      throw err;
    }
    return {
      query: (text, values) => client.query(text, values as unknown[] | undefined) as unknown as ReturnType<SqlClient['query']>,
      copyIn: (sql, data) =>
        new Promise<number>((resolve, reject) => {
          const stream = client.query(copyFrom(sql));
          stream.on('error', reject);
          stream.on('finish', () => resolve(stream.rowCount));
          stream.end(data);
        }),
      destroy,
      end: async () => {
        if (dead) return;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, END_TIMEOUT_MS)));
        await Promise.race([client.end().catch(() => undefined), late]);
        clearTimeout(timer);
        destroy();
      },
    };
  };
}
