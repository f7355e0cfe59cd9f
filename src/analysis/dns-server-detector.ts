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
 * DNS servers that fail or make clients wait, by name: per server address, within the sliding
 * window, the SERVFAIL responses it sent, the queries to it that went unanswered (dns.timeout), its
 * timed responses with the sum of their response times, and its messages in IP fragments that never
 * completed (a fragment lost on the way: dns-fragments.ts); fed by the DNS analyser on those events
 * (never per packet that is not DNS). The per-interface alerts (NetmonDnsServfailRatio,
 * NetmonDnsUnanswered, NetmonDnsLatencyHigh) say that DNS is failing or slow; these gauges say which
 * servers. `detect.max_sources` keys, leaving as the reset detector's do (idle for a whole window, or
 * evicted when full: one-off servers first). The tables are allocated on the first event: traffic
 * without DNS costs no memory.
 */
export class DnsServerDetector {
  private servers: KeyTable | null = null;
  private servfails = EMPTY;
  private unanswered = EMPTY;
  private fragmentsLost = EMPTY;
  /** Sum of the response times and number of timed responses. */
  private waits = EMPTY;
  private timed = EMPTY;
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

  /** A message from or to the server at addrs[from..from+3] that came in IP fragments, one never. */
  fragmentLost(addrs: Uint32Array, from: number, ipVersion: number, step: number): void {
    const s = this.slot(addrs, from, ipVersion, step);
    this.fragmentsLost.add(s, step, 1);
  }

  /** A response from the server at addrs[from..from+3] timed from its query: times[i] seconds. */
  answered(addrs: Uint32Array, from: number, ipVersion: number, step: number, times: Float64Array, i: number): void {
    const s = this.slot(addrs, from, ipVersion, step);
    this.waits.addFrom(s, step, times, i);
    this.timed.add(s, step, 1);
  }

  expire(step: number): void {
    this.servers?.expire(step);
  }

  /**
   * Top n servers by SERVFAIL responses, by unanswered queries, by the time clients waited on them
   * (with, for the same servers in the same order, their timed responses), and by messages lost in
   * fragments, in the window, labelled server_ip.
   */
  report(n: number, step: number): { servfail: TopList; unanswered: TopList; wait: TopList; timed: TopList; fragmentsLost: TopList } {
    const wait = this.top(this.waits, n, step);
    const timed = { values: Float64Array.from(wait.slots, (s) => this.timed.sum(s, step)), labels: wait.list.labels };
    return {
      servfail: this.top(this.servfails, n, step).list,
      unanswered: this.top(this.unanswered, n, step).list,
      wait: wait.list,
      timed,
      fragmentsLost: this.top(this.fragmentsLost, n, step).list,
    };
  }

  private slot(addrs: Uint32Array, from: number, v: number, step: number): number {
    if (this.servers === null) {
      this.servers = new KeyTable(SERVER_WIDTH, 0, this.maxServers);
      this.servfails = new WindowCounts(this.maxServers);
      this.unanswered = new WindowCounts(this.maxServers);
      this.fragmentsLost = new WindowCounts(this.maxServers);
      this.waits = new WindowCounts(this.maxServers);
      this.timed = new WindowCounts(this.maxServers);
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
      this.fragmentsLost.reset(s, step);
      this.waits.reset(s, step);
      this.timed.reset(s, step);
    }
    return s;
  }

  /** The top n servers by `counts` in the window, and their slots (for other counts of the same servers). */
  private top(counts: WindowCounts, n: number, step: number): { list: TopList; slots: number[] } {
    const st = this.servers;
    const sel = this.selector;
    if (st === null || sel === null) return { list: EMPTY_TOP_LIST, slots: [] };
    const { slots, scores } = sel.topOf(st, counts, n, step);
    const labels = slots.map((s) => addressText(st.rec, s * st.stride, s * st.stride + 2, st.rec[s * st.stride + 1]!));
    return { list: { values: Float64Array.from(scores), labels }, slots };
  }
}
