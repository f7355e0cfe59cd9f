import type { DecodedPacket } from '../decode/packet';
import { DNS_HEADER_LEN, DnsHeader, noteName, readQtype, recordsCaptured } from './dns-message';
import { DnsRingTable } from './dns-ring-table';
import { tcpPayloadLength } from './tcp-segment';

/** Where framed messages go (the DNS analyser). */
export interface DnsMessageSink {
  /** One whole message, timed at pkt.ts (the segment that completed it). */
  message(ifIndex: number, pkt: DecodedPacket, transport: number, h: DnsHeader): void;
  /** A message too short for a DNS header. */
  malformed(ifIndex: number): void;
}

export const TRANSPORT_TCP = 2;

/** Per-stream Int32 words. */
const W_MODE = 0;
/** HEAD: the sequence number of the current message's first byte; BODY: of the byte after its end. */
const W_SEQ = 1;
const W_ACC = 2; // bytes of the message's start gathered so far (HEAD)
const W_ID = 3;
const W_FLAGS = 4;
const W_QTYPE = 5;
/** The current message: K_WHOLE (with a whole header), K_SHORT (the id and flags only), K_NONE (less). */
const W_KIND = 6;
const WORDS = 7;
const K_WHOLE = 0;
const K_SHORT = 1;
const K_NONE = 2;
/**
 * Messages shorter than a DNS header read in one segment at most (Wireshark reads them all); after
 * that the rest of the segment is not searched: a large segment of zeros is tens of thousands of
 * empty "messages". 1024 covers any segment of a 1500-byte MTU (730 at most).
 */
const MAX_SHORT_MESSAGES = 1024;
/** The first bytes of a message: its length prefix and DNS header (RFC 7766 section 8). */
const START_LEN = 2 + DNS_HEADER_LEN;

/** Modes: where the next message starts is unknown / gathering a message's start / skipping its body. */
const LOST = 0;
const HEAD = 1;
const BODY = 2;
const LIVE = 1;

const SYN = 0x02;

/**
 * DNS over TCP: each message is preceded by a 2-byte length, a segment may hold several messages or a
 * part of one, and a message's start may be split across segments. netmon keeps no payload, so rather
 * than reassembling it follows each direction's sequence numbers: it gathers the 14 bytes of each
 * message's start (length and header, never more), then skips the body to the sequence number where
 * the next message starts. A message counts when the segment holding its last byte arrives, the time
 * at which Wireshark dissects a reassembled message. Segments wholly before that point
 * (retransmissions) are skipped; after a gap, or when a message start was not captured (snap length),
 * the next segment is assumed to start a message. A message shorter than a DNS header is malformed
 * and, as for Wireshark, counted by its id and flags (untimed) when it has them; reading goes on
 * after it (up to MAX_SHORT_MESSAGES in a segment). Out-of-order segments are not reordered. Streams
 * live in a bounded table (dns.max_tcp_streams, the oldest reused first); they are kept after FIN or
 * RST, so that a late retransmission is still recognised as one.
 */
export class DnsTcpStreams {
  private readonly table: DnsRingTable;
  private w = new Int32Array(0);
  /** START_LEN bytes per stream: the message start gathered so far. */
  private acc = new Uint8Array(0);
  private readonly key = new Int32Array(10);
  private readonly h = new DnsHeader();

  constructor(capacity: number) {
    this.table = new DnsRingTable(capacity, 10);
  }

