import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { CaptureFileError, openCaptureFile } from '../../src/capture/capture-file';
import { COMPRESSED_CHUNK } from '../../src/capture/compressed-source';
import { pcapBuffer, pcapngBuffer } from '../support/pcap-writer';
import type { PcapPacket } from '../support/pcap-writer';

const dir = mkdtempSync(join(tmpdir(), 'netmon-compressed-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, b: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, b);
  return p;
}

/** `n` packets of pseudo-random bytes (they do not compress: many compressed chunks), 60 to 1500 bytes. */
function packets(n: number): PcapPacket[] {
  let x = 12345;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const out: PcapPacket[] = [];
  for (let i = 0; i < n; i++) {
    const data = Buffer.alloc(60 + Math.floor(rnd() * 1440));
    for (let j = 0; j < data.length; j++) data[j] = Math.floor(rnd() * 256);
    out.push({ data, ts: 1_700_000_000 + i / 1000 });
  }
  return out;
}

/** What the reader hands out, packet by packet, until the end or damage (then `error` holds it). */
function readAll(path: string, bufferSize?: number): { data: Buffer[]; ts: number[]; error?: CaptureFileError } {
  const r = openCaptureFile(path, bufferSize !== undefined ? { bufferSize } : {});
  const data: Buffer[] = [];
  const ts: number[] = [];
  try {
    while (r.next()) {
      data.push(Buffer.from(r.buf.subarray(r.offset, r.offset + r.capLen)));
      ts.push(r.ts);
    }
  } catch (err) {
    if (!(err instanceof CaptureFileError)) throw err;
    return { data, ts, error: err };
  } finally {
    r.close();
  }
  return { data, ts };
}

const PKTS = packets(400);
const PCAP = pcapBuffer(PKTS, { linkType: 1 });

/** Both compressions, as their own tools write them (Node's zlib: gzip, and zstd at level 3). */
const KINDS = [
  { name: 'gzip', ext: 'gz', pack: (b: Buffer) => gzipSync(b) },
  { name: 'zstd', ext: 'zst', pack: (b: Buffer) => zstdCompressSync(b) },
] as const;

for (const k of KINDS) {
  describe(`${k.name}-compressed captures`, () => {
    it('reads a compressed pcap and pcapng packet for packet as written, across many compressed chunks', () => {
      const packed = k.pack(PCAP);
      assert.ok(packed.length > 10 * COMPRESSED_CHUNK, 'the test spans many compressed chunks');
      const ng = pcapngBuffer([{ interfaces: [{ linkType: 1 }], blocks: PKTS.map((p) => ({ kind: 'epb' as const, data: p.data, ts: p.ts })) }]);
      for (const [name, content, format] of [[`a.pcap.${k.ext}`, packed, 'pcap'], [`a.pcapng.${k.ext}`, k.pack(ng), 'pcapng']] as const) {
        for (const bufferSize of [undefined, 64]) {
          const p = file(name, content);
          const r = openCaptureFile(p);
          assert.equal(r.format, format);
          r.close();
          const got = readAll(p, bufferSize);
          assert.equal(got.error, undefined, name);
          assert.equal(got.data.length, PKTS.length, name);
          for (let i = 0; i < PKTS.length; i++) {
            assert.ok(got.data[i]!.equals(PKTS[i]!.data), `${name} packet ${i}`);
            assert.ok(Math.abs(got.ts[i]! - PKTS[i]!.ts) < 1e-6, `${name} time ${i}`);
          }
        }
      }
    });

    it('reads concatenated members or frames as one stream (split inside a packet record)', () => {
      const cut = 100_003;
      const p = file(`two.pcap.${k.ext}`, Buffer.concat([k.pack(PCAP.subarray(0, cut)), k.pack(PCAP.subarray(cut))]));
      const got = readAll(p);
      assert.equal(got.error, undefined);
      assert.equal(got.data.length, PKTS.length);
      assert.ok(got.data.every((d, i) => d.equals(PKTS[i]!.data)));
    });

    it('a file cut short: the packets before the cut, then damage naming it', () => {
      const packed = k.pack(PCAP);
      const p = file(`cut.pcap.${k.ext}`, packed.subarray(0, Math.floor(packed.length / 2)));
      const got = readAll(p);
      assert.ok(got.error !== undefined);
      assert.match(got.error.message, new RegExp(`: damaged capture at byte \\d+: the ${k.name} data stops before its end \\(the file was cut short\\)$`));
      // Every packet whose record lies wholly in what was inflated is read, and only those, in order.
      let end = 24;
      let whole = 0;
      while (whole < PKTS.length && end + 16 + PKTS[whole]!.data.length <= got.error.byteOffset) end += 16 + PKTS[whole++]!.data.length;
      assert.ok(whole > 100, `${whole} packets before the cut`);
      assert.equal(got.data.length, whole);
      assert.ok(got.data.every((d, i) => d.equals(PKTS[i]!.data)));
    });

    it('damaged compressed data and trailing garbage: the packets inflated before them, then damage', () => {
      const packed = Buffer.from(k.pack(PCAP));
      // zstd without its optional checksum: bytes damaged in literal data still decompress (to
      // wrong bytes), so only gzip's deflate data is damaged in the middle here.
      if (k.name === 'gzip') {
        // A run of 0xff bytes in the middle: data that cannot be decompressed somewhere after it.
        packed.fill(0xff, packed.length >> 1, (packed.length >> 1) + 64);
        const bad = readAll(file(`corrupt.pcap.${k.ext}`, packed));
        assert.ok(bad.error !== undefined);
        assert.match(bad.error.message, new RegExp(`damaged ${k.name} data in bytes \\d+-\\d+ of the compressed file \\(.+\\)$`));
        assert.ok(bad.data.length > 50 && bad.data.length < PKTS.length, `${bad.data.length} packets`);
        assert.ok(bad.data.every((d, i) => d.equals(PKTS[i]!.data)));
      }
      // Bytes after the last member or frame that are not another one: every packet, then the damage.
      const tail = readAll(file(`garbage.pcap.${k.ext}`, Buffer.concat([k.pack(PCAP), Buffer.from('junk after the compressed data')])));
      assert.equal(tail.data.length, PKTS.length);
      assert.ok(tail.error !== undefined);
      assert.equal(tail.error.byteOffset, PCAP.length);
      assert.match(tail.error.message, new RegExp(`damaged ${k.name} data`));
    });
  });
}
