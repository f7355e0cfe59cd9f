/**
 * Machine instructions per TCP segment on each path of the TCP analyser, counted by valgrind's
 * cachegrind under `node --predictable` (deterministic, so these figures do not move with the load of
 * a shared machine, unlike times): bench/tcp-paths-harness.ts runs 1M and then 3M segments of one
 * kind; the difference per segment, minus the same for the harness loop alone, is that path's
 * steady-state cost. The pipeline around the analyser (flow table lookup, call from the packet loop)
 * is not in these figures: compare with the instructions-per-packet row of bench/insight-replay.ts.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface TcpPathFigures {
  /** A data segment that continues its direction exactly (inOrder()). */
  inOrder: number;
  /** A data segment already sent (the whole sequence analysis). */
  retransmission: number;
  /** The harness loop alone, per segment (the reference subtracted from both). */
  baseline: number;
}

function instructions(kind: string, segments: number): number {
  const harness = join(__dirname, 'tcp-paths-harness.js');
  const r = spawnSync('valgrind', ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, '--predictable', harness, kind, String(segments)], { encoding: 'utf8' });
  const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr);
  if (r.status !== 0 || m === null) throw new Error(`valgrind: ${r.stderr.slice(-500)}`);
  return Number(m[1]!.replace(/,/g, ''));
}

/** undefined when valgrind is not installed. */
export function tcpPathInstructions(): TcpPathFigures | undefined {
  if (spawnSync('valgrind', ['--version']).status !== 0) return undefined;
  const per = (kind: string) => (instructions(kind, 3_000_000) - instructions(kind, 1_000_000)) / 2_000_000;
  const base = per('baseline');
  return { inOrder: per('inorder') - base, retransmission: per('retransmission') - base, baseline: base };
}

if (require.main === module) {
  const f = tcpPathInstructions();
  process.stdout.write(f === undefined ? 'valgrind is not installed\n' : `${JSON.stringify(f)}\n`);
}
