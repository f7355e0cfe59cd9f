/**
 * Deterministic (seeded) generator of benchmark captures, written straight into a classic pcap file:
 *   mixed: `flows` normal flows (IPv4 and IPv6, TCP and UDP, varied sizes), `packets` packets in all;
 *   flood: the same, plus `floodPackets` TCP SYNs from random IPv4 sources to random ports.
 * Frames are stored cut at `snaplen` bytes with their full original length, as netmon's own live
 * capture keeps them. Everything is derived from the seed, so a file can be regenerated identically.
 *
 *   node dist/bench/capture-generator.js OUT.pcap [--packets N] [--flows N] [--flood N] [--seed N] [--snaplen N]
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { prng } from '../test/support/frames';

export interface GeneratorOptions {
  packets: number;
  flows: number;
  /** Extra random-source SYN packets mixed in (0: none). */
  floodPackets: number;
  seed: number;
  snaplen: number;
  /** Every normal flow equally likely (default: Zipf-like, a few heavy flows). */
  uniform?: boolean;
}


interface FlowTemplate {
  ipv6: boolean;
  proto: 6 | 17;
  src: number[];
  dst: number[];
  sport: number;
  dport: number;
  /** Relative weight: a few heavy flows carry most packets, as on real links. */
  weight: number;
  /** What was written for this flow (the oracle for tests). */
  packets: number;
  bytes: number;
}

/** One normal flow as written: key fields in netmon's text form, and its exact counts. */
export interface GeneratedFlow {
  srcIp: string;
  dstIp: string;
  proto: number;
  srcPort: number;
  dstPort: number;
  packets: number;
  bytes: number;
}

function ipText(bytes: number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  const hex = [];
  for (let i = 0; i < 16; i += 2) hex.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The URL parser prints IPv6 hosts in the RFC 5952 canonical form.
  return new URL(`http://[${hex.join(':')}]/`).hostname.slice(1, -1);
}

const SIZES = [60, 66, 74, 128, 256, 576, 1024, 1280, 1514];

function makeFlows(n: number, rand: () => number, uniform: boolean): FlowTemplate[] {
  const flows: FlowTemplate[] = [];
  for (let i = 0; i < n; i++) {
    const ipv6 = rand() < 0.2;
    // Addresses from the benchmark range 198.18.0.0/15 and the documentation prefix 2001:db8::/32.
    const v4 = () => [198, 18 + (i & 1), (rand() * 256) | 0, 1 + ((rand() * 254) | 0)];
    const v6 = () => [0x20, 0x01, 0x0d, 0xb8, ...Array.from({ length: 12 }, () => (rand() * 256) | 0)];
    flows.push({
      ipv6,
      proto: rand() < 0.7 ? 6 : 17,
      src: ipv6 ? v6() : v4(),
      dst: ipv6 ? v6() : v4(),
      sport: 1024 + ((rand() * 60000) | 0),
      dport: [80, 443, 53, 5432, 6379, 8080][(rand() * 6) | 0]!,
      weight: uniform ? 1 : 1 / (1 + i), // Zipf-like unless uniform
      packets: 0,
      bytes: 0,
    });
  }
  return flows;
}

/** Writes one frame (Ethernet + IP + TCP/UDP) with `wireLen` bytes on the wire into `out` at `off`; returns bytes written. */
function writeFrame(out: Buffer, off: number, f: FlowTemplate, wireLen: number, snaplen: number, flags: number): number {
  const frame = out.subarray(off, off + Math.min(wireLen, snaplen));
  const capLen = frame.length;
  frame.fill(0);
  frame[12] = f.ipv6 ? 0x86 : 0x08;
  frame[13] = f.ipv6 ? 0xdd : 0x00;
  let l4: number;
  if (f.ipv6) {
    frame[14] = 0x60;
    frame.writeUInt16BE(wireLen - 14 - 40, 18);
    frame[20] = f.proto;
    frame[21] = 64;
    for (let i = 0; i < 16; i++) {
      frame[22 + i] = f.src[i]!;
      frame[38 + i] = f.dst[i]!;
    }
    l4 = 54;
  } else {
    frame[14] = 0x45;
    frame.writeUInt16BE(wireLen - 14, 16);
    frame[22] = 64;
    frame[23] = f.proto;
    for (let i = 0; i < 4; i++) {
      frame[26 + i] = f.src[i]!;
      frame[30 + i] = f.dst[i]!;
    }
    l4 = 34;
  }
  frame.writeUInt16BE(f.sport, l4);
  frame.writeUInt16BE(f.dport, l4 + 2);
  if (f.proto === 6) {
    frame[l4 + 12] = 0x50;
    frame[l4 + 13] = flags;
  } else {
    frame.writeUInt16BE(wireLen - l4, l4 + 4);
  }
  return capLen;
}

