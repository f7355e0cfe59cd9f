/**
 * A benchmark capture for the DNS and TCP analysers, with protocol behaviour a real link shows (the
 * mixed capture of capture-generator.ts has neither real sequence numbers nor DNS messages):
 *  - TCP connections (IPv4 and IPv6) with a three-way handshake, data both ways with sequence and
 *    acknowledgement numbers that advance, about 1 in 200 data segments sent twice (a retransmission),
 *    and a FIN exchange; a connection lasts about `connectionPackets` packets, then its flow opens a
 *    new one on a new port (so handshakes recur); a few heavy flows carry most packets (Zipf-like);
 *  - DNS over UDP: queries and responses (a few unanswered), `dnsShare` of the packets;
 *  - other UDP.
 * Seeded and deterministic; frames cut at `snaplen` bytes with their full original length.
 *
 *   node dist/bench/insight-capture.js OUT.pcap [--packets N] [--flows N] [--seed N]
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { prng } from '../test/support/frames';

export interface InsightCaptureOptions {
  packets: number;
  flows: number;
  seed: number;
  snaplen: number;
  /** Share of packets that are DNS (queries and responses). */
  dnsShare: number;
  /** Mean packets per TCP connection before it closes and its flow opens another. */
  connectionPackets: number;
}

interface Conn {
  ipv6: boolean;
  proto: 6 | 17;
  a: number[];
  b: number[];
  aport: number;
  bport: number;
  weight: number;
  /** TCP: 0 closed (next packet is a SYN), 1 SYN sent, 2 SYN-ACK sent, 3 established, 4 FIN sent, 5 FIN answered. */
  state: number;
  aseq: number;
  bseq: number;
  left: number;
  /** The last data segment (for a retransmission): from a?, seq, length. */
  lastFromA: boolean;
  lastSeq: number;
  lastLen: number;
}

const SIZES = [66, 74, 128, 256, 576, 1024, 1280, 1514];

