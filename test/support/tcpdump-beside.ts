import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts tcpdump on `iface`, writing whole packets to `file` as they come, beside a `netmon run`
 * serving on `base`; resolves once netmon answers /readyz and tcpdump is listening (20 s at most,
 * polling), so that both see the same packets from then on.
 */
export async function startTcpdumpBeside(netmon: ChildProcess & { output: { stderr: string } }, base: string, iface: string, file: string): Promise<ChildProcess> {
  const tcpdump = spawn('tcpdump', ['-i', iface, '-s', '65535', '-U', '--immediate-mode', '-n', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let tcpdumpErr = '';
  tcpdump.stderr!.setEncoding('utf8').on('data', (d: string) => (tcpdumpErr += d));
  const end = Date.now() + 20_000;
  for (;;) {
    if (netmon.exitCode !== null) assert.fail(`netmon exited ${netmon.exitCode}: ${netmon.output.stderr}`);
    const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (r?.status === 200 && tcpdumpErr.includes('listening on')) return tcpdump;
    if (Date.now() > end) assert.fail(`not ready in 20 s: netmon ${netmon.output.stderr}; tcpdump ${tcpdumpErr}`);
    await sleep(50);
  }
}
