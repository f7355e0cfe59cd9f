/**
 * IP fragmentation of Ethernet frames for the tests (RFC 791 section 3.2, RFC 8200 section 4.5): the
 * IP payload of a frame split into fragments of at most `mtu` bytes of IP packet each, as a host
 * sends a datagram larger than its link's MTU. IPv6 fragments get a fragment header after the fixed
 * header (the frame must have no extension headers).
 */
import { ETH, inetChecksum } from './frames';

/** The fragments of an Ethernet IPv4 or IPv6 frame (untagged), in order; the frame itself when it fits. */
export function fragmentFrame(frame: Buffer, o: { mtu: number; id: number }): Buffer[] {
  const etherType = frame.readUInt16BE(12);
  const link = frame.subarray(0, 14);
  const ip = frame.subarray(14);
  if (ip.length <= o.mtu) return [frame];
  const hlen = etherType === ETH.IPV4 ? (ip[0]! & 15) * 4 : 40;
  const payload = ip.subarray(hlen);
  const room = (o.mtu - hlen - (etherType === ETH.IPV4 ? 0 : 8)) & ~7;
  const out: Buffer[] = [];
  for (let off = 0; off < payload.length; off += room) {
    const part = payload.subarray(off, Math.min(payload.length, off + room));
    const more = off + room < payload.length;
    if (etherType === ETH.IPV4) {
      const h = Buffer.from(ip.subarray(0, hlen));
      h.writeUInt16BE(hlen + part.length, 2);
      h.writeUInt16BE(o.id & 0xffff, 4);
      h.writeUInt16BE((more ? 0x2000 : 0) | (off / 8), 6); // DF cleared
      h.writeUInt16BE(0, 10);
      h.writeUInt16BE(inetChecksum(h), 10);
      out.push(Buffer.concat([link, h, part]));
    } else {
      const h = Buffer.from(ip.subarray(0, 40));
      const f = Buffer.alloc(8);
      f[0] = ip[6]!;
      f.writeUInt16BE(off | (more ? 1 : 0), 2);
      f.writeUInt32BE(o.id >>> 0, 4);
      h[6] = 44;
      h.writeUInt16BE(8 + part.length, 4);
      out.push(Buffer.concat([link, h, f, part]));
    }
  }
  return out;
}

/**
 * Every frame of `frames` longer than an Ethernet MTU allows sent as IP fragments, as they may reach
 * a capture point: mostly in order, some in reverse order or shuffled, some with a fragment repeated
 * or one never sent (its datagram never completes), `gap` seconds apart (from the frame's time on).
 * Returns the frames in time order and what was done, by outcome.
 */
export function fragmentLarge(frames: readonly { data: Buffer; ts: number }[], rand: () => number, gap = 0.0002): { frames: { data: Buffer; ts: number }[]; fragmented: number; incomplete: number } {
  const out: { data: Buffer; ts: number; i: number }[] = [];
  let fragmented = 0;
  let incomplete = 0;
  let id = Math.floor(rand() * 0x10000);
  for (const f of frames) {
    if (f.data.length <= 1514) {
      out.push({ ...f, i: out.length });
      continue;
    }
    const parts = fragmentFrame(f.data, { mtu: 1500, id: id++ });
    fragmented++;
    if (disorder(parts, rand)) incomplete++;
    parts.forEach((p, k) => out.push({ data: p, ts: f.ts + k * gap, i: out.length }));
  }
  return { frames: out.sort((a, b) => a.ts - b.ts || a.i - b.i).map(({ data, ts }) => ({ data, ts })), fragmented, incomplete };
}

/**
 * A share `share` of the TCP frames of `frames` (IPv4, or IPv6 without extension headers) sent as
 * small IP fragments, as `nmap -f` or an evasion tool sends them: 8 to 32 bytes of the segment per
 * fragment (the TCP header itself split), mostly in order, some reversed or shuffled, some with a
 * fragment repeated or one never sent. Segments to or from a port in `keep` stay whole. Returns
 * the frames in time order and the counts.
 */
export function fragmentTcp(frames: readonly { data: Buffer; ts: number }[], rand: () => number, share: number, keep: readonly number[] = [], gap = 0.00001): { frames: { data: Buffer; ts: number }[]; fragmented: number; incomplete: number } {
  const out: { data: Buffer; ts: number; i: number }[] = [];
  let fragmented = 0;
  let incomplete = 0;
  let id = Math.floor(rand() * 0x10000);
  for (const f of frames) {
    const etherType = f.data.readUInt16BE(12);
    const ip = f.data.subarray(14);
    const v4 = etherType === ETH.IPV4;
    const tcp = v4 ? ip[9] === 6 : etherType === ETH.IPV6 && ip[6] === 6;
    const l4 = v4 ? (ip[0]! & 15) * 4 : 40;
    if (!tcp || rand() >= share || keep.includes(ip.readUInt16BE(l4)) || keep.includes(ip.readUInt16BE(l4 + 2))) {
      out.push({ ...f, i: out.length });
      continue;
    }
    const hlen = v4 ? (ip[0]! & 15) * 4 : 48;
    const parts = fragmentFrame(f.data, { mtu: hlen + 8 * (1 + Math.floor(rand() * 4)), id: id++ });
    if (parts.length === 1) {
      out.push({ ...f, i: out.length }); // it fits in one fragment's room: sent whole
      continue;
    }
    fragmented++;
    if (disorder(parts, rand)) incomplete++;
    parts.forEach((p, k) => out.push({ data: p, ts: f.ts + k * gap, i: out.length }));
  }
  return { frames: out.sort((a, b) => a.ts - b.ts || a.i - b.i).map(({ data, ts }) => ({ data, ts })), fragmented, incomplete };
}

/**
 * Reorders a datagram's fragments in place as they may reach a capture point: mostly in order,
 * some reversed or shuffled, some with a fragment repeated, or one dropped (returns true then).
 */
function disorder(parts: Buffer[], rand: () => number): boolean {
  const r = rand();
  if (r < 0.15) parts.reverse();
  else if (r < 0.25) parts.splice(0, parts.length, ...parts.map((p) => ({ p, k: rand() })).sort((a, b) => a.k - b.k).map((x) => x.p));
  else if (r < 0.35) parts.splice(1 + Math.floor(rand() * (parts.length - 1)), 0, parts[Math.floor(rand() * parts.length)]!);
  else if (r < 0.45) {
    parts.splice(Math.floor(rand() * parts.length), 1);
    return true;
  }
  return false;
}
