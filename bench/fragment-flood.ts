/**
 * The DNS reassembly's worst case: a flood of 1M UDP fragments, each of a new datagram (random
 * sources and identifications; half of them first fragments to port 53, half later fragments), so
 * that every packet inserts into the full reassembly table and pushes out its oldest entry. Replayed
 * with the DNS analysis on (the default) and off (`dns.enabled: false`), paired rounds.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ETH, ethernet, ipv4, prng } from '../test/support/frames';
import { LINKTYPE_ETHERNET, writePcap } from '../test/support/pcap-writer';
import { replayOnOff } from './insight-replay';

export function fragmentFlood(outDir: string, cli: string, rounds: number): { packets: number; onSeconds: number; offSeconds: number; loopOnSeconds: number; loopOffSeconds: number; ratio: number; loopRatio: number } {
  mkdirSync(outDir, { recursive: true });
  const packets = 1_000_000;
  const file = join(outDir, 'fragment-flood-1m.pcap');
  if (!existsSync(file)) {
    const rand = prng(9);
    const frames = [];
    for (let i = 0; i < packets; i++) {
      const first = rand() < 0.5;
      const payload = Buffer.alloc(24, 7);
      if (first) {
        payload.writeUInt16BE(40000, 0);
        payload.writeUInt16BE(53, 2);
        payload.writeUInt16BE(3000, 4);
      }
      const src = `198.18.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`;
      const ip = ipv4({ src, dst: '10.0.0.53', proto: 17, id: Math.floor(rand() * 65536), mf: true, fragOffset: first ? 0 : 1480 }, payload);
      frames.push({ data: ethernet({ etherType: ETH.IPV4 }, ip), ts: 1_700_000_000 + i * 1e-5 });
    }
    writePcap(file, frames, { linkType: LINKTYPE_ETHERNET });
  }
  const on = join(outDir, 'fragments-dns-on.yaml');
  const off = join(outDir, 'fragments-dns-off.yaml');
  writeFileSync(on, 'dns:\n  enabled: true\n');
  writeFileSync(off, 'dns:\n  enabled: false\n');
  const r = replayOnOff(cli, file, on, off, rounds);
  return { packets, onSeconds: r.onSeconds, offSeconds: r.offSeconds, loopOnSeconds: r.loopOnSeconds, loopOffSeconds: r.loopOffSeconds, ratio: r.ratios.wall, loopRatio: r.ratios.loop };
}