export function generateInsightCapture(path: string, o: InsightCaptureOptions): { packets: number; handshakes: number; dns: number } {
  const rand = prng(o.seed);
  const int = (n: number) => (rand() * n) | 0;
  const v4 = (i: number) => [198, 18 + (i & 1), int(256), 1 + int(254)];
  const v6 = () => [0x20, 0x01, 0x0d, 0xb8, ...Array.from({ length: 12 }, () => int(256))];
  const conns: Conn[] = [];
  for (let i = 0; i < o.flows; i++) {
    const ipv6 = rand() < 0.2;
    conns.push({
      ipv6, proto: rand() < 0.85 ? 6 : 17, a: ipv6 ? v6() : v4(i), b: ipv6 ? v6() : v4(i + 1), aport: 1024 + int(60000),
      bport: [80, 443, 5432, 6379, 8080, 123][int(6)]!, weight: 1 / (1 + i), state: 0, aseq: 0, bseq: 0, left: 0, lastFromA: true, lastSeq: 0, lastLen: 0,
    });
  }
  const resolvers = [v4(0), v4(1)];
  const cumulative: number[] = [];
  let total = 0;
  for (const c of conns) cumulative.push((total += c.weight));
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(8 << 20);
  let used = 24;
  chunk.writeUInt32LE(0xa1b2c3d4, 0);
  chunk.writeUInt16LE(2, 4);
  chunk.writeUInt16LE(4, 6);
  chunk.writeUInt32LE(o.snaplen, 16);
  chunk.writeUInt32LE(1, 20);
  let usec = 0;
  let handshakes = 0;
  let dns = 0;
  /** Writes one frame; l4 fields by callback-free arguments. Returns nothing. */
  const frame = (ipv6: boolean, proto: number, src: number[], dst: number[], sport: number, dport: number, wireLen: number, fill: (f: Buffer, l4: number) => void) => {
    if (used + 16 + o.snaplen > chunk.length) {
      writeSync(fd, chunk, 0, used);
      used = 0;
    }
    const f = chunk.subarray(used + 16, used + 16 + Math.min(wireLen, o.snaplen));
    f.fill(0);
    f[12] = ipv6 ? 0x86 : 0x08;
    f[13] = ipv6 ? 0xdd : 0x00;
    let l4: number;
    if (ipv6) {
      f[14] = 0x60;
      f.writeUInt16BE(wireLen - 54, 18);
      f[20] = proto;
      f[21] = 64;
      for (let i = 0; i < 16; i++) {
        f[22 + i] = src[i]!;
        f[38 + i] = dst[i]!;
      }
      l4 = 54;
    } else {
      f[14] = 0x45;
      f.writeUInt16BE(wireLen - 14, 16);
      f[22] = 64;
      f[23] = proto;
      for (let i = 0; i < 4; i++) {
        f[26 + i] = src[i]!;
        f[30 + i] = dst[i]!;
      }
      l4 = 34;
    }
    f.writeUInt16BE(sport, l4);
    f.writeUInt16BE(dport, l4 + 2);
    if (proto === 17) f.writeUInt16BE(wireLen - l4, l4 + 4);
    fill(f, l4);
    usec += 1 + int(20);
    chunk.writeUInt32LE(1_700_000_000 + Math.floor(usec / 1e6), used);
    chunk.writeUInt32LE(usec % 1e6, used + 4);
    chunk.writeUInt32LE(f.length, used + 8);
    chunk.writeUInt32LE(wireLen, used + 12);
    used += 16 + f.length;
  };
  const tcpSeg = (c: Conn, fromA: boolean, flags: number, seq: number, ack: number, payload: number) => {
    const hdr = c.ipv6 ? 74 : 54;
    frame(c.ipv6, 6, fromA ? c.a : c.b, fromA ? c.b : c.a, fromA ? c.aport : c.bport, fromA ? c.bport : c.aport, hdr + payload, (f, l4) => {
      f.writeUInt32BE(seq >>> 0, l4 + 4);
      f.writeUInt32BE(ack >>> 0, l4 + 8);
      f[l4 + 12] = 0x50;
      f[l4 + 13] = flags;
      f.writeUInt16BE(65535, l4 + 14);
    });
  };
  const dnsMsg = (f: Buffer, at: number, id: number, response: boolean) => {
    f.writeUInt16BE(id, at);
    f.writeUInt16BE(response ? 0x8180 | (rand() < 0.05 ? 3 : 0) : 0x0100, at + 2);
    f.writeUInt16BE(1, at + 4);
    if (response) f.writeUInt16BE(1, at + 6);
    const name = [7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0]; // example.com
    for (let i = 0; i < name.length && at + 12 + i < f.length; i++) f[at + 12 + i] = name[i]!;
    if (at + 12 + name.length + 2 <= f.length) f.writeUInt16BE(rand() < 0.6 ? 1 : 28, at + 12 + name.length);
  };
  for (let n = 0; n < o.packets; ) {
    if (rand() < o.dnsShare / 2) {
      const v6c = rand() < 0.2;
      const client = v6c ? v6() : v4(int(1000));
      const server = v6c ? v6() : resolvers[int(2)]!;
      const cport = 1024 + int(60000);
      const id = int(65536);
      frame(v6c, 17, client, server, cport, 53, (v6c ? 62 : 42) + 29, (f, l4) => dnsMsg(f, l4 + 8, id, false));
      n++;
      dns++;
      if (rand() < 0.98 && n < o.packets) {
        frame(v6c, 17, server, client, 53, cport, (v6c ? 62 : 42) + 29 + 16 + int(200), (f, l4) => dnsMsg(f, l4 + 8, id, true));
        n++;
        dns++;
      }
      continue;
    }
    const x = rand() * total;
    let lo = 0, hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    const c = conns[lo]!;
    n++;
    if (c.proto === 17) {
      frame(c.ipv6, 17, c.a, c.b, c.aport, c.bport, Math.max(SIZES[int(SIZES.length)]!, c.ipv6 ? 74 : 60), () => {});
      continue;
    }
    switch (c.state) {
      case 0:
        c.aseq = int(2 ** 32);
        c.bseq = int(2 ** 32);
        c.left = 1 + int(2 * o.connectionPackets);
        tcpSeg(c, true, 0x02, c.aseq, 0, 0);
        c.state = 1;
        handshakes++;
        break;
      case 1:
        tcpSeg(c, false, 0x12, c.bseq, c.aseq + 1, 0);
        c.state = 2;
        break;
      case 2:
        c.aseq = (c.aseq + 1) >>> 0;
        c.bseq = (c.bseq + 1) >>> 0;
        tcpSeg(c, true, 0x10, c.aseq, c.bseq, 0);
        c.state = 3;
        break;
      case 3: {
        if (c.left-- <= 0) {
          tcpSeg(c, true, 0x11, c.aseq, c.bseq, 0);
          c.aseq = (c.aseq + 1) >>> 0;
          c.state = 4;
          break;
        }
        if (rand() < 0.005 && c.lastLen > 0) {
          tcpSeg(c, c.lastFromA, 0x18, c.lastSeq, c.lastFromA ? c.bseq : c.aseq, c.lastLen);
          break;
        }
        const fromA = rand() < 0.35;
        const len = Math.max(0, SIZES[int(SIZES.length)]! - (c.ipv6 ? 74 : 54));
        const seq = fromA ? c.aseq : c.bseq;
        tcpSeg(c, fromA, len > 0 ? 0x18 : 0x10, seq, fromA ? c.bseq : c.aseq, len);
        if (fromA) c.aseq = (c.aseq + len) >>> 0;
        else c.bseq = (c.bseq + len) >>> 0;
        if (len > 0) {
          c.lastFromA = fromA;
          c.lastSeq = seq;
          c.lastLen = len;
        }
        break;
      }
      case 4:
        tcpSeg(c, false, 0x11, c.bseq, c.aseq, 0);
        c.bseq = (c.bseq + 1) >>> 0;
        c.state = 5;
        break;
      default:
        tcpSeg(c, true, 0x10, c.aseq, c.bseq, 0);
        c.state = 0;
        c.aport = 1024 + int(60000); // the next connection of this flow uses a new port
        c.lastLen = 0;
    }
  }
  writeSync(fd, chunk, 0, used);
  closeSync(fd);
  return { packets: o.packets, handshakes, dns };
}

function main(argv: string[]): void {
  const out = argv[0];
  if (out === undefined) {
    process.stderr.write('usage: insight-capture OUT.pcap [--packets N] [--flows N] [--seed N]\n');
    process.exit(2);
  }
  const opt = (name: string, dflt: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const r = generateInsightCapture(out, { packets: opt('packets', 1_000_000), flows: opt('flows', 800), seed: opt('seed', 1), snaplen: 256, dnsShare: 0.04, connectionPackets: 40 });
  process.stderr.write(`wrote ${r.packets} packets (${r.handshakes} handshakes, ${r.dns} DNS messages) to ${out}\n`);
}

if (require.main === module) main(process.argv.slice(2));
