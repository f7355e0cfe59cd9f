/**
 * Cross-checks the test writer (test/support/pcap-writer.ts) and the readers against tcpdump and
 * tshark: the files are built from integer (seconds, fraction) timestamps and known lengths, the
 * external tools must read exactly those, and the readers must agree with the tools.
 * Skipped (with a reason) when tcpdump or tshark is not installed.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openCaptureFile } from '../../src/capture/capture-file';
import { ethernet } from '../support/frames';
import { pcapBuffer, writePcap, writePcapng, type PcapngBlock, type PcapngInterface, type PcapngSection } from '../support/pcap-writer';

const dir = mkdtempSync(join(tmpdir(), 'netmon-capfile-oracle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function have(tool: string, arg: string): boolean {
  return spawnSync(tool, [arg], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}
const noTcpdump = have('tcpdump', '--version') ? false : 'tcpdump not installed';
const noTshark = have('tshark', '-v') ? false : 'tshark not installed';

function run(tool: string, args: string[]): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `${tool} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Deterministic pseudo-random generator (LCG), so failures are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface Spec { sec: number; frac: number; capLen: number; wireLen: number }

/** Frames with an unassigned EtherType so the tools print one plain line each. */
function frame(capLen: number, seed: number): Buffer {
  const f = ethernet({ etherType: 0x88b5 }, Buffer.alloc(Math.max(capLen - 14, 0), seed & 0xff));
  return f.subarray(0, capLen);
}

function makeSpecs(count: number, units: number, baseSec: number, seed: number): Spec[] {
  const r = rng(seed);
  const out: Spec[] = [];
  for (let i = 0; i < count; i++) {
    const wireLen = 14 + Math.floor(r() * 1501);
    const capLen = r() < 0.25 ? Math.min(wireLen, 14 + Math.floor(r() * 50)) : wireLen;
    const frac = i === 0 ? units - 1 : i === 1 ? 1 : Math.floor(r() * units);
    out.push({ sec: baseSec + Math.floor(r() * 1000), frac, capLen, wireLen });
  }
  return out;
}

/** "sec.fraction" with the fraction in `digits` decimals (units is 10^digits). */
function tsString(sec: number, frac: number, digits: number): string {
  return `${sec}.${String(frac).padStart(digits, '0')}`;
}

/** tshark's frame.time_epoch "s.nnnnnnnnn" as integer nanoseconds (BigInt: exact). */
function epochNs(s: string): bigint {
  const [a, b = ''] = s.split('.');
  return BigInt(a) * 1000000000n + BigInt(b.padEnd(9, '0').slice(0, 9));
}

interface ToolFrame { iface: number; len: number; capLen: number; time: string }

function tsharkFrames(path: string): ToolFrame[] {
  const out = run('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.interface_id', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.time_epoch']);
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const [iface, len, capLen, time] = l.split('\t');
    return { iface: Number(iface || 0), len: Number(len), capLen: Number(capLen), time };
  });
}

/** tcpdump -tt -n -e lines: "ts src > dst, ethertype Unknown (0x88b5), length N: " (hex dump lines skipped). */
function tcpdumpFrames(path: string, nano: boolean): Array<{ time: string; len: number }> {
  const args = ['-r', path, '-tt', '-n', '-e', ...(nano ? ['--time-stamp-precision=nano'] : [])];
  return run('tcpdump', args).split('\n').filter((l) => /^\d/.test(l)).map((l) => {
    const m = /^(\d+\.\d+) .*, length (\d+)/.exec(l);
    assert.ok(m, `unexpected tcpdump line: ${l}`);
    return { time: m[1], len: Number(m[2]) };
  });
}

function readerFrames(path: string): Array<{ iface: number; capLen: number; wireLen: number; ts: number; data: Buffer }> {
  const r = openCaptureFile(path, { bufferSize: 4096 });
  const out = [];
  try {
    while (r.next()) out.push({ iface: r.interfaceIndex, capLen: r.capLen, wireLen: r.wireLen, ts: r.ts, data: Buffer.from(r.buf.subarray(r.offset, r.offset + r.capLen)) });
  } finally {
    r.close();
  }
  return out;
}

/** Reader timestamp vs tool's decimal string: within a microsecond (the promised precision). */
function assertTsClose(ts: number, tool: string, what: string): void {
  const diffNs = Number(BigInt(Math.round(ts * 1e6)) * 1000n - epochNs(tool));
  assert.ok(Math.abs(diffNs) <= 1000, `${what}: reader ${ts} vs tool ${tool}`);
}

