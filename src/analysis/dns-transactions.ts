import type { DecodedPacket } from '../decode/packet';
import type { AnalysisEvents } from './detectors';
import { DNS_RESPONSE_TIME_BUCKETS } from '../metrics/catalog';
import {
  DNS_LATE, DNS_Q, DNS_R, DNS_RETRANSMITTED, DNS_TIME_BUCKETS, DNS_TIME_COUNT, DNS_TIME_SUM, DNS_TRUNCATED, DNS_UNANSWERED, DNS_UNMATCHED, DNS_UNTIMED,
} from './dns-counters';
import { isResponse, isTruncated } from './dns-message';
import type { DnsHeader } from './dns-message';
import { qtypeIndex } from './dns-names';
import { DnsRingTable } from './dns-ring-table';

/**
 * A repeated query (same id and endpoints) this soon after an unanswered one is a retransmission of
 * it, not a new transaction: Wireshark's dns.retransmission_timer default.
 */
const DNS_RETRANSMIT_WINDOW = 5;

/** The query waits for its response. */
const WAITING = 1;
/** Answered: remembered so that a repeated response is not taken for a new one. */
const ANSWERED = 2;
/** dns.timeout passed (counted unanswered unless multicast), remembered for dns.late_window to time a late response. */
const LATE = 3;
const PHASE = 3;
/** State bit: the transaction is a zone transfer (AXFR, IXFR), whose every response is timed. */
const MULTI = 4;
const AXFR = 252;
const IXFR = 251;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const NBUCKETS = DNS_RESPONSE_TIME_BUCKETS.length;
const BOUNDS = Float64Array.from(DNS_RESPONSE_TIME_BUCKETS);

/**
 * DNS transactions: each response matched to its query by transaction id and the two endpoints
 * (addresses, ports, transport), as Wireshark's DNS dissector matches them (packet-dns.c: the latest
 * transaction with that id in the conversation):
 *  - a query repeating a waiting one within DNS_RETRANSMIT_WINDOW is a retransmission and keeps the
 *    original's time; otherwise it starts a new transaction (a waiting one it replaces is unanswered);
 *  - the first response to a transaction is timed from its (first) query; a repeated response, or one
 *    without a query, is counted by RCODE but not timed (netmon_dns_unmatched_responses_total),
 *    except in a zone transfer (the question of the query, or of the latest response that has one, is
 *    AXFR or IXFR: Wireshark's multiple_responds), where every response is timed from the query;
 *  - a query still waiting after dns.timeout is unanswered (not one sent to a multicast group); it is
 *    remembered dns.late_window longer, and a response in that time is timed all the same
 *    (netmon_dns_late_responses_total), as Wireshark, which has no timeout, times it; later ones are
 *    unmatched;
 *  - a response cut (DnsHeader.cut) answers its query but is not timed (netmon_dns_untimed_responses_total),
 *    as Wireshark adds dns.time only after dissecting every record.
 * Every query is remembered dns.timeout + dns.late_window from its arrival, in a table of
 * dns.max_pending (allocated on first use): when it is full the oldest goes first, and only a query
 * still waiting counts as an eviction (the others were counted already).
 */
export class DnsTransactions {
  evictions = 0;
  /** Queries waiting now. */
  waiting = 0;
  private readonly timeout: number;
  /** dns.timeout + dns.late_window: the age at which a query is forgotten. */
  private readonly forget: number;
  private readonly queries: DnsRingTable;
  private reqTime = new Float64Array(0);
  private reqIface = new Uint16Array(0);
  private readonly key = new Int32Array(10);
  /** The detectors, told of SERVFAIL responses, timed responses and unanswered queries (null: detectors off). */
  events: AnalysisEvents | null = null;
  /** An unanswered query's server address, for events.dnsUnanswered. */
  private readonly server = new Uint32Array(4);
  /** A timed response's time, for events.dnsAnswered (a double argument would be boxed). */
  private readonly time = new Float64Array(1);

  /** `perInterface`: the analyser's counters (DNS_* layout), one array per interface, added as interfaces are. */
  constructor(private readonly perInterface: readonly Float64Array[], timeout: number, lateWindow: number, maxPending: number) {
    this.timeout = timeout;
    this.forget = timeout + lateWindow;
    this.queries = new DnsRingTable(maxPending, 10);
  }

