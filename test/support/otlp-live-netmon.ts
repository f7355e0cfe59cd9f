/**
 * `netmon run` with OTLP on a veth pair in a test-made network namespace (root only), exporting to a
 * test receiver in this process: shared by the live OTLP tests.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { LINKTYPE_ETHERNET, writePcap } from './pcap-writer';
import { createVethNs } from './netns';
import type { VethNs } from './netns';
import { startNetmon } from './netmon-cli';
import { OtlpReceiver, parsePrometheusText } from './otlp-receiver';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Live {
  v: VethNs;
  dir: string;
  base: string;
  netmon: ReturnType<typeof startNetmon>;
  receiver: OtlpReceiver;
}

export async function startLive(name: string, otlp: string, flows: string): Promise<Live> {
  const v = createVethNs();
  const dir = mkdtempSync(join(tmpdir(), `nmt-otlp-${name}-`));
  const receiver = new OtlpReceiver();
  await receiver.start();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `flows:\n${flows}filters:\n  web: tcp port 80\notlp:\n  endpoint: ${receiver.url}\n  protocol: http/protobuf\n${otlp}`);
  const netmon = startNetmon(['run', '--config', config, '--interface', v.host, '--listen', `127.0.0.1:${port}`, '--log-level', 'error']);
  const end = Date.now() + 15_000;
  for (;;) {
    if (netmon.exitCode !== null) assert.fail(`netmon exited ${netmon.exitCode}: ${netmon.output.stderr}`);
    const r = await fetch(`${base}/readyz`).catch(() => undefined);
    if (r?.status === 200) break;
    if (Date.now() > end) assert.fail(`netmon not ready in 15 s: ${netmon.output.stderr}`);
    await sleep(50);
  }
  return { v, dir, base, netmon, receiver };
}

export async function stopLive(l: Live | undefined): Promise<void> {
  if (l === undefined) return;
  if (l.netmon.exitCode === null && l.netmon.signalCode === null) {
    l.netmon.kill('SIGKILL');
    await once(l.netmon, 'exit');
  }
  await l.receiver.stop();
  l.v.destroy();
  rmSync(l.dir, { recursive: true, force: true });
}

export async function scrape(l: Live): Promise<Map<string, number>> {
  const r = await fetch(`${l.base}/metrics`, { signal: AbortSignal.timeout(5000) });
  assert.equal(r.status, 200);
  return parsePrometheusText(await r.text());
}

/** Polls /metrics until pred holds (bounded). */
export async function scrapeUntil(l: Live, pred: (m: Map<string, number>) => boolean, ms: number, what: string): Promise<Map<string, number>> {
  const end = Date.now() + ms;
  for (;;) {
    const m = await scrape(l);
    if (pred(m)) return m;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}; netmon stderr: ${l.netmon.output.stderr.slice(-2000)}`);
    await sleep(50);
  }
}

export function send(l: Live, name: string, frames: readonly Buffer[]): void {
  const file = join(l.dir, name);
  writePcap(file, frames.map((data) => ({ data, ts: 1_700_000_000 })), { linkType: LINKTYPE_ETHERNET });
  l.v.exec(['tcpreplay', '-q', '-K', '-i', l.v.peer, '--topspeed', file], 60_000);
}

