/**
 * Run under valgrind by bench/tcp-paths.ts: drives one TcpAnalyzer (linked to flow slots as the flow
 * table links them) with K segments of one kind, after a handshake, so that the instructions of that
 * kind of segment can be counted alone. Kinds:
 *  - inorder: data segments that continue their direction exactly (the fast path, inOrder());
 *  - retransmission: the same data segment again and again (the whole analysis, segment());
 *  - baseline: the harness loop without the analyser (subtracted by the caller).
 * Usage: node dist/bench/tcp-paths-harness.js KIND K
 */
import { TcpAnalyzer } from '../src/analysis/tcp-analyzer';
import { decodeLink } from '../src/decode/decode-frame';
import { DecodedPacket } from '../src/decode/packet';
import type { TcpFlowLinks } from '../src/flow/flow-record';

const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;

/** An Ethernet/IPv4/TCP frame from 10.0.0.1:40000 (or back, with `reverse`) with `len` payload bytes. */
function frame(flags: number, seq: number, ack: number, len: number, reverse = false): Buffer {
  const f = Buffer.alloc(14 + 20 + 20 + len);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(20 + 20 + len, 16);
  f[22] = 64;
  f[23] = 6;
  f.writeUInt32BE(reverse ? 0x0a000002 : 0x0a000001, 26);
  f.writeUInt32BE(reverse ? 0x0a000001 : 0x0a000002, 30);
  f.writeUInt16BE(reverse ? 80 : 40000, 34);
  f.writeUInt16BE(reverse ? 40000 : 80, 36);
  f.writeUInt32BE(seq >>> 0, 38);
  f.writeUInt32BE(ack >>> 0, 42);
  f[46] = 0x50;
  f[47] = flags;
  f.writeUInt16BE(65535, 48);
  return f;
}

/** Flow slot links as the flow table keeps them (one Int32 per slot). */
class Links implements TcpFlowLinks {
  private readonly l = new Int32Array(16).fill(-1);
  tcpLink(slot: number): number {
    return this.l[slot]!;
  }
  setTcpLink(slot: number, link: number): void {
    this.l[slot] = link;
  }
  clearTcpLink(slot: number, link: number): void {
    if (this.l[slot] === link) this.l[slot] = -1;
  }
}

const [kind, kArg] = process.argv.slice(2);
const K = Number(kArg);
const t = new TcpAnalyzer({ maxConnections: 1000, idleTimeout: 120, synTimeout: 30 });
t.addInterface();
t.attachFlows(new Links());
const pkt = new DecodedPacket();
const feed = (f: Buffer, ts: number, slot: number): number => {
  decodeLink(f, 0, f.length, 1, pkt);
  pkt.wireLen = f.length;
  pkt.ts = ts;
  return t.observe(0, f, pkt, slot);
};
// The handshake: initiator flow slot 3, responder flow slot 4.
feed(frame(SYN, 999, 0, 0), 1, 3);
feed(frame(SYN | ACK, 4999, 1000, 0, true), 1.001, 4);
feed(frame(ACK, 1000, 5000, 0), 1.002, 3);
const data = frame(PSH | ACK, 1000, 5000, 100);
decodeLink(data, 0, data.length, 1, pkt);
pkt.wireLen = data.length;

const inorder = kind !== 'retransmission';
const analyse = kind !== 'baseline';
let seq = 1000;

function run(n: number, ts0: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    pkt.ts = ts0 + i * 1e-6;
    // The baseline writes the sequence numbers too: only the analyser's work is left in the difference.
    if (inorder) {
      data[38] = seq >>> 24;
      data[39] = (seq >>> 16) & 255;
      data[40] = (seq >>> 8) & 255;
      data[41] = seq & 255;
      seq = (seq + 100) | 0;
    }
    if (analyse) sum += t.observe(0, data, pkt, 3);
  }
  return sum;
}
// Rounds of 1000 calls: run() itself reaches optimised code early.
let ts = 2;
let sum = 0;
for (let r = 0; r < K / 1000; r++) {
  sum += run(1000, ts);
  ts += 1000 * 1e-6;
}
if (sum < 0) process.stdout.write('\n');
