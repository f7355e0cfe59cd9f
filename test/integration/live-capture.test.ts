/**
 * Live capture on a veth pair in a test-made network namespace (root only). Frames are built here,
 * written to a pcap and sent with tcpreplay from inside the namespace; the oracle is that frame
 * list (counts, wire lengths, bytes), never netmon's own output.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveCapture } from '../../src/capture/live-capture';
import type { LiveCaptureOptions } from '../../src/capture/live-capture';
import { InterfaceSupervisor } from '../../src/capture/interface-supervisor';
import { interfaceExists, listInterfaces } from '../../src/capture/interfaces';
import { ethIpv4Udp } from '../support/frames';
import { writePcap, LINKTYPE_ETHERNET } from '../support/pcap-writer';
import { createVethNs, liveSkipReason } from '../support/netns';
import type { VethNs } from '../support/netns';

const skip = liveSkipReason() ?? (spawnSync('tcpreplay', ['--version']).status === 0 ? undefined : 'tcpreplay is not installed');

const OPTS: LiveCaptureOptions = { snaplen: 256, bufferSize: 8 << 20, promiscuous: true, immediate: false, timeoutMs: 20, filter: '' };

interface Seen { wireLen: number; capLen: number; ts: number; id: number; dport: number; headOk: boolean }

/** `n` UDP frames of varying size, frame i carrying i in its first payload bytes. */
function makeFrames(v: VethNs, n: number, dport: (i: number) => number): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const payload = Buffer.alloc(18 + ((i * 97) % 1455)); // frame sizes 60 .. 1514
    payload.writeUInt32BE(i, 0);
    frames.push(ethIpv4Udp({ src: v.peerAddr, dst: v.hostAddr, sport: 40000, dport: dport(i) }, payload));
  }
  return frames;
}

const ETH_IP_UDP = 14 + 20 + 8;

/** A PacketCallback recording what our test frames look like when captured. */
function recorder(frames: readonly Buffer[], into: Seen[]) {
  return (buf: Buffer, off: number, capLen: number, wireLen: number, ts: number): void => {
    if (capLen < ETH_IP_UDP + 4 || buf.readUInt16BE(off + 12) !== 0x0800 || buf[off + 23] !== 17) return;
    const id = buf.readUInt32BE(off + ETH_IP_UDP);
    const f = frames[id];
    const headOk = f !== undefined && buf.subarray(off, off + capLen).equals(f.subarray(0, capLen));
    into.push({ wireLen, capLen, ts, id, dport: buf.readUInt16BE(off + 36), headOk });
  };
}

function replay(v: VethNs, dir: string, frames: readonly Buffer[], name: string): void {
  const file = join(dir, name);
  // One timestamp for all: tcpreplay then sends back to back.
  writePcap(file, frames.map((data) => ({ data, ts: 1_700_000_000 })), { linkType: LINKTYPE_ETHERNET });
  v.exec(['tcpreplay', '-q', '-i', v.peer, '--topspeed', file]);
}

