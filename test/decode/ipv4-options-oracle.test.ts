/**
 * IPv4 options against tshark: frames with random option lists (source and record routes with
 * random pointers, every option Wireshark has a dissector for at random lengths, unknown options,
 * bogus lengths, NOP and EOL) are dissected by tshark; the packet's destination (tshark's
 * Destination column: the final hop of a valid source route) and whether its TCP header is
 * dissected (a too-short option ends the frame at IPv4) must equal what decodeFrame makes of them.
 * Skipped when tshark is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DECODE_OK, DecodeLayer } from '../../src/decode/decode-layer';
import { DecodedPacket } from '../../src/decode/packet';
import { decodeFrame } from '../../src/decode/decode-frame';
import { ETH, ethernet, ipv4, LT, prng, PROTO, randomIpv4, tcp } from '../support/frames';
import { hasTshark } from '../support/dns-tcp-oracle';
import { writePcap } from '../support/pcap-writer';

/** Option types with a Wireshark dissector, a few without, and the two one-byte ones. */
const TYPES = [130, 131, 68, 133, 134, 7, 136, 137, 11, 12, 82, 148, 149, 25, 0x9e, 0x5e, 1, 1, 0];

/** A random option list of at most 40 bytes (the caller pads it with EOL to a multiple of 4). */
function randomOptions(rand: () => number): Buffer {
  const int = (n: number): number => Math.floor(rand() * n);
  const out: number[] = [];
  const n = 1 + int(3);
  for (let k = 0; k < n && out.length < 40; k++) {
    const type = TYPES[int(TYPES.length)]!;
    if (type <= 1) {
      out.push(type);
      continue;
    }
    const room = 40 - out.length;
    if (room < 2) break;
    // Mostly lengths that fit, sometimes bogus ones (0, 1, past the header).
    const r = rand();
    const len = r < 0.06 ? int(2) : r < 0.1 ? room + 1 + int(4) : 2 + int(Math.min(room, 14) - 1);
    const body = Array.from({ length: Math.max(0, Math.min(len, room) - 2) }, () => int(256));
    if ((type === 131 || type === 137 || type === 7 || type === 68) && body.length > 0) {
      // Pointer: valid (4, 8, ... up to len + 1), before the first address, mid-address, past the end.
      const choices = [4, 4 + 4 * int(4), len + 1, len, 3, 5, int(256)];
      body[0] = choices[int(choices.length)]!;
    }
    if (type === 25 && body.length > 0) body[0] = ([0, 8, 3][int(3)]! << 4) | int(16);
    out.push(type, len, ...body);
  }
  return Buffer.from(out.slice(0, 40));
}

test('ipv4 options: destination and transport as tshark reads them', { skip: !hasTshark() }, () => {
  const rand = prng(4_001);
  const frames: Buffer[] = [];
  for (let i = 0; i < 2000; i++) {
    const options = randomOptions(rand);
    const l4 = tcp({ sport: 1024 + Math.floor(rand() * 60000), dport: 1024 + Math.floor(rand() * 60000), flags: 0x10 });
    frames.push(ethernet({ etherType: ETH.IPV4 }, ipv4({ src: randomIpv4(rand), dst: randomIpv4(rand), proto: PROTO.TCP, options }, l4)));
  }
  const dir = mkdtempSync(join(tmpdir(), 'netmon-ipopt-'));
  try {
    const file = join(dir, 'options.pcap');
    writePcap(file, frames.map((data, i) => ({ ts: 1700000000 + i, data })), { linkType: LT.ETHERNET });
    const out = execFileSync('tshark', ['-r', file, '-n', '-T', 'fields', '-e', '_ws.col.Destination', '-e', 'tcp.srcport'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = out.split('\n').filter((l) => l.length > 0);
    assert.equal(lines.length, frames.length);
    const p = new DecodedPacket();
    let routed = 0;
    let malformed = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      const [dst, sport] = lines[i]!.split('\t');
      const rc = decodeFrame(f, 0, f.length, f.length, 0, LT.ETHERNET, p);
      const a = p.addrs[4]!;
      const got = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
      const header = `${f[30]}.${f[31]}.${f[32]}.${f[33]}`;
      const msg = `frame ${i + 1}: options ${f.subarray(34, 14 + ((f[14]! & 15) << 2)).toString('hex')}; tshark ${lines[i]}`;
      assert.equal(got, dst, msg);
      if (dst !== header) routed++;
      if (sport === '') {
        malformed++;
        assert.equal(rc, DecodeLayer.IPV4, msg);
        assert.equal(p.l4Offset, -1, msg);
      } else {
        assert.equal(rc, DECODE_OK, msg);
        assert.equal(p.srcPort, Number(sport), msg);
      }
    }
    // The generator reached both behaviours often enough for the check to mean something.
    assert.ok(routed >= 50, `routed ${routed}`);
    assert.ok(malformed >= 50, `malformed ${malformed}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
