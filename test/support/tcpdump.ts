import { execFileSync } from 'node:child_process';

/** What tcpdump matches in a capture: packet count, and the sum of the wire lengths it prints with -e. */
export function tcpdumpMatch(file: string, expr: string): { packets: number; bytes: number } {
  const out = execFileSync('tcpdump', ['-r', file, '-n', '-e', expr], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
  let packets = 0;
  let bytes = 0;
  for (const line of out.split('\n')) {
    const m = /, length (\d+):/.exec(line);
    if (m === null) continue;
    packets++;
    bytes += Number(m[1]);
  }
  return { packets, bytes };
}
