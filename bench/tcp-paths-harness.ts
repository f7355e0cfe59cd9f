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
import { tcpFrame } from '../test/support/dns-tcp-frames';

const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;

const frame = (flags: number, seq: number, ack: number, len: number, reverse = false): Buffer =>
  reverse
    ? tcpFrame('10.0.0.2', '10.0.0.1', { sport: 80, dport: 40000, flags, seq, ack }, Buffer.alloc(len))
    : tcpFrame('10.0.0.1', '10.0.0.2', { sport: 40000, dport: 80, flags, seq, ack }, Buffer.alloc(len));

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
const t = new TcpAnalyzer({ maxConnections: 1000, idleTimeout: 120, establishedTimeout: 900, synTimeout: 30, maxFragmented: 1024 });
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
/** Where the data segment's sequence number is (rewritten for each in-order segment). */
const seqAt = pkt.l4Offset + 4;

const inorder = kind !== 'retransmission';
const analyse = kind !== 'baseline';
let seq = 1000;

function run(n: number, ts0: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    pkt.ts = ts0 + i * 1e-6;
    // The baseline writes the sequence numbers too: only the analyser's work is left in the difference.
    if (inorder) {
      data[seqAt] = seq >>> 24;
      data[seqAt + 1] = (seq >>> 16) & 255;
      data[seqAt + 2] = (seq >>> 8) & 255;
      data[seqAt + 3] = seq & 255;
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
