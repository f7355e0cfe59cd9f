/**
 * `netmon tail`: the live view of a running netmon from a terminal.
 *
 * On a terminal it redraws a table once a second: the top flows by rate (from /api/v1/flows, rates
 * from two consecutive polls), or with --packets the newest packets (/api/v1/packets/stream).
 * Piped, it prints one line per ended flow record (/api/v1/flows/stream) or per packet. It
 * reconnects with backoff (0.5 s doubling to 10 s) when the server is unreachable or goes away;
 * Ctrl-C exits 0; a bad URL, filter, credentials file or a request the server refuses for good
 * (bad filter, 401, stream off) is one line on stderr and exit 2.
 */
import { readFileSync } from 'node:fs';
import { FilterError } from '../filter/compile-filter';
import type * as CompileFilter from '../filter/compile-filter';
import { NetmonError, usageError } from '../errors';
import { ApiRefused, getJson, streamLines } from '../tail/api-client';
import type { ApiTarget } from '../tail/api-client';
import { byRate, flowLine, flowTable, packetLine } from '../tail/tail-format';
import type { FlowJson, PacketJson, RatedFlow } from '../tail/tail-format';

export interface TailOptions {
  readonly url: string | undefined;
  readonly packets: boolean;
  readonly filter: string | undefined;
  readonly user: string | undefined;
  readonly passwordFile: string | undefined;
  readonly cacert: string | undefined;
  readonly rate: string | undefined;
  readonly json: boolean;
}

const DEFAULT_URL = 'http://127.0.0.1:10847';
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const POLL_MS = 1000;
/** Flows fetched per poll; the table shows the fastest of them. */
const POLL_FLOWS = 200;

function readOption(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw usageError(`tail: ${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

function target(o: TailOptions): ApiTarget {
  const raw = o.url ?? DEFAULT_URL;
  let base: URL;
  try {
    base = new URL(raw);
  } catch {
    throw usageError(`tail: --url: expected an http:// or https:// URL such as ${DEFAULT_URL}, got "${raw}"`);
  }
  if ((base.protocol !== 'http:' && base.protocol !== 'https:') || base.hostname === '') throw usageError(`tail: --url: expected an http:// or https:// URL such as ${DEFAULT_URL}, got "${raw}"`);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  if ((o.user === undefined) !== (o.passwordFile === undefined)) throw usageError('tail: --user and --password-file go together');
  let authorization: string | undefined;
  if (o.user !== undefined) {
    const password = readOption(o.passwordFile!, '--password-file').toString('utf8').replace(/\r?\n$/, '');
    authorization = `Basic ${Buffer.from(`${o.user}:${password}`).toString('base64')}`;
  }
  if (o.cacert !== undefined && base.protocol !== 'https:') throw usageError('tail: --cacert needs an https:// --url');
  const ca = o.cacert === undefined ? undefined : readOption(o.cacert, '--cacert');
  return { base, authorization, ca };
}

function checkFilter(expr: string): void {
  if (expr === '') return;
  const { compileFilter } = require('../filter/compile-filter') as typeof CompileFilter;
  try {
    compileFilter('filter', expr);
  } catch (err) {
    if (!(err instanceof FilterError)) throw err;
    throw usageError(`tail: --filter: column ${err.column}: expected ${err.expected}, got ${err.got === '' ? 'end of expression' : JSON.stringify(err.got)}`);
  }
}

