import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts tcpdump on `iface`, writing whole packets to `file` as they come, beside a `netmon run`
 * serving on `base`; resolves once netmon answers /readyz and tcpdump is listening (20 s at most,
 * polling), so that both see the same packets from then on. tcpdump gets a 64 MiB buffer (-B): in
 * immediate mode libpcap's ring has fixed 64 KiB slots for this snap length, so its default 2 MiB
 * holds ~30 packets, and a burst while tcpdump waits for the CPU (the suite's other work) lost packets
 * the oracle then lacked (CI, 2026-12-04: 242 packets written of the 244 netmon counted).
 */
export async function startTcpdumpBeside(netmon: ChildProcess & { output: { stderr: string } }, base: string, iface: string, file: string): Promise<ChildProcess> {
  const tcpdump = spawn('tcpdump', ['-i', iface, '-s', '65535', '-B', '65536', '-U', '--immediate-mode', '-n', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
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
