import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ETH, ethernet, ipv4, ipv6, prng, PROTO, tcp, udp } from '../support/frames';
import { runNetmon } from '../support/netmon-cli';
import { pcapBuffer, pcapngBuffer } from '../support/pcap-writer';

const dir = mkdtempSync(join(tmpdir(), 'netmon-damaged-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Captures damaged the way real ones are (cut anywhere, bytes overwritten in headers, records and
 * blocks), replayed end to end with named filters: every run ends with 0 (the damage was only in packet
 * contents), 1 (damaged file reported) or 2 (not a capture), within the time limit, and never with an
 * internal error or a stack trace.
 */
test('120 randomly damaged pcap and pcapng captures replay without crash, hang or stack trace', () => {
  const rand = prng(11);
  const frames = Array.from({ length: 40 }, (_, i) =>
    i % 3 === 0
      ? ethernet({ etherType: ETH.IPV6 }, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: PROTO.UDP, ext: [{ type: 0 }] }, udp({ sport: 53, dport: 1000 + i }, Buffer.alloc(i))))
      : ethernet({ etherType: ETH.IPV4 }, ipv4({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.TCP, mf: i % 7 === 0 }, tcp({ sport: 80, dport: 2000 + i, flags: 0x12 }, Buffer.alloc(i * 3)))),
  );
  const packets = frames.map((data, i) => ({ data, ts: 1_700_000_000 + i / 10 }));
  const originals = [
    pcapBuffer(packets, { linkType: 1 }),
    pcapBuffer(packets, { linkType: 1, bigEndian: true, nanosecond: true }),
    pcapngBuffer([{ interfaces: [{ linkType: 1 }, { linkType: 101 }], blocks: packets.map((p) => ({ kind: 'epb' as const, iface: 0, data: p.data, ts: p.ts })) }]),
  ];
  const cfg = join(dir, 'filters.yaml');
  writeFileSync(cfg, 'filters:\n  web: tcp port 80\n  dns: udp port 53\n  frag: ip[6:2] & 0x1fff != 0\n  big: greater 100\n');
  const outcomes = new Map<number, number>();
  for (let i = 0; i < 120; i++) {
    const b = Buffer.from(originals[i % originals.length]!);
    let damaged: Buffer = b;
    if (rand() < 0.3) damaged = b.subarray(0, Math.floor(rand() * b.length));
    else for (let k = 1 + Math.floor(rand() * 40); k > 0; k--) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    const file = join(dir, `d${i}.${i % 3 === 2 ? 'pcapng' : 'pcap'}`);
    writeFileSync(file, damaged);
    const r = runNetmon(['replay', file, '--config', cfg, '--log-level', 'warn'], 20_000);
    assert.ok(r.code === 0 || r.code === 1 || r.code === 2, `d${i}: exit ${r.code}\n${r.stderr.slice(0, 500)}`);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `d${i}: ${r.stderr.slice(0, 500)}`);
    if (r.code === 1) assert.match(r.stderr, /damaged capture at byte \d+/);
    outcomes.set(r.code!, (outcomes.get(r.code!) ?? 0) + 1);
  }
  assert.ok((outcomes.get(1) ?? 0) > 0 && (outcomes.get(0) ?? 0) > 0, `a mix of outcomes: ${JSON.stringify([...outcomes])}`);
});
