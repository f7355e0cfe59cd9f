/**
 * `netmon tail` against a live `netmon run` (root only), frames sent with tcpreplay over a veth:
 * - in a pseudo-terminal (a private tmux server): the live table shows the flows sent, with their
 *   packet counts; Ctrl-C (send-keys C-c) exits 0 and restores the screen;
 * - piped with --packets and a filter: one line per packet, exactly those tcpdump selects;
 * - piped (flow records): one line per record when the flows end (netmon stopping ends them).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ethIpv4Udp, ethIpv4Tcp } from '../support/frames';
import { CLI, startNetmon } from '../support/netmon-cli';
import { liveSkipReason } from '../support/netns';
import type { VethNs } from '../support/netns';
import { startLiveRun } from '../support/live-run';
import type { LiveRun } from '../support/live-run';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';
import { tcpdumpMatch } from '../support/tcpdump';

const skip = liveSkipReason()
  ?? (spawnSync('tcpreplay', ['--version']).status === 0 ? undefined : 'tcpreplay is not installed')
  ?? (spawnSync('tmux', ['-V']).status === 0 ? undefined : 'tmux is not installed');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ms: number, pred: () => boolean | Promise<boolean>, diag: () => string = () => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}\n${diag()}`);
    await sleep(100);
  }
}

function collect(child: ChildProcess): { out: string; err: string } {
  const o = { out: '', err: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (o.out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (o.err += d));
  return o;
}

describe('netmon tail against netmon run', { skip, timeout: 120_000 }, () => {
  let v: VethNs;
  let dir: string;
  let base: string;
  let netmon: ReturnType<typeof startNetmon>;
  let run: LiveRun | undefined;
  const sock = `nmt-tail-${randomBytes(3).toString('hex')}`;
  const tmux = (args: readonly string[]) => spawnSync('tmux', ['-L', sock, ...args], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm-256color' } });
  const send = (name: string, frames: readonly Buffer[]): string => {
    const file = join(dir, name);
    writePcap(file, frames.map((data) => ({ data, ts: 1_700_000_000 })), { linkType: LINKTYPE_ETHERNET });
    v.exec(['tcpreplay', '-q', '-K', '-i', v.peer, '--topspeed', file], 60_000);
    return file;
  };
  const clients = async (stream: string): Promise<number> => {
    const t = await (await fetch(`${base}/metrics`)).text();
    return Number(new RegExp(`netmon_stream_clients\\{stream="${stream}"\\} (\\d+)`).exec(t)?.[1] ?? 0);
  };

  before(async () => {
    run = await startLiveRun('nmt-tail-', 'flows:\n  idle_timeout: 60s\napi:\n  packets: true\n');
    ({ v, dir, base, netmon } = run);
  });

  after(async () => {
    tmux(['kill-server']);
    await run?.stop();
  });

  it('shows the flows sent in a live table on a terminal (tmux), their packets counted; Ctrl-C exits 0', async () => {
    const exitFile = join(dir, 'tail-exit');
    const cmd = `${process.execPath} ${CLI} tail --url ${base} --filter 'udp or tcp'; echo $? > ${exitFile}`;
    const r = tmux(['new-session', '-d', '-s', 'tail', '-x', '160', '-y', '40', cmd]);
    assert.equal(r.status, 0, r.stderr);
    const frames: Buffer[] = [];
    for (let f = 0; f < 4; f++) for (let i = 0; i <= f; i++) frames.push(ethIpv4Udp({ src: v.peerAddr, dst: v.hostAddr, sport: 41000 + f, dport: 5000 }, Buffer.alloc(100)));
    for (let i = 0; i < 7; i++) frames.push(ethIpv4Tcp({ src: v.peerAddr, dst: '198.19.3.3', sport: 42000, dport: 443 }, Buffer.alloc(500)));
    send('table.pcap', frames);
    const pane = () => tmux(['capture-pane', '-p', '-t', 'tail']).stdout;
    const row = (src: string, dst: string, proto: string, packets: number) => new RegExp(`${src.replace(/\./g, '\\.')}\\s+${dst.replace(/\./g, '\\.')}\\s+${proto}\\s+\\S+\\s+${packets}\\s`);
    await until('the table with every flow sent', 15_000, () => {
      const p = pane();
      return [0, 1, 2, 3].every((f) => row(`${v.peerAddr}:${41000 + f}`, `${v.hostAddr}:5000`, 'udp', f + 1).test(p)) && row(`${v.peerAddr}:42000`, '198.19.3.3:443', 'tcp', 7).test(p);
    }, pane);
    assert.match(pane(), /top flows by rate/);
    // The fastest first: rates come from two polls; the TCP flow carried the most bytes.
    tmux(['send-keys', '-t', 'tail', 'C-c']);
    await until('tail exits', 10_000, () => existsSync(exitFile) && readFileSync(exitFile, 'utf8').trim() !== '');
    assert.equal(readFileSync(exitFile, 'utf8').trim(), '0');
  });

  it('piped: one line per packet the filter selects (as tcpdump), and one line per flow record when flows end', async () => {
    const packets = spawn(process.execPath, [CLI, 'tail', '--url', base, '--packets', '--filter', 'udp dst port 6000', '--rate', '10000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const records = spawn(process.execPath, [CLI, 'tail', '--url', base, '--filter', 'src port 43001'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const p = collect(packets);
    const rec = collect(records);
    try {
      await until('both tails connected', 15_000, async () => (await clients('packets')) === 1 && (await clients('flows')) === 1);
      const frames: Buffer[] = [];
      for (let i = 0; i < 30; i++) frames.push(ethIpv4Udp({ src: v.peerAddr, dst: v.hostAddr, sport: 43000 + (i % 3), dport: i % 2 === 0 ? 6000 : 6001 }, Buffer.alloc(i)));
      const file = send('piped.pcap', frames);
      const want = tcpdumpMatch(file, 'udp dst port 6000');
      await until('the packet lines', 10_000, () => p.out.split('\n').filter(Boolean).length >= want.packets, () => p.out + p.err);
      await sleep(300);
      const lines = p.out.split('\n').filter(Boolean);
      assert.equal(lines.length, want.packets);
      for (const l of lines) assert.match(l, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{6} ${v.host} ${v.peerAddr.replace(/\./g, '\\.')}:4300[012] > ${v.hostAddr.replace(/\./g, '\\.')}:6000 udp len=\\d+$`));
      assert.equal(lines.reduce((n, l) => n + Number(/len=(\d+)/.exec(l)![1]), 0), want.bytes);
      // Stopping netmon ends the active flows: their records reach the flow stream first.
      netmon.kill('SIGTERM');
      const [code] = (await once(netmon, 'exit')) as [number];
      assert.equal(code, 0, netmon.output.stderr);
      await until('the flow record lines', 10_000, () => rec.out.split('\n').filter(Boolean).length >= 2, () => rec.out + rec.err);
      // Each line starts with the time it was printed: order them by the flow, not by that time.
      const flows = rec.out.split('\n').filter(Boolean).sort((a, b) => (/:600\d /.exec(a)?.[0] ?? a).localeCompare(/:600\d /.exec(b)?.[0] ?? b));
      assert.equal(flows.length, 2, rec.out);
      assert.match(flows[0]!, new RegExp(` ${v.peerAddr.replace(/\./g, '\\.')}:43001 > ${v.hostAddr.replace(/\./g, '\\.')}:6000 udp packets=5 bytes=\\d+ duration=\\S+ end=end$`));
      assert.match(flows[1]!, new RegExp(` ${v.peerAddr.replace(/\./g, '\\.')}:43001 > ${v.hostAddr.replace(/\./g, '\\.')}:6001 udp packets=5 bytes=\\d+ duration=\\S+ end=end$`));
      await until('the tails retrying', 10_000, () => /retrying in/.test(rec.err) && /retrying in/.test(p.err));
    } finally {
      packets.kill('SIGINT');
      records.kill('SIGINT');
    }
    for (const c of [packets, records]) {
      const [code] = c.exitCode !== null ? [c.exitCode] : ((await once(c, 'exit')) as [number]);
      assert.equal(code, 0);
    }
  });
});