  /** A DNS message (header `h`) of `pkt` over `transport` (in the key: UDP and TCP transactions differ). */
  message(ifIndex: number, pkt: DecodedPacket, transport: number, h: DnsHeader): void {
    const c = this.perInterface[ifIndex]!;
    const a = pkt.addrs;
    const k = this.key;
    const response = isResponse(h.flags);
    // The key names the client first: the query's source, the response's destination.
    const cl = response ? 4 : 0;
    const sv = response ? 0 : 4;
    k[0] = a[cl]!; k[1] = a[cl + 1]!; k[2] = a[cl + 2]!; k[3] = a[cl + 3]!;
    k[4] = a[sv]!; k[5] = a[sv + 1]!; k[6] = a[sv + 2]!; k[7] = a[sv + 3]!;
    k[8] = response ? (pkt.dstPort << 16) | pkt.srcPort : (pkt.srcPort << 16) | pkt.dstPort;
    k[9] = (h.id << 8) | (transport << 4) | pkt.ipVersion;
    const t = this.queries;
    const hh = t.hash(k);
    let s = t.find(k, hh);
    const now = pkt.ts;
    if (!response) {
      c[DNS_Q + qtypeIndex(h.qtype)]++;
      if (s >= 0) {
        if ((t.state[s]! & PHASE) === WAITING) {
          const age = now - this.reqTime[s]!;
          if (age < DNS_RETRANSMIT_WINDOW && age < this.timeout) {
            c[DNS_RETRANSMITTED]++;
            return;
          }
          this.expire(s);
        }
        t.remove(s);
      }
      const n = t.nextSlot();
      if (t.state[n] !== 0) {
        if ((t.state[n]! & PHASE) === WAITING) {
          this.evictions++;
          this.waiting--;
        }
        t.remove(n);
      }
      const q = t.insert(k, hh, h.qtype === AXFR || h.qtype === IXFR ? WAITING | MULTI : WAITING);
      if (this.reqTime.length === 0) {
        this.reqTime = new Float64Array(t.capacity);
        this.reqIface = new Uint16Array(t.capacity);
      }
      this.reqTime[q] = now;
      this.reqIface[q] = ifIndex;
      this.waiting++;
      return;
    }
    const rcode = h.flags & 15;
    c[DNS_R + rcode]++;
    if ((rcode === RCODE_SERVFAIL || rcode === RCODE_NXDOMAIN) && this.events !== null) {
      if (rcode === RCODE_SERVFAIL) this.events.dnsServfail(pkt);
      if (h.nameAt >= 0) this.events.dnsFailedName(pkt, h.nameBuf!, h.nameAt, rcode);
    }
    if (isTruncated(h.flags)) c[DNS_TRUNCATED]++;
    if (s < 0) s = this.sameDirection(pkt);
    if (s < 0) {
      c[DNS_UNMATCHED]++;
      return;
    }
    let st = t.state[s]!;
    // As Wireshark, a response's own question (when it has one) decides for the responses after it.
    if (h.qtype >= 0) t.state[s] = (st & PHASE) | (h.qtype === AXFR || h.qtype === IXFR ? MULTI : 0);
    if ((st & PHASE) === ANSWERED && (st & MULTI) === 0) {
      c[DNS_UNMATCHED]++;
      return;
    }
    const dt = now - this.reqTime[s]!;
    if (dt >= this.forget) {
      // Forgotten, though advance() has not swept it yet.
      if ((st & PHASE) === WAITING) this.expire(s);
      t.remove(s);
      c[DNS_UNMATCHED]++;
      return;
    }
    // Past dns.timeout, though advance() has not swept it yet: unanswered first, as it would have been.
    if ((st & PHASE) === WAITING && dt >= this.timeout) this.expire(s);
    st = t.state[s]!;
    if ((st & PHASE) !== ANSWERED) {
      if ((st & PHASE) === WAITING) this.waiting--;
      else c[DNS_LATE]++;
      t.state[s] = (st & MULTI) | ANSWERED;
    }
    if (h.cut) {
      // Wireshark matched it (before dissecting its records) but met the end of the captured data.
      c[DNS_UNTIMED]++;
      return;
    }
    let i = 0;
    while (i < NBUCKETS && dt > BOUNDS[i]!) i++;
    c[DNS_TIME_BUCKETS + i]++;
    c[DNS_TIME_SUM] += dt;
    c[DNS_TIME_COUNT]++;
    if (this.events !== null) {
      this.time[0] = dt;
      this.events.dnsAnswered(pkt, this.time);
    }
  }

  /**
   * A response that no query sent the other way explains: the query it answers may have gone the
   * same way (a host answering its own multicast query: sender and group are the same two ends).
   * Wireshark matches by conversation, which has no direction; so does this second lookup, paid
   * only by unmatched responses. The key (words 8 and 9 kept) is turned to name the sender first.
   */
  private sameDirection(pkt: DecodedPacket): number {
    const a = pkt.addrs;
    const k = this.key;
    k[0] = a[0]!; k[1] = a[1]!; k[2] = a[2]!; k[3] = a[3]!;
    k[4] = a[4]!; k[5] = a[5]!; k[6] = a[6]!; k[7] = a[7]!;
    k[8] = (pkt.srcPort << 16) | pkt.dstPort;
    return this.queries.find(k, this.queries.hash(k));
  }

  /** At packet time `now`: the queries waiting dns.timeout become unanswered, those older than dns.timeout + dns.late_window are forgotten. */
  advance(now: number): void {
    const t = this.queries;
    for (let s = t.unswept(); s >= 0 && now - this.reqTime[s]! >= this.timeout; s = t.unswept()) {
      if ((t.state[s]! & PHASE) === WAITING) this.expire(s);
      t.swept();
    }
    for (let s = t.oldest(); s >= 0 && now - this.reqTime[s]! >= this.forget; s = t.oldest()) {
      if ((t.state[s]! & PHASE) === WAITING) this.expire(s);
      t.remove(s);
    }
  }

  /**
   * A waiting query that got no response in dns.timeout: counted unanswered, and kept (LATE) for a
   * late response. One sent to a multicast group (mDNS, LLMNR: any number of hosts, or none, answer
   * from their own addresses) is not unanswered: it is kept uncounted.
   */
  private expire(s: number): void {
    this.waiting--;
    const t = this.queries;
    t.state[s] = (t.state[s]! & MULTI) | LATE;
    // The key names the server at words 4..7 and the IP version in the low bits of word 9.
    const k = t.keys;
    const b = s * 10;
    const version = k[b + 9]! & 15;
    const first = k[b + 4]! >>> 0;
    if (version === 4 ? first >>> 28 === 0xe : first >>> 24 === 0xff) return;
    this.perInterface[this.reqIface[s]!]![DNS_UNANSWERED]++;
    const events = this.events;
    if (events !== null) {
      for (let i = 0; i < 4; i++) this.server[i] = k[b + 4 + i]! >>> 0;
      events.dnsUnanswered(this.server, version);
    }
  }
}
