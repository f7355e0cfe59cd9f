/**
 * IPv6 routing headers and Home Address options against tshark: frames with random extension
 * headers (routing types 0, 2, 3, 4, 5, 6 and unknown ones with random lengths, Segments Left and
 * contents; options headers with Home Address options of random lengths among padding and unknown
 * options) are dissected by tshark; the packet's source and destination (tshark's Source and
 * Destination columns, which its conversations and TCP streams use) and whether its TCP header is
 * dissected (Wireshark throws on a routing header too short for its type) must equal what
 * decodeFrame makes of them. Skipped when tshark is not installed.
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
import { ipv6Text } from '../../src/flow/ip-text';
import { ETH, ethernet, ipv6Bytes, LT, prng, PROTO, randomIpv6, tcp } from '../support/frames';
import { hasTshark } from '../support/dns-tcp-oracle';
import { writePcap } from '../support/pcap-writer';

type Rand = () => number;

/** `n` random bytes, with a share of zero bytes (RPL and compact SIDs stop at zero). */
function bytes(rand: Rand, n: number): number[] {
  return Array.from({ length: n }, () => (rand() < 0.3 ? 0 : Math.floor(rand() * 256)));
}

/** A routing header (next header `nh`) of a random type, length, Segments Left and contents. */
function routingHeader(rand: Rand, nh: number): Buffer {
  const int = (n: number): number => Math.floor(rand() * n);
  const type = [0, 0, 2, 2, 3, 3, 3, 4, 4, 4, 5, 6, 1, 253][int(14)]!;
  const hlen = rand() < 0.8 ? int(7) : int(12);
  const segleft = [0, 1, 1, 2, 3, int(256)][int(6)]!;
  const body = bytes(rand, ((hlen + 1) << 3) - 4);
  if (type === 3) {
    body[0] = (int(16) << 4) | int(16); // CmprI, CmprE
    body[1] = rand() < 0.6 ? 0 : int(16) << 4; // Pad
    body[2] = 0;
    body[3] = 0;
  } else if (type === 4) {
    body[0] = rand() < 0.7 ? Math.max(0, (hlen >> 1) - 1) : int(6); // Last Entry
  } else if (type === 5 || type === 6) {
    for (let i = 0; i < body.length; i++) if (rand() < 0.4) body[i] = 0;
  }
  return Buffer.from([nh, hlen, type, segleft, ...body]);
}

/** Option types with a Wireshark dissector (each read its own way), experimental and unknown ones. */
const OPTIONS = [0x04, 0x05, 0xc2, 0x63, 0x30, 0x41, 0xee, 0x0f, 0x26, 0x31, 0x07, 0x08, 0x8c, 0x6d, 0x8b, 0x8a, 0x1e, 0x99];

/**
 * A hop-by-hop or destination options header (padded to 8 bytes) with Home Address options among
 * padding and other options of random lengths: mostly ones that fit, sometimes ones that run past
 * the header or the packet (Wireshark reads options past their header's end).
 */
function optionsHeader(rand: Rand, nh: number): Buffer {
  const int = (n: number): number => Math.floor(rand() * n);
  const out: number[] = [];
  const n = 1 + int(4);
  for (let k = 0; k < n; k++) {
    const r = rand();
    if (r < 0.15) {
      out.push(0); // Pad1
      continue;
    }
    const type = r < 0.25 ? 1 : r < 0.6 ? 0xc9 : OPTIONS[int(OPTIONS.length)]!;
    const q = rand();
    const len = type === 0xc9 && q < 0.6 ? 16 : q < 0.93 ? int(20) : int(256);
    const body = bytes(rand, Math.min(len, 24));
    if (type === 0x26 && body.length > 0) body[0] = ([0, 8, 3][int(3)]! << 4) | int(16);
    if (type === 0x31 && body.length > 1) body[1] = int(4);
    out.push(type, len, ...(type === 1 ? body.map(() => 0) : body));
  }
  const total = Math.ceil((out.length + 2) / 8) * 8;
  while (out.length + 2 < total) out.push(0);
  return Buffer.from([nh, total / 8 - 1, ...out]);
}