/** Generates the capture; returns the number of packets written and the normal flows' exact counts. */
export function generateCapture(path: string, o: GeneratorOptions): { packets: number; flows: GeneratedFlow[] } {
  const rand = prng(o.seed);
  const flows = makeFlows(o.flows, rand, o.uniform === true);
  const cumulative: number[] = [];
  let total = 0;
  for (const f of flows) cumulative.push((total += f.weight));
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(8 << 20);
  let used = 0;
  const flush = () => {
    writeSync(fd, chunk, 0, used);
    used = 0;
  };
  chunk.writeUInt32LE(0xa1b2c3d4, 0);
  chunk.writeUInt16LE(2, 4);
  chunk.writeUInt16LE(4, 6);
  chunk.writeUInt32LE(o.snaplen, 16);
  chunk.writeUInt32LE(1, 20);
  used = 24;
  const all = o.packets + o.floodPackets;
  const floodEvery = o.floodPackets > 0 ? all / o.floodPackets : Infinity;
  const flood: FlowTemplate = { ipv6: false, proto: 6, src: [0, 0, 0, 0], dst: [198, 18, 0, 1], sport: 0, dport: 0, weight: 0, packets: 0, bytes: 0 };
  let nextFlood = 0;
  let usec = 0;
  for (let n = 0; n < all; n++) {
    if (used + 16 + o.snaplen > chunk.length) flush();
    let f: FlowTemplate;
    let wireLen: number;
    let flags = 0x10;
    if (n >= nextFlood && o.floodPackets > 0) {
      nextFlood += floodEvery;
      const src = (rand() * 4294967296) >>> 0;
      flood.src = [src >>> 24, (src >>> 16) & 255, (src >>> 8) & 255, src & 255];
      flood.sport = 1024 + ((rand() * 60000) | 0);
      flood.dport = 1 + ((rand() * 65534) | 0);
      f = flood;
      wireLen = 60;
      flags = 0x02;
    } else {
      const x = rand() * total;
      let lo = 0, hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      f = flows[lo]!;
      wireLen = Math.max(SIZES[(rand() * SIZES.length) | 0]!, f.ipv6 ? 74 : 60);
      f.packets++;
      f.bytes += wireLen;
    }
    usec += 1 + ((rand() * 20) | 0);
    const hdr = used;
    const capLen = writeFrame(chunk, hdr + 16, f, wireLen, o.snaplen, flags);
    chunk.writeUInt32LE(1_700_000_000 + Math.floor(usec / 1e6), hdr);
    chunk.writeUInt32LE(usec % 1e6, hdr + 4);
    chunk.writeUInt32LE(capLen, hdr + 8);
    chunk.writeUInt32LE(wireLen, hdr + 12);
    used = hdr + 16 + capLen;
  }
  flush();
  closeSync(fd);
  return {
    packets: all,
    flows: flows
      .filter((f) => f.packets > 0)
      .map((f) => ({ srcIp: ipText(f.src), dstIp: ipText(f.dst), proto: f.proto, srcPort: f.sport, dstPort: f.dport, packets: f.packets, bytes: f.bytes })),
  };
}

function main(argv: string[]): void {
  const out = argv[0];
  if (out === undefined) {
    process.stderr.write('usage: capture-generator OUT.pcap [--packets N] [--flows N] [--flood N] [--seed N] [--snaplen N]\n');
    process.exit(2);
  }
  const opt = (name: string, dflt: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const { packets: n } = generateCapture(out, {
    packets: opt('packets', 1_000_000),
    flows: opt('flows', 800),
    floodPackets: opt('flood', 0),
    seed: opt('seed', 1),
    snaplen: opt('snaplen', 256),
  });
  process.stderr.write(`wrote ${n} packets to ${out}\n`);
}

if (require.main === module) main(process.argv.slice(2));
