import { addressText, keyHash, putAddress } from './address-key';
import { KeyTable } from './key-table';
import { EMPTY_TOP_LIST, TopSelector } from './top-list';
import type { TopList } from './top-list';
import { WindowCounts } from './window-counts';

/** Server key: the address's first word, IP version, its other words (see address-key.ts). */
const SERVER_WIDTH = 5;
/** Window counts before the first event (never written). */
const EMPTY = new WindowCounts(0);

/**
 * DNS servers that fail, by name: per server address, the SERVFAIL responses it sent and the queries
 * to it that went unanswered (dns.timeout) within the sliding window, fed by the DNS analyser on
 * those events only (never per packet). The per-interface ratios alert (NetmonDnsServfailRatio,
 * NetmonDnsUnanswered); these gauges say which servers. `detect.max_sources` keys, leaving as the
 * reset detector's do (idle for a whole window, or evicted when full: one-off servers first). The
 * tables are allocated on the first event: traffic without a failing server costs no memory.
 */
export class DnsServerDetector {
  private servers: KeyTable | null = null;
  private servfails = EMPTY;
  private unanswered = EMPTY;
  private selector: TopSelector | null = null;

  constructor(private readonly maxServers: number) {}

  /** Servers tracked now, and evicted because the table was full. */
  get size(): number {
    return this.servers?.size ?? 0;
  }

  get evictions(): number {
    return this.servers?.evictions ?? 0;
  }

  /** A SERVFAIL response from the server at addrs[from..from+3] (DecodedPacket.addrs layout). */
  servfail(addrs: Uint32Array, from: number, ipVersion: number, step: number): void {
    const s = this.slot(addrs, from, ipVersion, step); // first: it may allocate the counts
    this.servfails.add(s, step, 1);
  }

  /** A query to the server at addrs[from..from+3] that got no response. */
  noResponse(addrs: Uint32Array, from: number, ipVersion: number, step: number): void {
    const s = this.slot(addrs, from, ipVersion, step);
    this.unanswered.add(s, step, 1);
  }

  expire(step: number): void {
    this.servers?.expire(step);
  }

  /** Top n servers by SERVFAIL responses and by unanswered queries in the window, labelled server_ip. */
  report(n: number, step: number): { servfail: TopList; unanswered: TopList } {
    return { servfail: this.top(this.servfails, n, step), unanswered: this.top(this.unanswered, n, step) };
  }

  private slot(addrs: Uint32Array, from: number, v: number, step: number): number {
    if (this.servers === null) {
      this.servers = new KeyTable(SERVER_WIDTH, 0, this.maxServers);
      this.servfails = new WindowCounts(this.maxServers);
      this.unanswered = new WindowCounts(this.maxServers);
      this.selector = new TopSelector(this.maxServers);
    }
    const st = this.servers;
    const k = st.key;
    putAddress(k, 0, 2, addrs, from, v);
    k[1] = v;
    const n = v === 4 ? 2 : SERVER_WIDTH;
    const s = st.upsert(keyHash(st.seed, k, n, v, SERVER_WIDTH), n, step);
    if (st.added) {
      this.servfails.reset(s, step);
      this.unanswered.reset(s, step);
    }
    return s;
  }

  private top(counts: WindowCounts, n: number, step: number): TopList {
    const st = this.servers;
    const sel = this.selector;
    if (st === null || sel === null) return EMPTY_TOP_LIST;
    sel.begin();
    for (let s = 0; s < st.slotLimit; s++) if (st.inUse(s)) sel.offer(s, counts.sum(s, step));
    const { slots, scores } = sel.top(n);
    return {
      values: Float64Array.from(scores),
      labels: slots.map((s) => addressText(st.rec, s * st.stride, s * st.stride + 2, st.rec[s * st.stride + 1]!)),
    };
  }
}
