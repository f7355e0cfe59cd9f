import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CaptureFileError, openCaptureFile } from '../../src/capture/capture-file';
import { pcapBuffer, type PcapPacket } from '../support/pcap-writer';
import { readAllPackets, type ReadPacket } from '../support/capture-read';

const dir = mkdtempSync(join(tmpdir(), 'netmon-pcap-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(bytes: Buffer): string {
  const p = join(dir, `f${n++}.pcap`);
  writeFileSync(p, bytes);
  return p;
}

type Got = ReadPacket;
/** Reads every packet with next(), having checked that readPackets() reads the same. */
const readAll = readAllPackets;

/** Deterministic bytes so that every packet differs. */
function bytes(len: number, seed: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

const TS = [1700000000.000001, 1700000000.999999, 0, 4294967295.5, 1234567890.25, 1700000001.000123];
const packets: PcapPacket[] = TS.map((ts, i) => ({ data: bytes([60, 1514, 0, 1, 98, 300][i], i), ts, origLen: i === 4 ? 1500 : undefined }));

/** Offsets of every record in a pcap file written by pcapBuffer, by summing lengths. */
function recordOffsets(pkts: readonly PcapPacket[], headerLen = 16): number[] {
  const offs: number[] = [];
  let o = 24;
  for (const p of pkts) {
    offs.push(o);
    o += headerLen + p.data.length;
  }
  offs.push(o);
  return offs;
}

function assertSame(got: Got[], want: readonly PcapPacket[], linkType: number): void {
  assert.equal(got.length, want.length);
  want.forEach((p, i) => {
    assert.deepEqual(got[i].data, p.data, `packet ${i} bytes`);
    assert.equal(got[i].capLen, p.data.length);
    assert.equal(got[i].wireLen, p.origLen ?? p.data.length);
    assert.ok(Math.abs(got[i].ts - p.ts) < 5e-7, `packet ${i} ts ${got[i].ts} vs ${p.ts}`);
    assert.equal(got[i].linkType, linkType);
    assert.equal(got[i].iface, 0);
  });
}

describe('classic pcap reader', () => {
  for (const bigEndian of [false, true]) {
    for (const nanosecond of [false, true]) {
      it(`reads ${bigEndian ? 'big' : 'little'}-endian ${nanosecond ? 'ns' : 'µs'} files`, () => {
        const p = file(pcapBuffer(packets, { linkType: 1, bigEndian, nanosecond }));
        const r = openCaptureFile(p);
        assert.equal(r.format, 'pcap');
        r.close();
        const { pkts, err } = readAll(p);
        assert.equal(err, undefined);
        assertSame(pkts, packets, 1);
      });
    }
  }

  it('keeps nanoseconds to float precision', () => {
    const { pkts } = readAll(file(pcapBuffer([{ data: bytes(10, 1), ts: 1.000000001 }], { linkType: 1, nanosecond: true })));
    assert.ok(Math.abs(pkts[0].ts - 1.000000001) < 1e-12);
  });

  it('takes the link type from the low 16 bits of the network field (FCS bits above)', () => {
    const { pkts } = readAll(file(pcapBuffer(packets.slice(0, 2), { linkType: 0x14000000 | 105 })));
    assert.equal(pkts[0].linkType, 105);
  });

  it('handles records straddling buffer refills and records bigger than the buffer', () => {
    const many: PcapPacket[] = [];
    for (let i = 0; i < 300; i++) many.push({ data: bytes((i * 37) % 700, i), ts: 1600000000 + i / 7 });
    const p = file(pcapBuffer(many, { linkType: 1 }));
    for (const size of [64, 100, 1000, 4096]) {
      const { pkts, err } = readAll(p, size);
      assert.equal(err, undefined);
      assertSame(pkts, many, 1);
    }
  });

  it('accepts records above 256 KiB when the file snaplen allows them', () => {
    const big: PcapPacket[] = [{ data: bytes(60, 1), ts: 1 }, { data: bytes(300000, 2), ts: 2 }, { data: bytes(70, 3), ts: 3 }];
    const { pkts, err } = readAll(file(pcapBuffer(big, { linkType: 1, snaplen: 1 << 20 })), 4096);
    assert.equal(err, undefined);
    assertSame(pkts, big, 1);
  });

  it('rejects a captured length above the maximum as damage at that record', () => {
    const big: PcapPacket[] = [{ data: bytes(60, 1), ts: 1 }, { data: bytes(300000, 2), ts: 2 }];
    const p = file(pcapBuffer(big, { linkType: 1, snaplen: 65535 }));
    const { pkts, err } = readAll(p);
    assert.equal(pkts.length, 1);
    assert.ok(err instanceof CaptureFileError);
    assert.equal(err.byteOffset, 24 + 16 + 60);
    assert.equal(err.message, `${p}: damaged capture at byte 100: ${err.reason}`);
    assert.match(err.reason, /300000/);
  });

  it('tolerates caplen > origlen, as tcpdump does', () => {
    const odd: PcapPacket[] = [{ data: bytes(64, 1), ts: 1, origLen: 10 }, { data: bytes(64, 2), ts: 2, origLen: 0 }];
    const { pkts, err } = readAll(file(pcapBuffer(odd, { linkType: 1 })));
    assert.equal(err, undefined);
    assertSame(pkts, odd, 1);
  });

  it('swaps caplen and len back in version 2.2 files, and in 2.3 files when caplen > len (as libpcap)', () => {
    for (const minor of [2, 3]) {
      const b = pcapBuffer([{ data: bytes(40, 1), ts: 1, origLen: 100 }], { linkType: 1 });
      b.writeUInt16LE(minor, 6);
      // Old writers put len where caplen belongs and vice versa.
      b.writeUInt32LE(100, 24 + 8);
      b.writeUInt32LE(40, 24 + 12);
      const { pkts, err } = readAll(file(b));
      assert.equal(err, undefined, `minor ${minor}`);
      assert.equal(pkts[0].capLen, 40);
      assert.equal(pkts[0].wireLen, 100);
    }
  });

  it('reads "modified" pcap (magic a1b2cd34, 24-byte record headers)', () => {
    const std = pcapBuffer(packets, { linkType: 1 });
    const offs = recordOffsets(packets);
    const parts = [std.subarray(0, 24)];
    for (let i = 0; i < packets.length; i++) {
      parts.push(std.subarray(offs[i], offs[i] + 16), Buffer.from([1, 0, 0, 0, 8, 0, 0, 0]), std.subarray(offs[i] + 16, offs[i + 1]));
    }
    const b = Buffer.concat(parts);
    b.writeUInt32LE(0xa1b2cd34, 0);
    const { pkts, err } = readAll(file(b));
    assert.equal(err, undefined);
    assertSame(pkts, packets, 1);
  });

  it('reports a file cut anywhere: earlier packets delivered, damage at the cut record', () => {
    const small = packets.filter((p) => p.data.length < 400);
    const full = pcapBuffer(small, { linkType: 1, bigEndian: true });
    const offs = recordOffsets(small);
    const path = join(dir, 'cut.pcap');
    for (let len = 4; len < full.length; len++) {
      writeFileSync(path, full.subarray(0, len));
      const { pkts, err } = readAll(path, 64);
      const complete = offs.filter((o, i) => i > 0 && o <= len).length;
      assert.equal(pkts.length, complete, `cut at ${len}`);
      if (len < 24) {
        assert.ok(err instanceof CaptureFileError, `cut at ${len}`);
        assert.equal(err.byteOffset, 0);
      } else if (offs.includes(len)) {
        assert.equal(err, undefined, `cut at record boundary ${len}`);
      } else {
        assert.ok(err instanceof CaptureFileError, `cut at ${len}`);
        assert.equal(err.byteOffset, offs[complete], `cut at ${len}`);
        assert.match(err.reason, /^truncated record/);
      }
    }
  });

  it('reports an archaic version as damage', () => {
    const b = pcapBuffer([], { linkType: 1 });
    b.writeUInt16LE(1, 4);
    assert.throws(() => openCaptureFile(file(b)), (e: unknown) => e instanceof CaptureFileError && /version 1\.4/.test(e.message));
  });

  it('tracks the file position', () => {
    const b = pcapBuffer(packets.slice(0, 2), { linkType: 1 });
    const r = openCaptureFile(file(b), { bufferSize: 64 });
    assert.equal(r.position, 24);
    assert.ok(r.next());
    assert.equal(r.position, 24 + 16 + 60);
    assert.ok(r.next());
    assert.equal(r.position, b.length);
    assert.equal(r.next(), false);
    assert.equal(r.next(), false);
    r.close();
    r.close();
  });
});