describe('capture files vs tcpdump and tshark', () => {
  for (const bigEndian of [false, true]) {
    for (const nanosecond of [false, true]) {
      const name = `${bigEndian ? 'be' : 'le'}-${nanosecond ? 'ns' : 'us'}`;
      const units = nanosecond ? 1e9 : 1e6;
      const digits = nanosecond ? 9 : 6;
      // ns fractions survive float seconds only for small second counts; µs ones up to 2^32.
      const specs = makeSpecs(40, units, nanosecond ? 1_000_000 : 1_700_000_000, bigEndian ? 7 : 8);
      const path = join(dir, `${name}.pcap`);
      writePcap(path, specs.map((s, i) => ({ data: frame(s.capLen, i), ts: s.sec + s.frac / units, origLen: s.wireLen })), { linkType: 1, bigEndian, nanosecond });

      it(`pcap ${name}: tcpdump reads the written timestamps and lengths`, { skip: noTcpdump }, () => {
        const got = tcpdumpFrames(path, nanosecond);
        assert.deepEqual(got, specs.map((s) => ({ time: tsString(s.sec, s.frac, digits), len: s.wireLen })));
      });

      it(`pcap ${name}: tshark and the reader agree on every frame`, { skip: noTshark }, () => {
        const tool = tsharkFrames(path);
        assert.deepEqual(tool.map((f) => [f.len, f.capLen, epochNs(f.time)]), specs.map((s) => [s.wireLen, s.capLen, BigInt(s.sec) * 1000000000n + BigInt(s.frac) * BigInt(1e9 / units)]));
        const mine = readerFrames(path);
        assert.equal(mine.length, tool.length);
        mine.forEach((m, i) => {
          assert.equal(m.capLen, tool[i].capLen);
          assert.equal(m.wireLen, tool[i].len);
          assertTsClose(m.ts, tool[i].time, `frame ${i}`);
          assert.deepEqual(m.data, frame(specs[i].capLen, i));
        });
      });
    }
  }

  for (const nanosecond of [false, true]) {
    it(`pcap ${nanosecond ? 'ns' : 'us'} with fractions out of range (damaged headers, writers that do not carry into seconds): the reader reads the times tshark shows`, { skip: noTshark }, () => {
      // The first three records are in range: Wireshark picks the pcap flavour by its first records.
      const fracs = nanosecond
        ? [5, 6, 7, 999_999_999, 1_000_000_000, 1_500_000_000, 2_147_483_647, 2_147_483_648, 3_000_000_000, 4_294_967_295]
        : [5, 6, 7, 999_999, 1_000_000, 1_500_000, 2_147_483, 2_147_484, 3_000_000, 4_294_967, 4_294_968, 8_915_240, 4_294_967_295];
      const data = ethernet({ etherType: 0x88b5 }, Buffer.alloc(46));
      const b = pcapBuffer(fracs.map((_, i) => ({ data, ts: 1_000_000 + i })), { linkType: 1, nanosecond });
      fracs.forEach((f, i) => b.writeUInt32LE(f, 24 + i * (16 + data.length) + 4));
      const path = join(dir, `fractions-${nanosecond ? 'ns' : 'us'}.pcap`);
      writeFileSync(path, b);
      // tshark prints the 32-bit signed nanoseconds it computed as they are: "-S.N" is S - N ns, and N
      // may have more than 9 digits.
      const tool = tsharkFrames(path).map((f) => {
        const m = /^(-?)(\d+)\.(\d+)$/.exec(f.time);
        assert.ok(m, f.time);
        return Number(m[2]) + (m[1] === '-' ? -1 : 1) * Number(m[3]) / 1e9;
      });
      assert.equal(tool.length, fracs.length);
      // Both reader paths: next() and the run of whole records readPackets() hands out.
      const pulled = readerFrames(path).map((f) => f.ts);
      const pushed: number[] = [];
      const r = openCaptureFile(path, { bufferSize: 1 << 16 });
      try {
        r.readPackets((_b, _o, _c, _w, ts) => pushed.push(ts), 1000);
      } finally {
        r.close();
      }
      for (const [name, got] of [['next()', pulled], ['readPackets()', pushed]] as const) {
        assert.equal(got.length, fracs.length, name);
        got.forEach((ts, i) => assert.ok(Math.abs(ts - tool[i]!) < 1e-6, `${name} record ${i} (fraction ${fracs[i]}): ${ts} vs tshark ${tool[i]}`));
      }
      // Out-of-range fractions up to 2^31 ns are what they say; above that they wrap (not the naive reading).
      assert.ok(Math.abs(pulled[7]! - (1_000_007 + (nanosecond ? -2.147483648 : -2.147483296))) < 1e-6);
    });
  }

  /** NRB body (one IPv4 record "host" + end of records) in the section's byte order. */
  function nrb(bigEndian: boolean): Buffer {
    const b = Buffer.alloc(20);
    const w16 = (v: number, o: number): number => (bigEndian ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o));
    w16(1, 0);
    w16(9, 2);
    Buffer.from([10, 0, 0, 1]).copy(b, 4);
    b.write('host\0', 8, 'latin1');
    return b; // bytes 13..15 padding, 16..19 nrb_record_end
  }

  it('pcapng with several sections, byte orders, link types and resolutions: reader agrees with tshark', { skip: noTshark }, () => {
    const r = rng(3);
    const sections: PcapngSection[] = [];
    const expected: Array<{ iface: number; wireLen: number; capLen: number; ns: bigint | null }> = [];
    const shapes: Array<{ bigEndian: boolean; interfaces: PcapngInterface[] }> = [
      { bigEndian: false, interfaces: [{ linkType: 1 }, { linkType: 113, tsresol: 3 }, { linkType: 101, tsresol: 9, snaplen: 100 }, { linkType: 1, tsresol: 0x80 | 20, tsoffset: 900_000 }] },
      { bigEndian: true, interfaces: [{ linkType: 1, tsresol: 9 }, { linkType: 228, tsresol: 0x80 | 20 }] },
      { bigEndian: false, interfaces: [{ linkType: 1, snaplen: 64 }] },
    ];
    for (const shape of shapes) {
      const blocks: PcapngBlock[] = [];
      for (let i = 0; i < 30; i++) {
        const iface = Math.floor(r() * shape.interfaces.length);
        const res = shape.interfaces[iface].tsresol;
        const unitsPerSec = res === undefined ? 1000000 : res & 0x80 ? 2 ** (res & 0x7f) : 10 ** res;
        const wireLen = 14 + Math.floor(r() * 1000);
        const capLen = r() < 0.3 ? 14 + Math.floor(r() * (wireLen - 14)) : wireLen;
        // Seconds small enough that a nanosecond is representable in float seconds (the writer's input).
        const sec = 1_000_000 + Math.floor(r() * 1000);
        const frac = Math.floor(r() * unitsPerSec);
        const kind = i % 10 === 9 ? 'spb' : i % 7 === 6 ? 'opb' : 'epb';
        if (kind === 'spb') {
          const snap = shape.interfaces[0].snaplen ?? 0;
          const spbCap = snap !== 0 ? Math.min(wireLen, snap) : wireLen;
          blocks.push({ kind, data: frame(spbCap, i), origLen: wireLen });
          expected.push({ iface: 0, wireLen, capLen: spbCap, ns: null });
        } else {
          blocks.push({ kind, iface, data: frame(capLen, i), origLen: wireLen, ts: sec + frac / unitsPerSec });
          // Exact nanoseconds of sec + frac/unitsPerSec, rounded (tshark prints 9 decimals).
          const ns = BigInt(sec) * 1000000000n + (BigInt(frac) * 1000000000n + BigInt(unitsPerSec) / 2n) / BigInt(unitsPerSec);
          expected.push({ iface, wireLen, capLen, ns });
        }
        if (i % 8 === 3) blocks.push({ kind: 'unknown', type: 5, body: Buffer.alloc(12) }); // ISB
        if (i % 11 === 4) blocks.push({ kind: 'unknown', type: 4, body: nrb(shape.bigEndian) });
        if (i % 13 === 5) blocks.push({ kind: 'unknown', type: 0x99, body: Buffer.alloc(7, 1) });
      }
      sections.push({ ...shape, blocks });
    }
    const path = join(dir, 'rich.pcapng');
    writePcapng(path, sections);
    const tool = tsharkFrames(path);
    assert.equal(tool.length, expected.length);
    const mine = readerFrames(path);
    assert.equal(mine.length, tool.length);
    tool.forEach((t, i) => {
      const e = expected[i];
      assert.equal(t.len, e.wireLen, `frame ${i} len`);
      assert.equal(t.capLen, e.capLen, `frame ${i} cap_len`);
      if (e.ns === null) assert.equal(t.time, '', `frame ${i}: an SPB has no timestamp`);
      else assert.ok(Math.abs(Number(epochNs(t.time) - e.ns)) <= 1, `frame ${i} time ${t.time} vs ${e.ns}`);
      // The reader against the tool.
      assert.equal(mine[i].iface, t.iface, `frame ${i} interface`);
      assert.equal(mine[i].wireLen, t.len);
      assert.equal(mine[i].capLen, t.capLen);
      if (t.time === '') assert.equal(mine[i].ts, 0);
      else assertTsClose(mine[i].ts, t.time, `frame ${i}`);
    });
  });

  for (const bigEndian of [false, true]) {
    it(`pcapng (${bigEndian ? 'big' : 'little'}-endian, one link type): tcpdump reads the written timestamps and lengths`, { skip: noTcpdump }, () => {
      // libpcap needs one link type and snaplen per file and converts (truncates) timestamps to µs;
      // interface 1 is in ns, so keep seconds small enough for float seconds to carry exact ns.
      const specs = makeSpecs(30, 1e6, 1_000_000, bigEndian ? 11 : 12);
      const blocks: PcapngBlock[] = specs.map((s, i) => ({ kind: i % 4 === 3 ? 'opb' : 'epb', iface: i % 2, data: frame(s.capLen, i), origLen: s.wireLen, ts: s.sec + s.frac / 1e6 }));
      const path = join(dir, `tcpdump-${bigEndian}.pcapng`);
      writePcapng(path, [{ bigEndian, interfaces: [{ linkType: 1 }, { linkType: 1, tsresol: 9 }], blocks }]);
      assert.deepEqual(tcpdumpFrames(path, false), specs.map((s) => ({ time: tsString(s.sec, s.frac, 6), len: s.wireLen })));
      const mine = readerFrames(path);
      assert.deepEqual(mine.map((m) => [m.iface, m.wireLen, Math.round(m.ts * 1e6)]), specs.map((s, i) => [i % 2, s.wireLen, s.sec * 1e6 + s.frac]));
    });
  }
});