  /**
   * One TCP segment on a DNS port (pkt has a decoded TCP header). `ownSnap`: a segment cut by the
   * capture is netmon's own snap length (live), followed by its length as any other.
   */
  segment(sink: DnsMessageSink, ifIndex: number, buf: Buffer, pkt: DecodedPacket, ownSnap: boolean): void {
    const flags = pkt.tcpFlags;
    const len = tcpPayloadLength(buf, pkt);
    const t = this.table;
    const k = this.key;
    const a = pkt.addrs;
    for (let i = 0; i < 8; i++) k[i] = a[i]!;
    k[8] = (pkt.srcPort << 16) | pkt.dstPort;
    k[9] = pkt.ipVersion;
    const hh = t.hash(k);
    let s = t.find(k, hh);
    if (s < 0) {
      if ((flags & SYN) === 0 && len <= 0) return;
      const n = t.nextSlot();
      if (t.state[n] !== 0) t.remove(n);
      s = t.insert(k, hh, LIVE);
      if (this.w.length === 0) {
        this.w = new Int32Array(t.capacity * WORDS);
        this.acc = new Uint8Array(t.capacity * START_LEN);
      }
      this.w[s * WORDS + W_MODE] = LOST;
    }
    const w = this.w;
    const b = s * WORDS;
    const l4 = pkt.l4Offset;
    const seq = (buf[l4 + 4]! << 24) | (buf[l4 + 5]! << 16) | (buf[l4 + 6]! << 8) | buf[l4 + 7]!;
    if ((flags & SYN) !== 0) {
      // The first message starts after the SYN, which takes one sequence number.
      w[b + W_MODE] = HEAD;
      w[b + W_SEQ] = (seq + 1) | 0;
      w[b + W_ACC] = 0;
    } else if (len > 0) {
      if (!ownSnap && l4Data(buf, pkt) + len > pkt.capEnd) this.cutSegment(sink, ifIndex, buf, pkt, b, seq, len);
      else this.payload(sink, ifIndex, buf, pkt, b, seq, len);
    }
  }

  /**
   * A segment the capture file cut: Wireshark does not reassemble it (packet-tcp.c: only a segment
   * captured whole may be), and reads its captured bytes as messages from its first byte
   * (tcp_dissect_pdus), up to the first one not captured whole: each with its id and flags captured
   * counts, timed only when its records were captured (DnsHeader.cut). When the last one's length
   * goes past the segment, the next message starts there (Wireshark's PDU tracking: the bytes before
   * are skipped). Otherwise a message begun before (its length known) still ends where it did (it
   * will not count: this segment's bytes are missing from it), and without one the next segment is
   * taken to start a message.
   */
  private cutSegment(sink: DnsMessageSink, ifIndex: number, buf: Buffer, pkt: DecodedPacket, b: number, seq: number, len: number): void {
    const w = this.w;
    const mode = w[b + W_MODE]!;
    if (mode === HEAD && w[b + W_ACC]! >= 2) {
      // The current message's length is known: Wireshark, reassembling it, knows where it ends.
      const ab = (b / WORDS) * START_LEN;
      w[b + W_MODE] = BODY;
      w[b + W_SEQ] = (w[b + W_SEQ]! + 2 + ((this.acc[ab]! << 8) | this.acc[ab + 1]!)) | 0;
      w[b + W_KIND] = K_NONE;
    } else if (mode === BODY) {
      w[b + W_KIND] = K_NONE;
    } else {
      w[b + W_MODE] = LOST;
    }
    const capEnd = pkt.capEnd;
    const h = this.h;
    const data = l4Data(buf, pkt);
    let p = data;
    const end = p + len;
    let shorts = 0;
    while (p + 2 <= capEnd) {
      const mlen = (buf[p]! << 8) | buf[p + 1]!;
      const m = p + 2;
      const msgEnd = m + mlen;
      const lim = msgEnd < capEnd ? msgEnd : capEnd;
      const whole = m + DNS_HEADER_LEN <= lim;
      if (!whole) sink.malformed(ifIndex);
      if (m + 4 <= lim) {
        h.id = (buf[m]! << 8) | buf[m + 1]!;
        h.flags = (buf[m + 2]! << 8) | buf[m + 3]!;
        h.qtype = whole && ((buf[m + 4]! << 8) | buf[m + 5]!) !== 0 ? readQtype(buf, m + DNS_HEADER_LEN, lim) : -1;
        h.cut = !whole || (msgEnd > capEnd && !recordsCaptured(buf, m, capEnd));
        noteName(h, buf, m);
        sink.message(ifIndex, pkt, TRANSPORT_TCP, h);
      }
      if (msgEnd > end) {
        w[b + W_MODE] = BODY;
        w[b + W_SEQ] = (seq + (msgEnd - data)) | 0;
        w[b + W_KIND] = K_NONE; // counted already
        return;
      }
      if (msgEnd >= capEnd || msgEnd === end) return;
      if (mlen < DNS_HEADER_LEN && ++shorts > MAX_SHORT_MESSAGES) return;
      p = msgEnd;
    }
  }