/** Runs until SIGINT/SIGTERM (0) or a request refused for good (NetmonError, exit 2). */
export async function tailCommand(o: TailOptions): Promise<number> {
  const t = target(o);
  const filter = o.filter ?? '';
  checkFilter(filter);
  let rate = 100;
  if (o.rate !== undefined) {
    if (!o.packets) throw usageError('tail: --rate goes with --packets');
    if (!/^\d+$/.test(o.rate) || Number(o.rate) < 1) throw usageError(`tail: --rate: expected packets per second (an integer of at least 1), got "${o.rate}"`);
    rate = Number(o.rate);
  }
  const tty = process.stdout.isTTY === true && !o.json;
  const screen = tty ? new Screen() : undefined;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = (): void => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const q = (extra: Record<string, string>) => {
    const p = new URLSearchParams(extra);
    if (filter !== '') p.set('filter', filter);
    return p.toString();
  };
  const view = o.packets
    ? (screen !== undefined ? new PacketTable(screen, t) : undefined)
    : (screen !== undefined ? new FlowTableView(screen, t) : undefined);
  const work = (async () => {
    let backoff = BACKOFF_MIN_MS;
    for (;;) {
      try {
        if (!o.packets && view !== undefined) {
          await (view as FlowTableView).poll(`api/v1/flows?${q({ limit: String(POLL_FLOWS), sort: 'bytes' })}`);
          backoff = BACKOFF_MIN_MS;
          await Promise.race([sleep(POLL_MS), stopped]);
          continue;
        }
        const path = o.packets ? `api/v1/packets/stream?${q({ rate: String(rate) })}` : `api/v1/flows/stream?${q({})}`;
        await streamLines(t, path, () => {
          backoff = BACKOFF_MIN_MS;
          view?.connected();
        }, (line) => {
          if (view instanceof PacketTable) view.line(line);
          else printLine(line, o.packets, o.json);
        });
        view?.status('stream ended; reconnecting');
        if (view === undefined) process.stderr.write('netmon tail: the stream ended; reconnecting\n');
      } catch (err) {
        if (err instanceof ApiRefused && !err.retryable) {
          const hint = err.status === 401 ? ' (check --user and --password-file)' : '';
          throw new NetmonError('NETMON_ERR_USAGE', `tail: ${err.message}${hint}`);
        }
        const why = `cannot reach ${t.base.href}: ${(err as Error).message}; retrying in ${(backoff / 1000).toFixed(1)} s`;
        if (view !== undefined) view.status(why);
        else process.stderr.write(`netmon tail: ${why}\n`);
      }
      await Promise.race([sleep(backoff), stopped]);
      backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
    }
  })();
  try {
    await Promise.race([stopped, work]);
  } finally {
    screen?.restore();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  // Pending requests and timers would keep the process alive: the command is done.
  setImmediate(() => process.exit(process.exitCode ?? 0));
  return 0;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function printLine(line: string, packets: boolean, json: boolean): void {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  if (typeof v['lost'] === 'number') {
    process.stderr.write(`netmon tail: ${v['lost']} ${packets ? 'packets' : 'records'} not delivered to this client${typeof v['matched'] === 'number' ? ` (of ${v['matched']} matched: rate cap)` : ' (it fell behind and was cut off)'}\n`);
    return;
  }
  process.stdout.write(`${json ? line : packets ? packetLine(v as unknown as PacketJson) : flowLine(v as unknown as FlowJson)}\n`);
}

/** The terminal: alternate screen, no cursor, redrawn whole (restored on exit). */
class Screen {
  constructor() {
    process.stdout.write('\x1b[?1049h\x1b[?25l');
  }
  get rows(): number {
    return process.stdout.rows ?? 24;
  }
  get columns(): number {
    return process.stdout.columns ?? 80;
  }
  draw(lines: readonly string[]): void {
    const out = lines.slice(0, this.rows).map((l) => l.slice(0, this.columns));
    process.stdout.write(`\x1b[H\x1b[2J${out.join('\n')}`);
  }
  restore(): void {
    process.stdout.write('\x1b[?25h\x1b[?1049l');
  }
}

interface View {
  connected(): void;
  status(text: string): void;
}

class FlowTableView implements View {
  private prev = new Map<string, { bytes: number; time: number }>();
  private note = 'connecting';
  private last: string[] = [];

  constructor(private readonly screen: Screen, private readonly t: ApiTarget) {}

  connected(): void {}

  status(text: string): void {
    this.note = text;
    this.screen.draw([this.header(), ...this.last]);
  }

  private header(): string {
    return `netmon tail ${this.t.base.href}: top flows by rate   ${new Date().toISOString().slice(11, 19)}   ${this.note}`;
  }

  async poll(path: string): Promise<void> {
    const r = await getJson<{ time: number; active_flows: number; matched: number; flows: FlowJson[] }>(this.t, path);
    const seen = new Map<string, { bytes: number; time: number }>();
    const rated: RatedFlow[] = r.flows.map((flow) => {
      const key = `${flow.src_ip} ${flow.dst_ip} ${flow.proto} ${flow.src_port} ${flow.dst_port}`;
      const p = this.prev.get(key);
      seen.set(key, { bytes: flow.bytes, time: r.time });
      const dt = p === undefined ? 0 : r.time - p.time;
      return { flow, bps: p !== undefined && dt > 0 && flow.bytes >= p.bytes ? ((flow.bytes - p.bytes) * 8) / dt : NaN };
    });
    this.prev = seen;
    rated.sort(byRate);
    this.note = `${r.active_flows} active flows, ${r.matched} matching`;
    this.last = flowTable(rated, this.screen.columns, this.screen.rows - 2);
    this.screen.draw([this.header(), ...this.last]);
  }
}

class PacketTable implements View {
  private readonly lines: string[] = [];
  private received = 0;
  private lost = 0;
  private note = 'connecting';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly screen: Screen, private readonly t: ApiTarget) {}

  connected(): void {
    this.note = 'live';
    this.redrawSoon();
  }

  status(text: string): void {
    this.note = text;
    this.redrawSoon();
  }

  line(text: string): void {
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof v['lost'] === 'number') this.lost += v['lost'];
    else {
      this.received++;
      this.lines.push(packetLine(v as unknown as PacketJson));
      if (this.lines.length > 500) this.lines.splice(0, this.lines.length - 500);
    }
    this.redrawSoon();
  }

  /** At most ten redraws a second, whatever the packet rate. */
  private redrawSoon(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const rows = this.screen.rows - 1;
      this.screen.draw([`netmon tail ${this.t.base.href}: newest packets   ${this.received} shown, ${this.lost} not delivered (rate cap)   ${this.note}`, ...this.lines.slice(-rows)]);
    }, 100);
  }
}
