/**
 * Process-side helpers of the live-capture benchmark: start `netmon run` and wait until it is ready,
 * read its CPU time and RSS from /proc, scrape /metrics once or at a fixed rate in the background.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { freePort } from '../test/support/free-port';

/** Clock ticks per second of /proc/PID/stat utime/stime (USER_HZ: 100 on every Linux ABI in use). */
const USER_HZ = 100;

export { freePort };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));


function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The process and its live descendants (netmon run forks its capture process). */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      parents.set(Number(e), Number(statFields(Number(e))[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [child, parent] of parents) if (parent === out[i]) out.push(child);
  return out;
}

/** User + system CPU seconds so far of a process and its descendants (/proc/PID/stat fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    const f = statFields(p);
    total += (Number(f[11]) + Number(f[12])) / USER_HZ;
  }
  return total;
}

/** Resident set size in bytes of a process and its descendants (/proc/PID/status VmRSS). */
export function rssBytes(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'latin1'));
    total += m === null ? 0 : Number(m[1]) * 1024;
  }
  return total;
}

/** Value of one sample `name{labels}` in exposition text (exact match of the series text), or undefined. */
export function sampleValue(text: string, series: string): number | undefined {
  const at = text.indexOf(`\n${series} `);
  if (at < 0) return undefined;
  const start = at + series.length + 2;
  return Number(text.slice(start, text.indexOf('\n', start)));
}

export interface LiveNetmon {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly base: string;
  stderr(): string;
  scrape(): Promise<string>;
  /** SIGTERM and wait (SIGKILL after 10 s); resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `node CLI run ARGS --listen 127.0.0.1:PORT` and waits (up to 20 s) for /readyz 200. */
export async function startLiveNetmon(cli: string, args: readonly string[]): Promise<LiveNetmon> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [cli, 'run', ...args, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-8000)));
  const scrape = async (): Promise<string> => {
    const r = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(30_000) });
    if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
    return r.text();
  };
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code] = (await exited) as [number | null];
    clearTimeout(t);
    return code;
  };
  const end = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`netmon exited ${child.exitCode}: ${err}`);
    const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (r?.status === 200) break;
    if (Date.now() > end) {
      await stop();
      throw new Error(`netmon not ready within 20 s: ${err}`);
    }
    await sleep(50);
  }
  return { child, pid: child.pid!, base, stderr: () => err, scrape, stop };
}

export interface ScrapeFigures {
  scrapes: number;
  /** Ticks skipped because the previous scrape was still running. */
  skipped: number;
  p50Ms: number;
  maxMs: number;
  /** Size of the last exposition, bytes. */
  bytes: number;
}

/** Scrapes /metrics `hz` times a second (never two at once) until stop(). */
export class ScrapeLoop {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private readonly times: number[] = [];
  private skipped = 0;
  private bytes = 0;
  private error: Error | undefined;
  /** Text of the latest completed scrape and when it completed (performance.now()). */
  lastText: string | undefined;
  lastAt = 0;

  constructor(private readonly netmon: LiveNetmon, private readonly hz: number) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), 1000 / this.hz);
  }

  private tick(): void {
    if (this.inFlight !== undefined) {
      this.skipped++;
      return;
    }
    const t0 = performance.now();
    this.inFlight = this.netmon.scrape().then(
      (text) => {
        this.lastAt = performance.now();
        this.times.push(this.lastAt - t0);
        this.bytes = text.length;
        this.lastText = text;
      },
      (err: unknown) => {
        this.error ??= err as Error;
      },
    ).finally(() => {
      this.inFlight = undefined;
    });
  }

  async stop(): Promise<ScrapeFigures> {
    clearInterval(this.timer);
    await this.inFlight;
    if (this.error !== undefined) throw this.error;
    const t = [...this.times].sort((a, b) => a - b);
    return { scrapes: t.length, skipped: this.skipped, p50Ms: t[Math.floor(t.length / 2)] ?? 0, maxMs: t[t.length - 1] ?? 0, bytes: this.bytes };
  }
}