  private payload(sink: DnsMessageSink, ifIndex: number, buf: Buffer, pkt: DecodedPacket, b: number, seq: number, len: number): void {
    const w = this.w;
    let mode = w[b + W_MODE]!;
    // Segment offset of the first byte still to look at.
    let pos = mode === LOST ? 0 : ((w[b + W_SEQ]! + (mode === HEAD ? w[b + W_ACC]! : 0)) - seq) | 0;
    if (mode === LOST || pos < 0 || (mode === BODY && pos === 0)) {
      // A gap (bytes never seen), or nothing known: assume a message starts here.
      mode = HEAD;
      w[b + W_SEQ] = seq;
      w[b + W_ACC] = 0;
      pos = 0;
    }
    const dataAt = l4Data(buf, pkt);
    const capEnd = pkt.capEnd;
    const acc = this.acc;
    const ab = (b / WORDS) * START_LEN;
    let shorts = 0;
    /** Where the question of the message begun in this segment lies in buf (-1: none, or begun earlier). */
    let nameAt = -1;
    for (;;) {
      if (mode !== HEAD) {
        const end = (w[b + W_SEQ]! - seq) | 0;
        if (end > len) break; // the body continues in a later segment
        const kind = w[b + W_KIND]!;
        if (kind !== K_NONE) {
          const h = this.h;
          h.id = w[b + W_ID]!;
          h.flags = w[b + W_FLAGS]!;
          h.qtype = w[b + W_QTYPE]!;
          h.cut = kind === K_SHORT;
          h.nameAt = nameAt;
          h.nameBuf = buf;
          sink.message(ifIndex, pkt, TRANSPORT_TCP, h);
        }
        mode = HEAD;
        w[b + W_ACC] = 0;
        pos = end;
        nameAt = -1;
      }
      if (pos >= len) break;
      // Gather the message start: the length prefix, then the header (or the whole message if shorter).
      let n = w[b + W_ACC]!;
      if (n === 0) w[b + W_SEQ] = (seq + pos) | 0;
      let want = n < 2 ? 2 : Math.min(START_LEN, 2 + ((acc[ab]! << 8) | acc[ab + 1]!));
      while (n < want && pos < len) {
        if (dataAt + pos >= capEnd) {
          // On the wire but not captured: where the next message starts is lost.
          w[b + W_MODE] = LOST;
          return;
        }
        acc[ab + n++] = buf[dataAt + pos++]!;
        if (n === 2) want = Math.min(START_LEN, 2 + ((acc[ab]! << 8) | acc[ab + 1]!));
      }
      w[b + W_ACC] = n;
      if (n < want) break; // continues in the next segment
      const mlen = (acc[ab]! << 8) | acc[ab + 1]!;
      const start = w[b + W_SEQ]!;
      if (2 + mlen >= START_LEN) {
        w[b + W_ID] = (acc[ab + 2]! << 8) | acc[ab + 3]!;
        const f = (acc[ab + 4]! << 8) | acc[ab + 5]!;
        w[b + W_FLAGS] = f;
        // The question follows the header; read it when it is in this segment, as it nearly always is.
        const qd = (acc[ab + 6]! << 8) | acc[ab + 7]!;
        const bodyEnd = Math.min(len, ((start + 2 + mlen - seq) | 0));
        const qtype = qd !== 0 ? readQtype(buf, dataAt + pos, Math.min(capEnd, dataAt + bodyEnd)) : -1;
        w[b + W_QTYPE] = qtype;
        // Its name, for the message's end when that is in this segment too (a message that ends in a
        // later one has no name: only its header fields are kept).
        nameAt = qtype >= 0 ? dataAt + pos : -1;
        w[b + W_KIND] = K_WHOLE;
      } else {
        // Shorter than a DNS header (gathered whole): malformed, and a message by its id and flags
        // when it has them.
        sink.malformed(ifIndex);
        if (++shorts > MAX_SHORT_MESSAGES) {
          w[b + W_MODE] = LOST;
          return;
        }
        w[b + W_ID] = (acc[ab + 2]! << 8) | acc[ab + 3]!;
        w[b + W_FLAGS] = (acc[ab + 4]! << 8) | acc[ab + 5]!;
        w[b + W_QTYPE] = -1;
        w[b + W_KIND] = mlen >= 4 ? K_SHORT : K_NONE;
      }
      mode = BODY;
      w[b + W_SEQ] = (start + 2 + mlen) | 0;
    }
    w[b + W_MODE] = mode;
  }
}

function l4Data(buf: Buffer, pkt: DecodedPacket): number {
  const l4 = pkt.l4Offset;
  return l4 + ((buf[l4 + 12]! >>> 4) << 2);
}
