import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CaptureFileError, openCaptureFile } from '../../src/capture/capture-file';
import { pcapngBuffer, type PcapngBlock, type PcapngSection } from '../support/pcap-writer';
import { readAllPackets, type ReadPacket } from '../support/capture-read';

const dir = mkdtempSync(join(tmpdir(), 'netmon-pcapng-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(b: Buffer): string {
  const p = join(dir, `f${n++}.pcapng`);
  writeFileSync(p, b);
  return p;
}

type Got = ReadPacket;
/** Reads every packet with next(), having checked that readPackets() reads the same. */
const readAll = readAllPackets;

function bytes(len: number, seed: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = (seed * 13 + i * 5) & 0xff;
  return b;
}

/** Interface Statistics Block body (interface 0, timestamp 0, no options) and a Name Resolution Block body. */
const ISB_BODY = Buffer.alloc(12);
const NRB_BODY = Buffer.from('0100080a00000102686f73740000000000000000', 'hex');

/** Four interfaces with different link types and resolutions: default µs, ms, ns, 2^-20 s (+ offset). */
function richSection(bigEndian: boolean): PcapngSection {
  return {
    bigEndian,
    interfaces: [
      { linkType: 1 },
      { linkType: 113, tsresol: 3 },
      { linkType: 101, tsresol: 9, snaplen: 65535 },
      { linkType: 276, tsresol: 0x80 | 20, tsoffset: 1600000000 },
    ],
    blocks: [
      { kind: 'epb', iface: 0, data: bytes(60, 1), ts: 1700000000.000001 },
      { kind: 'epb', iface: 1, data: bytes(61, 2), ts: 1700000000.123, origLen: 1000 },
      { kind: 'unknown', type: 5, body: ISB_BODY },
      { kind: 'epb', iface: 2, data: bytes(1514, 3), ts: 1700000000.999999999 },
      { kind: 'unknown', type: 4, body: NRB_BODY },
      { kind: 'epb', iface: 3, data: bytes(3, 4), ts: 1700000005.5 + 3 / 1048576 },
      { kind: 'opb', iface: 1, data: bytes(0, 5), ts: 1.5 },
      { kind: 'unknown', type: 0x00000bad, body: bytes(9, 6) },
      { kind: 'unknown', type: 0x40000bad, body: bytes(12, 7) },
      { kind: 'unknown', type: 0x12345678, body: Buffer.alloc(0) },
      { kind: 'epb', iface: 0, data: bytes(100, 8), ts: 2000000000 },
    ],
  };
}

interface Want { data: Buffer; wireLen: number; ts: number; linkType: number; iface: number }

/** What each packet block should read as, from the section description (not from the reader). */
function expected(sections: readonly PcapngSection[]): Want[] {
  const out: Want[] = [];
  for (const s of sections) {
    for (const b of s.blocks as PcapngBlock[]) {
      if (b.kind === 'unknown') continue;
      const iface = b.kind === 'spb' ? 0 : (b.iface ?? 0);
      out.push({ data: b.data, wireLen: b.origLen ?? b.data.length, ts: b.kind === 'spb' ? 0 : (b.ts ?? 0), linkType: s.interfaces[iface].linkType, iface });
    }
  }
  return out;
}

function assertSame(got: Got[], want: Want[], tol = 1e-6): void {
  assert.equal(got.length, want.length);
  want.forEach((w, i) => {
    assert.deepEqual(got[i].data, w.data, `packet ${i} bytes`);
    assert.equal(got[i].wireLen, w.wireLen, `packet ${i} wireLen`);
    assert.ok(Math.abs(got[i].ts - w.ts) < tol, `packet ${i} ts ${got[i].ts} vs ${w.ts}`);
    assert.equal(got[i].linkType, w.linkType, `packet ${i} linkType`);
    assert.equal(got[i].iface, w.iface, `packet ${i} interface`);
  });
}

/** Offsets of each block of a writer-made file, walking block lengths in each section's byte order. */
function blockOffsets(b: Buffer): number[] {
  const offs: number[] = [];
  let le = true;
  for (let o = 0; o < b.length; o += le ? b.readUInt32LE(o + 4) : b.readUInt32BE(o + 4)) {
    if (b.readUInt32LE(o) === 0x0a0d0d0a) le = b.readUInt32LE(o + 8) === 0x1a2b3c4d;
    offs.push(o);
  }
  return offs;
}

describe('pcapng reader', () => {
  for (const bigEndian of [false, true]) {
    it(`reads interfaces with different link types and resolutions (${bigEndian ? 'big' : 'little'}-endian), skipping other blocks`, () => {
      const s = [richSection(bigEndian)];
      const p = file(pcapngBuffer(s));
      const { pkts, err } = readAll(p);
      assert.equal(err, undefined);
      assertSame(pkts, expected(s));
      const r = openCaptureFile(p);
      assert.equal(r.format, 'pcapng');
      r.close();
    });
  }

  it('reads several sections with different byte orders; interface ids restart per section', () => {
    const s: PcapngSection[] = [
      richSection(false),
      { bigEndian: true, interfaces: [{ linkType: 228 }], blocks: [{ kind: 'epb', data: bytes(20, 9), ts: 3.25 }] },
      { interfaces: [], blocks: [{ kind: 'unknown', type: 5, body: ISB_BODY }] },
      { interfaces: [{ linkType: 1, tsresol: 6 }, { linkType: 0 }], blocks: [{ kind: 'epb', iface: 1, data: bytes(44, 10), ts: 4 }] },
    ];
    const { pkts, err } = readAll(file(pcapngBuffer(s)), 100);
    assert.equal(err, undefined);
    assertSame(pkts, expected(s));
  });

  it('reads Simple Packet Blocks: captured length is min(original length, snaplen of interface 0, block space)', () => {
    const s: PcapngSection[] = [
      {
        interfaces: [{ linkType: 1, snaplen: 42 }, { linkType: 105 }],
        blocks: [
          // Cut by snaplen 42; the block holds 44 bytes (padding), so only the snaplen gives 42.
          { kind: 'spb', data: bytes(42, 1), origLen: 64 },
          { kind: 'spb', data: bytes(33, 2) }, // shorter than snaplen: origLen 33
        ],
      },
      { bigEndian: true, interfaces: [{ linkType: 101 }], blocks: [{ kind: 'spb', data: bytes(61, 3) }] }, // snaplen 0 = no limit
    ];
    const { pkts, err } = readAll(file(pcapngBuffer(s)));
    assert.equal(err, undefined);
    assertSame(pkts, expected(s));
    // A broken SPB announcing more than it holds is cut to its block (61 bytes + 3 padding = 64).
    const b = pcapngBuffer([{ interfaces: [{ linkType: 1 }], blocks: [{ kind: 'spb', data: bytes(61, 3), origLen: 1000 }] }]);
    const r = readAll(file(b));
    assert.equal(r.err, undefined);
    assert.equal(r.pkts[0].capLen, 64);
    assert.equal(r.pkts[0].wireLen, 1000);
  });

  it('handles blocks straddling refills and blocks bigger than the buffer', () => {
    const blocks: PcapngBlock[] = [];
    for (let i = 0; i < 200; i++) {
      blocks.push({ kind: i % 3 === 0 ? 'opb' : 'epb', iface: i % 2, data: bytes((i * 53) % 900, i), ts: 1600000000 + i / 3 });
      if (i % 17 === 0) blocks.push({ kind: 'unknown', type: 0x99, body: bytes(i * 11, i) });
    }
    const s: PcapngSection[] = [{ interfaces: [{ linkType: 1 }, { linkType: 1, tsresol: 9 }], blocks }];
    const p = file(pcapngBuffer(s));
    for (const size of [64, 200, 5000]) {
      const { pkts, err } = readAll(p, size);
      assert.equal(err, undefined);
      assertSame(pkts, expected(s));
    }
  });

  it('reports a file cut anywhere: earlier packets delivered, damage at the cut block', () => {
    const s: PcapngSection[] = [
      {
        interfaces: [{ linkType: 1 }],
        blocks: [
          { kind: 'epb', data: bytes(10, 1), ts: 1 },
          { kind: 'unknown', type: 5, body: ISB_BODY },
          { kind: 'spb', data: bytes(7, 2) },
          { kind: 'opb', data: bytes(5, 3), ts: 2 },
        ],
      },
      { bigEndian: true, interfaces: [{ linkType: 1 }], blocks: [{ kind: 'epb', data: bytes(9, 4), ts: 3 }] },
    ];
    const full = pcapngBuffer(s);
    const offsets = [...blockOffsets(full), full.length];
    const packetBlockEnds = [2, 4, 5, 8].map((i) => offsets[i + 1]); // blocks: SHB IDB EPB ISB SPB OPB SHB IDB EPB
    const path = join(dir, 'cut.pcapng');
    for (let len = 4; len < full.length; len++) {
      writeFileSync(path, full.subarray(0, len));
      const { pkts, err } = readAll(path, 64);
      assert.equal(pkts.length, packetBlockEnds.filter((e) => e <= len).length, `cut at ${len}`);
      if (offsets.includes(len)) {
        assert.equal(err, undefined, `cut at block boundary ${len}`);
      } else {
        assert.ok(err instanceof CaptureFileError, `cut at ${len}`);
        assert.equal(err.byteOffset, Math.max(...offsets.filter((o) => o < len)), `cut at ${len}`);
        assert.match(err.reason, /^truncated block/);
      }
    }
  });

  function damaged(mutate: (b: Buffer, offs: number[]) => void, blocks?: PcapngBlock[]): { pkts: Got[]; err: CaptureFileError; offs: number[] } {
    const b = pcapngBuffer([
      { interfaces: [{ linkType: 1 }, { linkType: 1 }], blocks: blocks ?? [{ kind: 'epb', data: bytes(10, 1), ts: 1 }, { kind: 'epb', data: bytes(10, 2), ts: 2 }, { kind: 'epb', data: bytes(10, 3), ts: 3 }] },
    ]);
    const offs = blockOffsets(b);
    mutate(b, offs);
    const { pkts, err } = readAll(file(b));
    assert.ok(err instanceof CaptureFileError, 'expected CaptureFileError');
    return { pkts, err, offs };
  }

  it('reports damaged block lengths at the damaged block', () => {
    // offs: 0 SHB, 1 IDB, 2 IDB, 3..5 EPBs. Damage the second EPB (index 4).
    for (const [what, bad] of [['not a multiple of 4', 46], ['below 12', 8], ['beyond the file', 4096], ['absurd', 0xfffffffc]] as const) {
      const { pkts, err, offs } = damaged((b, o) => b.writeUInt32LE(bad, o[4] + 4));
      assert.equal(pkts.length, 1, what);
      assert.equal(err.byteOffset, offs[4], what);
    }
    const t = damaged((b, o) => b.writeUInt32LE(40, o[5] - 4));
    assert.equal(t.pkts.length, 1);
    assert.equal(t.err.byteOffset, t.offs[4]);
    assert.match(t.err.reason, /trailing length 40 differs from its leading length 44/);
  });

  it('reports a packet on an undefined interface, and an EPB whose caplen overruns it', () => {
    const u = damaged(() => undefined, [{ kind: 'epb', data: bytes(10, 1) }, { kind: 'epb', iface: 2, data: bytes(10, 2) }]);
    assert.equal(u.pkts.length, 1);
    assert.equal(u.err.byteOffset, u.offs[4]);
    assert.match(u.err.message, /interface 2/);
    const c = damaged((b, o) => b.writeUInt32LE(17, o[4] + 20));
    assert.equal(c.pkts.length, 1);
    assert.equal(c.err.byteOffset, c.offs[4]);
    const spb = readAll(file(pcapngBuffer([{ interfaces: [], blocks: [{ kind: 'spb', data: bytes(4, 1) }] }])));
    assert.ok(spb.err instanceof CaptureFileError);
    assert.equal(spb.err.byteOffset, 28);
  });

  it('reports a bad byte-order magic, an unsupported version and a malformed interface option', () => {
    const bom = damaged((b, o) => b.writeUInt32LE(0x11223344, o[0] + 8));
    assert.equal(bom.pkts.length, 0);
    assert.equal(bom.err.byteOffset, 0);
    assert.match(bom.err.reason, /byte-order magic/);
    const ver = damaged((b, o) => b.writeUInt16LE(2, o[0] + 12));
    assert.equal(ver.err.byteOffset, 0);
    assert.match(ver.err.reason, /version 2\.0/);
    const opt = pcapngBuffer([{ interfaces: [{ linkType: 1, tsresol: 9 }], blocks: [] }]);
    opt.writeUInt16LE(200, 28 + 16 + 2); // if_tsresol option length overruns the IDB
    const r = readAll(file(opt));
    assert.ok(r.err instanceof CaptureFileError);
    assert.equal(r.err.byteOffset, 28);
  });
});