async function waitFor(pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe('live capture on a veth pair', { skip, timeout: 60_000 }, () => {
  let v: VethNs;
  let dir: string;
  before(() => {
    v = createVethNs();
    dir = mkdtempSync(join(tmpdir(), 'nmt-live-'));
  });
  after(() => {
    v?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the interface and captures every frame with exact wire length, snaplen and time', async () => {
    assert.ok(interfaceExists(v.host));
    assert.ok(listInterfaces().some((i) => i.name === v.host && i.up && !i.loopback));
    const frames = makeFrames(v, 500, () => 7000);
    const seen: Seen[] = [];
    const errors: Error[] = [];
    const cap = new LiveCapture(v.host, OPTS, recorder(frames, seen), (e) => errors.push(e));
    try {
      assert.equal(cap.linkType, LINKTYPE_ETHERNET);
      const t0 = Date.now() / 1000;
      replay(v, dir, frames, 'exact.pcap');
      const t1 = Date.now() / 1000;
      await waitFor(() => seen.length >= frames.length, 5000);
      await new Promise((r) => setTimeout(r, 100)); // nothing extra may arrive
      assert.equal(seen.length, frames.length);
      assert.deepEqual(seen.map((s) => s.id).sort((a, b) => a - b), frames.map((_, i) => i));
      for (const s of seen) {
        const f = frames[s.id]!;
        assert.equal(s.wireLen, f.length);
        assert.equal(s.capLen, Math.min(f.length, OPTS.snaplen));
        assert.ok(s.headOk, `bytes of frame ${s.id}`);
        assert.ok(s.ts >= t0 - 1 && s.ts <= t1 + 1, `timestamp ${s.ts} outside [${t0}, ${t1}]`);
      }
      const st = cap.stats();
      assert.ok(st !== undefined);
      assert.ok(st.received >= frames.length, `received ${st.received}`);
      assert.equal(st.dropped, 0);
      assert.deepEqual(errors, []);
    } finally {
      cap.close();
    }
  });

  it('applies the kernel BPF filter and rejects a bad one clearly', async () => {
    const frames = makeFrames(v, 200, (i) => (i % 3 === 0 ? 7001 : 7002));
    const seen: Seen[] = [];
    const cap = new LiveCapture(v.host, { ...OPTS, filter: 'udp dst port 7001' }, recorder(frames, seen), () => {});
    try {
      replay(v, dir, frames, 'filter.pcap');
      const expected = frames.filter((_, i) => i % 3 === 0).length;
      await waitFor(() => seen.length >= expected, 5000);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(seen.length, expected);
      assert.ok(seen.every((s) => s.dport === 7001));
    } finally {
      cap.close();
    }
    assert.throws(() => new LiveCapture(v.host, { ...OPTS, filter: 'udp dst prot 7001' }, () => {}, () => {}), /invalid BPF filter "udp dst prot 7001"/);
  });

  it('supervisor: survives the interface being deleted, goes down, comes back up, counts on', async () => {
    const frames = makeFrames(v, 120, () => 7000);
    const seen: Seen[] = [];
    const logs: string[] = [];
    const log = { info: (_: object, m: string) => logs.push(m), warn: (_: object, m: string) => logs.push(m), error: (_: object, m: string) => logs.push(m) };
    const sup = new InterfaceSupervisor(v.host, OPTS, recorder(frames, seen), log);
    sup.start();
    try {
      assert.equal(sup.up, true);
      replay(v, dir, frames.slice(0, 50), 'first.pcap');
      await waitFor(() => seen.length >= 50, 5000);
      assert.equal(seen.length, 50);
      const before = sup.stats();
      assert.ok(before.received >= 50);

      v.deleteLink();
      await waitFor(() => !sup.up, 3000);
      assert.equal(sup.up, false);
      assert.deepEqual(sup.stats(), before, 'figures of the dead handle are kept');

      v.recreateLink();
      await waitFor(() => sup.up, 5000);
      assert.equal(sup.up, true);
      assert.equal(sup.opens, 2);
      replay(v, dir, frames.slice(50), 'second.pcap');
      await waitFor(() => seen.length >= 120, 5000);
      assert.equal(seen.length, 120);
      const afterStats = sup.stats();
      assert.ok(afterStats.received >= before.received + 70, `cumulative ${afterStats.received}`);
      assert.equal(afterStats.droppedKernel, 0);
      assert.ok(logs.includes('capture down, will retry') && logs.includes('capture resumed'), logs.join(', '));
    } finally {
      sup.stop();
    }
    assert.equal(sup.up, false);
  });

  it('keeps the capture buffer alive when JS drops it (child process, --expose-gc)', async () => {
    const frames = makeFrames(v, 300, () => 7000);
    const script = join(dir, 'gc-child.js');
    writeFileSync(script, `
      const { Cap } = require(${JSON.stringify(require.resolve('cap'))});
      const c = new Cap();
      let n = 0, bytes = 0;
      (() => {
        // The only reference to this buffer is the one the binding keeps.
        c.open(process.argv[2], '', 4 << 20, Buffer.alloc(64 << 10), {
          snaplen: 256, immediate: false, timeoutMs: 10,
          onBatch(count, used) { n += count; bytes += used; },
          onError(e) { console.error(e.message); process.exit(3); },
        });
      })();
      for (let i = 0; i < 5; i++) globalThis.gc();
      // Put other data where the buffer was, and check nothing writes into it.
      const other = []; for (let i = 0; i < 64; i++) other.push(Buffer.alloc(64 << 10, 0x5a));
      process.stdout.write('ready\\n');
      // Until every frame arrived (or 10 s), then 100 ms more for any frame beyond them.
      const expected = Number(process.argv[3]);
      const deadline = Date.now() + 10000;
      const poll = setInterval(() => {
        if (n < expected && Date.now() < deadline) return;
        clearInterval(poll);
        setTimeout(() => {
          for (let i = 0; i < 3; i++) globalThis.gc();
          const hit = other.filter((b) => b.some((x) => x !== 0x5a)).length;
          console.log(JSON.stringify({ n, bytes, hit, stats: c.stats() }));
          c.close();
        }, 100);
      }, 10);
    `);
    const file = join(dir, 'gc.pcap');
    writePcap(file, frames.map((data) => ({ data, ts: 1_700_000_000 })), { linkType: LINKTYPE_ETHERNET });
    // The namespace sends once the child says it is capturing.
    const child = spawn(process.execPath, ['--expose-gc', script, v.host, String(frames.length)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill(), 20_000);
    try {
      await waitFor(() => stdout.includes('ready\n') || child.exitCode !== null, 10_000);
      assert.ok(stdout.includes('ready\n'), `child did not start: ${stderr}`);
      v.exec(['tcpreplay', '-q', '-i', v.peer, '--topspeed', file]);
      const status = await exited;
      assert.equal(status, 0, `child failed (${status}): ${stderr}`);
    } finally {
      clearTimeout(killer);
      child.kill();
    }
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { n: number; hit: number; stats: { received: number; dropped: number } };
    assert.equal(out.n, frames.length);
    assert.equal(out.hit, 0);
    assert.equal(out.stats.dropped, 0);
  });
});
