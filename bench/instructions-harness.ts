/**
 * Run under valgrind by bench/filter-instructions.ts: decodes the first N packets of a classic pcap
 * held in memory, R times, and with `--filters` runs the fused set of TWENTY_FILTERS on each.
 * Usage: node dist/bench/instructions-harness.js FILE.pcap N R [--filters]
 */
import { readFileSync } from 'node:fs';
import { decodeLink } from '../src/decode/decode-frame';
import { DecodedPacket } from '../src/decode/packet';
import { compileFilterSet, parseNamedFilter } from '../src/filter/compile-filter';
import { TWENTY_FILTERS } from './replay-throughput';

const [file, nArg, rArg, flag] = process.argv.slice(2);
const buf = readFileSync(file!);
const n = Number(nArg);
const rounds = Number(rArg);
const offsets = new Int32Array(n);
const capLens = new Int32Array(n);
const wireLens = new Int32Array(n);
let count = 0;
for (let o = 24; o + 16 <= buf.length && count < n; count++) {
  const cap = buf.readUInt32LE(o + 8);
  if (o + 16 + cap > buf.length) break;
  offsets[count] = o + 16;
  capLens[count] = cap;
  wireLens[count] = buf.readUInt32LE(o + 12);
  o += 16 + cap;
}
const names = Object.keys(TWENTY_FILTERS);
const packets = new Float64Array(names.length);
const bytes = new Float64Array(names.length);
const set = flag === '--filters' ? compileFilterSet(names.map((k) => parseNamedFilter(k, TWENTY_FILTERS[k]!)), packets, bytes) : undefined;
const pkt = new DecodedPacket();
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < count; i++) {
    pkt.wireLen = wireLens[i]!;
    decodeLink(buf, offsets[i]!, capLens[i]!, 1, pkt);
    if (set !== undefined) set.count(buf, pkt, wireLens[i]!);
  }
}
set?.flush();
process.stdout.write(`${count} ${packets.reduce((a, b) => a + b, 0)}\n`);
