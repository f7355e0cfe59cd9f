/**
 * `netmon run` on a veth pair in a namespace the test creates, with a config written to a temporary
 * directory and the HTTP server on a free loopback port, started and waited for (/readyz, by polling
 * with a deadline), and stopped with everything it made removed. For the live API, stream and status
 * page tests.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { startNetmon } from './netmon-cli';
import { createVethNs } from './netns';
import type { VethNs } from './netns';

export interface LiveRun {
  readonly v: VethNs;
  /** Temporary directory holding netmon.yml; the test may put its own files there. */
  readonly dir: string;
  /** http://127.0.0.1:PORT */
  readonly base: string;
  readonly netmon: ReturnType<typeof startNetmon>;
  /** SIGTERM and wait for the exit, then delete the veth pair, namespace and directory. */
  stop(): Promise<void>;
}

/** Starts netmon run with `configYaml` on a new veth (dir named from `prefix`); resolves once it is ready. */
export async function startLiveRun(prefix: string, configYaml: string, readyMs = 20_000): Promise<LiveRun> {
  const v = createVethNs();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = join(dir, 'netmon.yml');
  writeFileSync(config, configYaml);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const netmon = startNetmon(['run', '--config', config, '--interface', v.host, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn']);
  const stop = async (): Promise<void> => {
    if (netmon.exitCode === null && netmon.signalCode === null) {
      netmon.kill('SIGTERM');
      await once(netmon, 'exit');
    }
    v.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  const end = Date.now() + readyMs;
  while ((await fetch(`${base}/readyz`).catch(() => undefined))?.status !== 200) {
    if (netmon.exitCode !== null || Date.now() > end) {
      const stderr = netmon.output.stderr;
      await stop();
      assert.fail(`netmon not ready within ${readyMs} ms: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { v, dir, base, netmon, stop };
}
