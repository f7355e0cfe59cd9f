import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

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

/** Records in a classic pcap file written so far (tcpdump -w, host byte order: little-endian here). */
export function pcapRecords(path: string): number {
  if (!existsSync(path)) return 0;
  const b = readFileSync(path);
  let n = 0;
  for (let o = 24; o + 16 <= b.length; n++) o += 16 + b.readUInt32LE(o + 8);
  return n;
}
