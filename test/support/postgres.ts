/**
 * Throw-away PostgreSQL servers for tests: Debian's postgresql package (scripts/install-deps.sh
 * test), its initdb and pg_ctl from /usr/lib/postgresql/<version>/bin (the newest version there,
 * never whatever else is on PATH). Each server is a fresh cluster in a temp dir on a free loopback
 * port, no unix socket outside that dir, no system service; stop() and start() restart it on the
 * same port and data (for outage tests); destroy() removes everything, and anything a crashed test
 * left running is stopped at process exit.
 *
 * The cluster's superuser is `netmon` with a password (scram-sha-256 over TCP), so every test goes
 * through password authentication like a real deployment. initdb refuses to run as root: as root,
 * the server runs as the `postgres` user the Debian package creates.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';

const LIB = '/usr/lib/postgresql';

/** The bin directory of the newest PostgreSQL under /usr/lib/postgresql, or undefined. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(LIB)) return undefined;
  const versions = readdirSync(LIB)
    .filter((v) => /^\d+(\.\d+)?$/.test(v) && existsSync(join(LIB, v, 'bin', 'initdb')) && existsSync(join(LIB, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? undefined : join(LIB, versions[0]!, 'bin');
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Why PostgreSQL tests cannot run here, or undefined if they can. */
export function postgresSkipReason(): string | undefined {
  if (postgresBinDir() === undefined) return `PostgreSQL server binaries not found under ${LIB} (Debian package "postgresql": scripts/install-deps.sh test)`;
  if (isRoot() && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'running as root needs the "postgres" user (created by the Debian postgresql package) to run the server';
  return undefined;
}

export interface PgServer {
  readonly port: number;
  readonly password: string;
  /** A file holding the password (for sinks.postgres.password_file). */
  readonly passwordFile: string;
  /** postgres://netmon@127.0.0.1:PORT/netmon (no password: it comes from passwordFile). */
  readonly url: string;
  readonly dir: string;
  /** Runs SQL with a fresh connection and returns the rows. */
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  /** Runs psql from the same installation (-X -q -A -t, ON_ERROR_STOP) with `args`; returns stdout. */
  psql(args: readonly string[]): string;
  /** Stops the server (fast: sessions are terminated, as on a restart). */
  stop(): void;
  /** Starts it again, same port and data. */
  start(): void;
  readonly running: boolean;
  destroy(): void;
}

const live = new Set<PgServer>();
process.on('exit', () => {
  for (const s of live) s.destroy();
});

export interface PgOptions {
  /** fsync on (PostgreSQL's default, for benchmarks); tests run with fsync off, which they do not need. */
  readonly fsync?: boolean;
}

export async function startPostgres(options: PgOptions = {}): Promise<PgServer> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error(postgresSkipReason());
  const dir = mkdtempSync(join(tmpdir(), 'nmt-pg-'));
  const data = join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  const asUser = isRoot() ? ['runuser', '-u', 'postgres', '--'] : [];
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
    chownSync(passwordFile, uid, gid);
  }
  const run = (argv: readonly string[], timeout = 60_000): string => {
    const [cmd, ...args] = [...asUser, ...argv];
    const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout, cwd: dir });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout || r.error?.message}`);
    return r.stdout;
  };
  run([join(bin, 'initdb'), '-D', data, '-U', 'netmon', `--pwfile=${passwordFile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--locale=C.UTF-8', '-N']);
  const port = await freePort();
  let running = false;
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c fsync=${options.fsync === true ? 'on' : 'off'} -c log_min_messages=warning`;
  const server: PgServer = {
    port,
    password,
    passwordFile,
    url: `postgres://netmon@127.0.0.1:${port}/netmon`,
    dir,
    get running() {
      return running;
    },
    async query<T>(sql: string, values?: unknown[]): Promise<T[]> {
      const c = new Client({ host: '127.0.0.1', port, user: 'netmon', password, database: 'netmon' });
      await c.connect();
      try {
        return (await c.query(sql, values)).rows as T[];
      } finally {
        await c.end();
      }
    },
    psql(args) {
      const r = spawnSync(join(bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'netmon', '-d', 'netmon', ...args], {
        encoding: 'utf8',
        env: { ...process.env, PGPASSWORD: password },
        maxBuffer: 256 << 20,
        timeout: 300_000,
      });
      if (r.status !== 0) throw new Error(`psql ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    },
    stop() {
      if (!running) return;
      run([join(bin, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']);
      running = false;
    },
    start() {
      if (running) return;
      run([join(bin, 'pg_ctl'), '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', opts, 'start']);
      running = true;
    },
    destroy() {
      if (!live.has(server)) return;
      live.delete(server);
      if (running) {
        const [cmd, ...args] = [...asUser, join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'];
        spawnSync(cmd!, args, { stdio: 'ignore', timeout: 30_000 });
      }
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  live.add(server);
  try {
    server.start();
    // The cluster's own database for the tests (the sink connects to it as in production).
    const c = new Client({ host: '127.0.0.1', port, user: 'netmon', password, database: 'postgres' });
    await c.connect();
    await c.query('CREATE DATABASE netmon');
    await c.end();
  } catch (err) {
    server.destroy();
    throw err;
  }
  return server;
}
