import type { DecodedPacket } from '../decode/packet';
import { addressText, keyHash, putAddress } from './address-key';
import { finishHash, KeyTable, mixHash } from './key-table';
import { TopSelector } from './top-list';
import type { TopList } from './top-list';
import { WindowCounts } from './window-counts';

/** Target key: destination's first word, IP version, its other words (see address-key.ts). */
const TARGET_WIDTH = 5;
/** The target's candidate port (Boyer-Moore majority vote over its SYNs) and the vote's counter. */
const T_PORT = 0;
const T_VOTES = 1;
/** The same vote over the SYNs' sources: the candidate source (its address word, a hash for IPv6) and its counter. */
const T_SRC = 2;
const T_SRC_VOTES = 3;

/** dst_port label of a target whose unanswered SYNs are spread over ports (no port is known to hold half). */
export const MANY_PORTS = '*';

/**
 * SYN floods: per destination address, the SYNs sent to it minus the SYN-ACKs it sent within the
 * sliding window (at least 0): SYNs not answered. A SYN-ACK only counts for a destination already
 * tracked. `detect.max_targets` keys; a key leaves when it has not been written for a whole window,
 * or when the table is full and it is evicted: destinations that got a single SYN go first, then the
 * oldest.
 *
 * The port: each destination runs a majority vote over the ports of its SYNs (Boyer-Moore: a port
 * that gets more than half of them ends up the candidate), and counts the candidate's own SYNs minus
 * SYN-ACKs in the window exactly from the moment it became the candidate. dst_port is the candidate
 * when that count is at least half of the destination's value, else "*" (a flood spread over ports).
 * The count only misses what the candidate got before it was elected, so a port named does hold at
 * least half; a port holding just over half under heavy mixing may be shown as "*". This costs no
 * table per port, which a flood over random ports would churn.
 *
 * A port scan is no flood: one source's SYNs to many ports of a host are unanswered SYNs too, but they
 * name the scanner (NetmonPortScan), not a victim to page about. So each destination runs the same
 * vote over the sources of its SYNs (an IPv4 source by its address, an IPv6 one by a hash of it with
 * the table's random seed) and counts the candidate source's SYNs minus the SYN-ACKs sent to it. A
 * destination whose unanswered SYNs hold no port (dst_port "*") while one source holds at least half
 * of them is a single source's scan and is not reported. A flood to one port is reported whatever its
 * sources; a flood over many ports from many (spoofed) sources is reported as "*". What is not
 * reported as a flood: one source sending SYNs to many ports of one host, which is a port scan by
 * its shape.
 *
 * A capture that sees only one direction (a one-way tap) sees no SYN-ACK: every SYN is unanswered.
 */
export class SynFloodDetector {
  readonly targets: KeyTable;
  private readonly counts: WindowCounts;
  private readonly portCounts: WindowCounts;
  private readonly srcCounts: WindowCounts;
  private readonly selector: TopSelector;

  constructor(maxTargets: number) {
    this.targets = new KeyTable(TARGET_WIDTH, 4, maxTargets);
    this.counts = new WindowCounts(maxTargets);
    this.portCounts = new WindowCounts(maxTargets);
    this.srcCounts = new WindowCounts(maxTargets);
    this.selector = new TopSelector(maxTargets);
  }

