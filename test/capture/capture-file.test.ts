import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { CaptureFileError, CaptureFileOpenError, NotACaptureFileError, openCaptureFile } from '../../src/capture/capture-file';
import { pcapBuffer, pcapngBuffer } from '../support/pcap-writer';

const dir = mkdtempSync(join(tmpdir(), 'netmon-capture-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, b: Buffer | string): string {
  const p = join(dir, name);
  writeFileSync(p, b);
  return p;
}

describe('openCaptureFile', () => {
  it('sniffs the format from the magic number, not the file name', () => {
    const ng = file('really-pcapng.pcap', pcapngBuffer([{ interfaces: [{ linkType: 1 }], blocks: [{ kind: 'epb', data: Buffer.alloc(20), ts: 1 }] }]));
    const pc = file('really-pcap.pcapng', pcapBuffer([{ data: Buffer.alloc(20), ts: 1 }], { linkType: 1 }));
    for (const [p, fmt] of [[ng, 'pcapng'], [pc, 'pcap']] as const) {
      const r = openCaptureFile(p);
      assert.equal(r.format, fmt);
      assert.equal(r.path, p);
      assert.ok(r.next());
      assert.equal(r.capLen, 20);
      assert.equal(r.next(), false);
      r.close();
    }
  });

  it('rejects an empty file with a clear message', () => {
    const p = file('empty.pcap', '');
    assert.throws(() => openCaptureFile(p), (e: unknown) => e instanceof NotACaptureFileError && e.path === p && e.message === `${p}: empty file, not a pcap or pcapng capture`);
  });

  it('rejects files that are not captures, naming their first bytes', () => {
    const cases: Array<[string, Buffer | string, RegExp]> = [
      ['text.pcap', 'hello world, not a capture', /: not a pcap or pcapng capture \(starts with 0x68656c6c6f20776f…\)$/],
      ['two-bytes', Buffer.from([0xa1, 0xb2]), /: not a pcap or pcapng capture \(starts with 0xa1b2\)$/],
      ['text.gz', gzipSync('hello world, not a capture'), /: not a pcap or pcapng capture \(gzip-compressed; decompressed, it starts with 0x68656c6c6f20776f…\)$/],
      ['empty.gz', gzipSync(Buffer.alloc(0)), /: gzip-compressed empty file, not a pcap or pcapng capture$/],
      ['text.zst', zstdCompressSync('hello world, not a capture'), /: not a pcap or pcapng capture \(zstd-compressed; decompressed, it starts with 0x68656c6c6f20776f…\)$/],
      // An LZ4 frame header (magic, FLG, BD, header checksum) and nothing more: named, not read.
      ['capture.pcap.lz4', Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0, 0, 0, 0]), /starts with 0x04224d186440a700…; it looks LZ4-compressed: decompress it first \(lz4 -d\)\)$/],
    ];
    for (const [name, content, re] of cases) {
      const p = file(name, content);
      assert.throws(() => openCaptureFile(p), (e: unknown) => e instanceof NotACaptureFileError && e.message.startsWith(`${p}: `) && re.test(e.message), name);
    }
  });

  it('reports a missing file and a directory without a stack trace in the message', () => {
    const missing = join(dir, 'does-not-exist.pcap');
    assert.throws(
      () => openCaptureFile(missing),
      (e: unknown) => e instanceof CaptureFileOpenError && e.errno === 'ENOENT' && e.message === `${missing}: cannot read capture file: no such file or directory (ENOENT)`,
    );
    const d = join(dir, 'a-dir');
    mkdirSync(d);
    assert.throws(() => openCaptureFile(d), (e: unknown) => e instanceof CaptureFileOpenError && e.errno === 'EISDIR' && /is a directory/.test(e.message));
  });

  it('reports a pcap file header cut short as damage at byte 0', () => {
    const p = file('short.pcap', pcapBuffer([], { linkType: 1 }).subarray(0, 10));
    assert.throws(() => openCaptureFile(p), (e: unknown) => e instanceof CaptureFileError && e.byteOffset === 0 && e.message === `${p}: damaged capture at byte 0: ${e.reason}`);
  });

  it('all errors carry the NETMON_ERR_CAPTURE_FILE code', () => {
    for (const p of [join(dir, 'nope'), file('e2', ''), file('s2', pcapBuffer([], { linkType: 1 }).subarray(0, 10))]) {
      assert.throws(() => openCaptureFile(p), (e: unknown) => (e as { code?: string }).code === 'NETMON_ERR_CAPTURE_FILE');
    }
  });
});
