/**
 * Generated traffic for the flow-record tests (PostgreSQL sink): seeded flows of IPv4 and IPv6,
 * TCP (SYN first, FIN or RST last, a unique sequence number per segment) and UDP, whose packets are
 * spread with random gaps, so that some flows end idle and start again, and long ones are cut by
 * the active timeout. Every frame carries its flow key and, for TCP, its header fields: the oracle.
 */
import { ETH, PROTO, TCP_FLAGS, ethernet, ipv4, ipv6, prng, tcp, udp } from './frames';

export interface BuiltFrame {
  readonly data: Buffer;
  /** Seconds since the epoch (microsecond precision, as classic pcap stores it). */
  readonly ts: number;
  /** "src dst proto sport dport", as netmon's flows-json prints the key. */
  readonly key: string;
  readonly tcp?: { seq: number; ack: number; flags: number; window: number };
}

export interface CaptureSpec {
  readonly seed: number;
  /** First packet time. */
  readonly t0: number;
  readonly flows: number;
  /** Flows use source ports from here (distinct ranges keep the flows of several files apart). */
  readonly portBase: number;
  readonly maxPackets: number;
  /** Gaps between a flow's packets are uniform in [0, maxGap) seconds. */
  readonly maxGap: number;
  /** Flows start uniformly in [t0, t0 + spread). */
  readonly spread: number;
  /** Source address of the IPv4 flows (default: one per flow from 10.77.0.0). */
  readonly src4?: string;
}

/** 2001:db8:77::N in RFC 5952 text (as netmon and PostgreSQL print it). */
function v6Source(n: number): string {
  const hi = n >>> 16;
  const lo = (n & 0xffff).toString(16);
  return hi === 0 ? `2001:db8:77::${lo}` : `2001:db8:77::${hi.toString(16)}:${lo}`;
}

const round6 = (t: number): number => Math.round(t * 1e6) / 1e6;

/** The frames of `spec.flows` flows, in time order. */
export function buildFlowCapture(spec: CaptureSpec): BuiltFrame[] {
  const rand = prng(spec.seed);
  const frames: BuiltFrame[] = [];
  for (let f = 0; f < spec.flows; f++) {
    const v6 = f % 4 === 3;
    const isTcp = f % 3 !== 2;
    // Sources are unique per flow, so ports may wrap for very many flows.
    const sport = spec.portBase + (f % (65536 - spec.portBase));
    const dport = isTcp ? 443 : 53;
    const src = v6 ? v6Source(f + 1) : spec.src4 ?? `10.${77 + (f >> 16)}.${(f >> 8) & 255}.${f & 255}`;
    const dst = v6 ? '2001:db8:99::1' : '198.19.9.1';
    const key = `${src} ${dst} ${isTcp ? 6 : 17} ${sport} ${dport}`;
    const n = 1 + Math.floor(rand() * spec.maxPackets);
    let t = spec.t0 + rand() * spec.spread;
    for (let i = 0; i < n; i++) {
      const payload = Buffer.alloc(Math.floor(rand() * 600), 0x61);
      let data: Buffer;
      let meta: BuiltFrame['tcp'];
      if (isTcp) {
        const flags = i === 0 ? TCP_FLAGS.SYN : i === n - 1 ? (f % 5 === 0 ? TCP_FLAGS.RST : TCP_FLAGS.FIN | TCP_FLAGS.ACK) : TCP_FLAGS.ACK | TCP_FLAGS.PSH;
        meta = { seq: (spec.seed * 7919 + f * 1000 + i) >>> 0, ack: (f * 31 + i) >>> 0, flags, window: 1000 + ((f + i) % 60000) };
        const seg = tcp({ sport, dport, flags, seq: meta.seq, ack: meta.ack, window: meta.window }, payload);
        data = v6 ? ethernet({ etherType: ETH.IPV6 }, ipv6({ src, dst, nextHeader: PROTO.TCP }, seg)) : ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst, proto: PROTO.TCP }, seg));
      } else {
        const dgram = udp({ sport, dport }, payload);
        data = v6 ? ethernet({ etherType: ETH.IPV6 }, ipv6({ src, dst, nextHeader: PROTO.UDP }, dgram)) : ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst, proto: PROTO.UDP }, dgram));
      }
      frames.push({ data, ts: round6(t), key, ...(meta === undefined ? {} : { tcp: meta }) });
      t += rand() * spec.maxGap;
    }
  }
  return frames.sort((a, b) => a.ts - b.ts);
}

/** Packets and wire bytes per flow key. */
export function tallyFrames(frames: readonly BuiltFrame[]): Map<string, { packets: number; bytes: number }> {
  const m = new Map<string, { packets: number; bytes: number }>();
  for (const f of frames) {
    const t = m.get(f.key) ?? { packets: 0, bytes: 0 };
    t.packets++;
    t.bytes += f.data.length;
    m.set(f.key, t);
  }
  return m;
}