  /** A SYN without ACK from pkt's source to its destination and port. */
  syn(pkt: DecodedPacket, step: number): void {
    const tt = this.targets;
    const tk = tt.key;
    const v = pkt.ipVersion;
    putAddress(tk, 0, 2, pkt.addrs, 4, v);
    tk[1] = v;
    const port = pkt.dstPort;
    const r = tt.rec;
    const n = v === 4 ? 2 : TARGET_WIDTH;
    let t = tt.find(keyHash(tt.seed, tk, n, v, TARGET_WIDTH), n);
    let o: number;
    if (t < 0) {
      t = tt.insert(step);
      o = t * tt.stride + tt.userBase;
      this.counts.reset(t, step);
      r[o + T_VOTES] = 0;
      r[o + T_SRC_VOTES] = 0;
    } else {
      o = t * tt.stride + tt.userBase;
      tt.touch(t, step);
      tt.promote(t);
    }
    this.counts.add(t, step, 1);
    if (r[o + T_VOTES] === 0) {
      r[o + T_PORT] = port;
      r[o + T_VOTES] = 1;
      this.portCounts.reset(t, step);
      this.portCounts.add(t, step, 1);
    } else if (r[o + T_PORT] === port) {
      r[o + T_VOTES]!++;
      this.portCounts.add(t, step, 1);
    } else {
      r[o + T_VOTES]!--;
    }
    const src = this.sourceWord(pkt.addrs, 0, v);
    if (r[o + T_SRC_VOTES] === 0) {
      r[o + T_SRC] = src;
      r[o + T_SRC_VOTES] = 1;
      this.srcCounts.reset(t, step);
      this.srcCounts.add(t, step, 1);
    } else if (r[o + T_SRC] === src) {
      r[o + T_SRC_VOTES]!++;
      this.srcCounts.add(t, step, 1);
    } else {
      r[o + T_SRC_VOTES]!--;
    }
  }

  /** The word a source address is voted by: an IPv4 address itself, an IPv6 one hashed with the table's seed. */
  private sourceWord(addrs: Uint32Array, from: number, v: number): number {
    if (v === 4) return addrs[from]! | 0;
    let h = this.targets.seed;
    for (let i = 0; i < 4; i++) h = mixHash(h, addrs[from + i]! | 0);
    return finishHash(h);
  }

  /** A SYN-ACK: pkt's source answers a SYN sent to it (on pkt's source port). */
  synAck(pkt: DecodedPacket, step: number): void {
    const tt = this.targets;
    const tk = tt.key;
    const v = pkt.ipVersion;
    putAddress(tk, 0, 2, pkt.addrs, 0, v);
    tk[1] = v;
    const n = v === 4 ? 2 : TARGET_WIDTH;
    const t = tt.find(keyHash(tt.seed, tk, n, v, TARGET_WIDTH), n);
    if (t < 0) return;
    tt.touch(t, step);
    this.counts.add(t, step, -1);
    const o = t * tt.stride + tt.userBase;
    if (tt.rec[o + T_PORT] === pkt.srcPort) this.portCounts.add(t, step, -1);
    if (tt.rec[o + T_SRC] === this.sourceWord(pkt.addrs, 4, v)) this.srcCounts.add(t, step, -1);
  }

  /** Drops the keys not written in the window that ends at `step`. */
  expire(step: number): void {
    this.targets.expire(step);
  }

  /** Top n destinations by unanswered SYNs, labelled dst_ip, dst_port (a single source's scan left out). */
  report(n: number, step: number): TopList {
    const tt = this.targets;
    const sel = this.selector;
    sel.begin();
    for (let t = 0; t < tt.slotLimit; t++) {
      if (!tt.inUse(t)) continue;
      const v = this.counts.sum(t, step);
      if (v > 0 && !this.portHeld(t, v, step) && 2 * this.srcCounts.sum(t, step) >= v) continue;
      sel.offer(t, v);
    }
    const { slots, scores } = sel.top(n);
    const labels: string[] = [];
    slots.forEach((t, i) => {
      const o = t * tt.stride;
      labels.push(addressText(tt.rec, o, o + 2, tt.rec[o + 1]!));
      labels.push(this.portHeld(t, scores[i]!, step) ? String(tt.rec[o + tt.userBase + T_PORT]) : MANY_PORTS);
    });
    return { values: Float64Array.from(scores), labels };
  }

  /** Whether the candidate port holds at least half of the target's `value` unanswered SYNs. */
  private portHeld(t: number, value: number, step: number): boolean {
    return 2 * this.portCounts.sum(t, step) >= value;
  }
}
