/**
 * The cost of the 20 named filters in machine instructions, which (unlike time) does not drift with
 * the load of a shared machine: valgrind's cachegrind counts the instructions of
 * bench/instructions-harness.ts under `node --predictable` (single-threaded, deterministic JIT),
 * decoding 200 000 packets 3 and then 8 times, with and without the fused filter set; the difference
 * of the two repetition counts, per packet, is the steady state (start-up and compilation cancel out).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface InstructionFigures {
  /** Instructions per packet to decode it (and loop over it) in the harness. */
  decode: number;
  /** Instructions per packet the 20 fused filters add. */
  filters: number;
}

const PACKETS = 200_000;

function instructions(file: string, rounds: number, filters: boolean): number {
  const harness = join(__dirname, 'instructions-harness.js');
  const r = spawnSync('valgrind', ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, '--predictable', harness, file, String(PACKETS), String(rounds), ...(filters ? ['--filters'] : [])], { encoding: 'utf8' });
  const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr);
  if (r.status !== 0 || m === null) throw new Error(`valgrind: ${r.stderr.slice(-500)}`);
  return Number(m[1]!.replace(/,/g, ''));
}

/** undefined when valgrind is not installed. */
export function filterInstructions(file: string): InstructionFigures | undefined {
  if (spawnSync('valgrind', ['--version']).status !== 0) return undefined;
  const perPacket = (filters: boolean) => (instructions(file, 8, filters) - instructions(file, 3, filters)) / (5 * PACKETS);
  const decode = perPacket(false);
  return { decode, filters: perPacket(true) - decode };
}
