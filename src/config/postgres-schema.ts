import { hostname } from 'node:os';
import { duration } from './duration';
import { field, integer, object, optional, required, string } from './validate';
import type { Rule } from './validate';

/**
 * The `sinks.postgres` section (see src/sinks/postgres/). Validated like every other key; the sink's
 * code and `pg` are loaded only when this section is given.
 */

/** Table names are plain lowercase SQL identifiers, short enough for their partitions' names. */
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

/** The database URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Why `s` is not a usable postgres:// URL, or undefined. Never quotes the value (it may hold a password). */
export function urlProblem(s: string): string | undefined {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return 'expected a URL such as postgres://netmon@db:5432/netmon';
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return `expected a postgres:// or postgresql:// URL, got scheme "${u.protocol.slice(0, -1)}"`;
  if (u.hostname === '' && !u.searchParams.has('host')) return 'expected a host, as in postgres://netmon@db:5432/netmon';
  if (u.pathname.length > 1 && decodeURIComponent(u.pathname.slice(1)).includes('/')) return 'expected at most one database name after the host';
  return undefined;
}

const url: Rule<string> = (v, path, problems) => {
  if (typeof v !== 'string') {
    problems.push({ path, message: 'expected a string such as postgres://netmon@db:5432/netmon' });
    return '';
  }
  const why = urlProblem(v);
  if (why !== undefined) problems.push({ path, message: why });
  return v;
};

const positiveDuration: Rule<number> = (v, path, problems) => {
  const n = problems.length;
  const seconds = duration(v, path, problems);
  if (problems.length === n && seconds <= 0) problems.push({ path, message: `expected a duration above 0, got ${JSON.stringify(v)}` });
  return seconds;
};

const packets = object({
  filter: required(string({ nonEmpty: true }), ''),
  max_rate: field(integer(1, 10_000_000), 10_000),
});

export const postgresSink = object({
  url: required(url, ''),
  password_file: optional(string({ nonEmpty: true })),
  host: field(string({ nonEmpty: true }), () => hostname()),
  table: field(string({ check: (s) => (TABLE_NAME.test(s) ? undefined : 'expected a lowercase SQL name (letters, digits and "_", at most 40, not starting with a digit)') }), 'netmon_flows'),
  batch_size: field(integer(1, 1_000_000), 5000),
  flush_interval: field(positiveDuration, 1),
  max_queue: field(integer(1, 100_000_000), 200_000),
  retention: field(duration, 7 * 86400),
  packets: optional(packets),
});

export type PostgresSinkConfig = ReturnType<typeof postgresSink>;