function frame(rand: Rand): Buffer {
  const headers: { type: number; make: (nh: number) => Buffer }[] = [];
  const r = rand();
  if (r < 0.15) headers.push({ type: 0, make: (nh) => optionsHeader(rand, nh) });
  if (r < 0.85) headers.push({ type: 43, make: (nh) => routingHeader(rand, nh) });
  if (r > 0.6) headers.push({ type: 60, make: (nh) => optionsHeader(rand, nh) });
  if (rand() < 0.1) headers.push({ type: 43, make: (nh) => routingHeader(rand, nh) });
  const ext: Buffer[] = [];
  for (let i = 0; i < headers.length; i++) ext.push(headers[i]!.make(i + 1 < headers.length ? headers[i + 1]!.type : PROTO.TCP));
  const l4 = tcp({ sport: 1024 + Math.floor(rand() * 60000), dport: 1024 + Math.floor(rand() * 60000), flags: 0x10 });
  const payload = Buffer.concat([...ext, l4]);
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(payload.length, 4);
  h[6] = headers.length > 0 ? headers[0]!.type : PROTO.TCP;
  h[7] = 64;
  ipv6Bytes(randomIpv6(rand)).copy(h, 8);
  ipv6Bytes(randomIpv6(rand)).copy(h, 24);
  return ethernet({ etherType: ETH.IPV6 }, Buffer.concat([h, payload]));
}

/** One text per address (tshark writes ::a.b.c.d for IPv4-compatible addresses, netmon hex). */
function canonical(text: string): string {
  return new URL(`http://[${text}]/`).hostname;
}

test('ipv6 routing headers and home addresses: endpoints and transport as tshark reads them', { skip: !hasTshark() }, () => {
  const rand = prng(6_043);
  const frames: Buffer[] = [];
  for (let i = 0; i < 3000; i++) frames.push(frame(rand));
  const dir = mkdtempSync(join(tmpdir(), 'netmon-ipv6ext-'));
  try {
    const file = join(dir, 'ext.pcap');
    writePcap(file, frames.map((data, i) => ({ ts: 1700000000 + i, data })), { linkType: LT.ETHERNET });
    const out = execFileSync('tshark', ['-r', file, '-n', '-T', 'fields', '-e', '_ws.col.Source', '-e', '_ws.col.Destination', '-e', 'tcp.srcport'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 });
    const lines = out.split('\n').filter((l) => l.length > 0);
    assert.equal(lines.length, frames.length);
    const p = new DecodedPacket();
    let routed = 0;
    let homed = 0;
    let malformed = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      const [src, dst, sport] = lines[i]!.split('\t');
      const rc = decodeFrame(f, 0, f.length, f.length, 0, LT.ETHERNET, p);
      const a = p.addrs;
      const msg = `frame ${i + 1}: ${f.subarray(14).toString('hex')}; tshark ${lines[i]}`;
      assert.equal(canonical(ipv6Text(a[0]!, a[1]!, a[2]!, a[3]!)), canonical(src!), msg);
      assert.equal(canonical(ipv6Text(a[4]!, a[5]!, a[6]!, a[7]!)), canonical(dst!), msg);
      if (!f.subarray(38, 54).equals(ipv6Bytes(dst!))) routed++;
      if (!f.subarray(22, 38).equals(ipv6Bytes(src!))) homed++;
      if (sport === '') {
        malformed++;
        assert.equal(rc, DecodeLayer.IPV6, msg);
        assert.equal(p.l4Offset, -1, msg);
      } else {
        assert.equal(rc, DECODE_OK, msg);
        assert.equal(p.srcPort, Number(sport), msg);
      }
    }
    console.log(`ipv6 extension headers: ${frames.length} frames, ${routed} routed, ${homed} with a home address, ${malformed} malformed`);
    // The generator reached each behaviour often enough for the check to mean something.
    assert.ok(routed >= 300, `routed ${routed}`);
    assert.ok(homed >= 200, `homed ${homed}`);
    assert.ok(malformed >= 200, `malformed ${malformed}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
