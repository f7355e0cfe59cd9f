import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The CLI as shipped: bin/netmon.js, which runs the bundle (dist/bundle/cli.js) with its code cache. */
export const CLI = join(__dirname, '..', '..', '..', 'bin', 'netmon.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `netmon ARGS...` to completion (bounded by a timeout) and returns its exit code and output. */
export function runNetmon(args: readonly string[], timeoutMs = 60_000): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `netmon ARGS...` in the background; the caller stops it (SIGTERM) and awaits exit. */
export function startNetmon(args: readonly string[]): ChildProcess & { output: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & {
    output: { stdout: string; stderr: string };
  };
  child.output = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (child.output.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (child.output.stderr += d));
  return child;
}

/** Parses flows-json output into a map keyed "src_ip dst_ip proto src_port dst_port" → summed packets/bytes. */
export function flowsByKey(ndjson: string): Map<string, { packets: number; bytes: number }> {
  const m = new Map<string, { packets: number; bytes: number }>();
  for (const line of ndjson.split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as { src_ip: string; dst_ip: string; proto: number; src_port: number; dst_port: number; packets: number; bytes: number };
    const key = `${r.src_ip} ${r.dst_ip} ${r.proto} ${r.src_port} ${r.dst_port}`;
    const cur = m.get(key) ?? { packets: 0, bytes: 0 };
    cur.packets += r.packets;
    cur.bytes += r.bytes;
    m.set(key, cur);
  }
  return m;
}

/** Parses Prometheus text exposition into name{labels} → value (labels as written). */
export function parseExposition(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}
