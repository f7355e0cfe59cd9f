/**
 * The DNS message header (RFC 1035 section 4.1.1) and the first question's QTYPE (4.1.2), read from
 * captured bytes without allocating. Names are skipped, never kept: netmon exports no query names.
 */

/** Fields of one message; one instance is reused for every message. */
export class DnsHeader {
  id = 0;
  /** The 16-bit flags word: QR 0x8000, opcode (>> 11) & 15, TC 0x0200, rcode & 15. */
  flags = 0;
  /** QTYPE of the first question, or -1 when there is none or it was not captured (queries and responses). */
  qtype = -1;
  /**
   * The message ends (as captured: a file's snap length cut it; or on the wire: shorter than a
   * header) before the end of its records: a response is then matched but not timed, as Wireshark
   * adds dns.time only after dissecting every record.
   */
  cut = false;
}

export const DNS_HEADER_LEN = 12;
const QR = 0x8000;

/** True when the message is a response (QR bit set). */
export const isResponse = (flags: number): boolean => (flags & QR) !== 0;

/**
 * Reads the header of the message at `p` (its first byte) into `out`, looking no further than `end`
 * (one past the last captured byte) nor `msgEnd` (one past the message's last byte). Returns false
 * when not even the id and flags are there; when they are but the rest of the 12-byte header is not
 * (a message too short, or cut), sets out.cut, as Wireshark counts such a message by its flags and
 * matches it but meets its end before timing it.
 */
export function readDnsHeader(buf: Buffer, p: number, msgEnd: number, end: number, out: DnsHeader): boolean {
  const lim = msgEnd < end ? msgEnd : end;
  if (p + 4 > lim) return false;
  out.id = (buf[p]! << 8) | buf[p + 1]!;
  const flags = (buf[p + 2]! << 8) | buf[p + 3]!;
  out.flags = flags;
  out.qtype = -1;
  out.cut = p + DNS_HEADER_LEN > lim;
  if (!out.cut && ((buf[p + 4]! << 8) | buf[p + 5]!) !== 0) out.qtype = readQtype(buf, p + DNS_HEADER_LEN, lim);
  return true;
}

/**
 * QTYPE of the question whose QNAME starts at `q`, looking no further than `lim`; -1 when not there.
 * QNAME: labels of up to 63 bytes ending with a zero byte, or a compression pointer (two bytes, top
 * bits 11) ending it; at most 255 bytes (RFC 1035 section 3.1), so the walk is bounded.
 */
export function readQtype(buf: Buffer, q: number, lim: number): number {
  const nameLimit = q + 255;
  for (;;) {
    if (q >= lim || q > nameLimit) return -1;
    const len = buf[q]!;
    if (len === 0) {
      q += 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      q += 2;
      break;
    }
    if ((len & 0xc0) !== 0) return -1; // reserved label types (RFC 6891 section 5)
    q += len + 1;
  }
  return q + 2 <= lim ? (buf[q]! << 8) | buf[q + 1]! : -1;
}

/**
 * True when the questions and resource records that the header of the message at `p` counts all lie
 * before `lim` (one past the last captured byte of the message): Wireshark then dissects them all
 * without meeting the end of the captured data. A name's compression pointer must point at a
 * captured byte (Wireshark follows it). Bounded: every step moves forward, and the walk stops at lim.
 */
export function recordsCaptured(buf: Buffer, p: number, lim: number): boolean {
  if (p + DNS_HEADER_LEN > lim) return false;
  const questions = (buf[p + 4]! << 8) | buf[p + 5]!;
  const records = ((buf[p + 6]! << 8) | buf[p + 7]!) + ((buf[p + 8]! << 8) | buf[p + 9]!) + ((buf[p + 10]! << 8) | buf[p + 11]!);
  let q = p + DNS_HEADER_LEN;
  for (let i = 0; i < questions + records; i++) {
    q = skipName(buf, p, q, lim);
    if (q < 0) return false;
    if (i < questions) {
      q += 4; // QTYPE, QCLASS
      if (q > lim) return false;
    } else {
      if (q + 10 > lim) return false; // TYPE, CLASS, TTL, RDLENGTH
      q += 10 + ((buf[q + 8]! << 8) | buf[q + 9]!);
      if (q > lim) return false;
    }
  }
  return true;
}

/** The offset after the name at `q` of the message at `msg`, or -1 when it runs to `lim` or points past it. */
function skipName(buf: Buffer, msg: number, q: number, lim: number): number {
  for (;;) {
    if (q >= lim) return -1;
    const len = buf[q]!;
    if (len === 0) return q + 1;
    if ((len & 0xc0) === 0xc0) {
      if (q + 2 > lim) return -1;
      return msg + (((len & 0x3f) << 8) | buf[q + 1]!) < lim ? q + 2 : -1;
    }
    q += len + 1;
  }
}
