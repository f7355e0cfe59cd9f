/**
 * The DNS message header (RFC 1035 section 4.1.1) and the first question's QTYPE (4.1.2), read from
 * captured bytes without allocating. Names are skipped, never copied here: only where the first
 * question's name lies is noted, for the optional detector of failing names (dns-name-detector.ts).
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
  /**
   * Where the first question's QNAME starts in `nameBuf`, when it is captured whole (then qtype >= 0);
   * -1 when not (or for a message whose header came from elsewhere: reassembled fragments, a TCP
   * message split across segments).
   */
  nameAt = -1;
  nameBuf: Buffer | null = null;
}

export const DNS_HEADER_LEN = 12;
const QR = 0x8000;
const TC = 0x0200;

/** True when the message is a response (QR bit set). */
export const isResponse = (flags: number): boolean => (flags & QR) !== 0;
/** True when the message was truncated (TC bit set). */
export const isTruncated = (flags: number): boolean => (flags & TC) !== 0;

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
  noteName(out, buf, p);
  return true;
}

/** Notes the first question's name of the message at `p` (its qtype read), or none. */
export function noteName(out: DnsHeader, buf: Buffer, p: number): void {
  if (out.qtype >= 0) {
    out.nameAt = p + DNS_HEADER_LEN;
    out.nameBuf = buf;
  } else {
    out.nameAt = -1;
  }
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
 * before `lim` (one past the last byte of the message that is there: captured, and inside the
 * message): Wireshark then dissects them all without meeting that end. A name's compression pointer
 * must point before lim (Wireshark follows it); TXT, SPF, SVCB and HTTPS data are read as Wireshark
 * reads them, by their inner lengths, which in a malformed record run past the end (rdataFits).
 * Bounded: every step moves forward, and the walk stops at lim.
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
      const rdlength = (buf[q + 8]! << 8) | buf[q + 9]!;
      if (!rdataFits(buf, p, (buf[q]! << 8) | buf[q + 1]!, q + 10, rdlength, lim)) return false;
      q += 10 + rdlength;
      if (q > lim) return false;
    }
  }
  return true;
}

const T_TXT = 16;
const T_SPF = 99;
const T_SIG = 24;
const T_RRSIG = 46;
const T_NSEC = 47;
/** RRSIG and SIG: type covered, algorithm, labels, original TTL, expiration, inception, key tag. */
const SIG_FIXED = 18;
const T_SVCB = 64;
const T_HTTPS = 65;

/**
 * Whether Wireshark's dissector of a record of `type` whose data (`len` bytes) starts at `d` stays
 * before `lim` (packet-dns.c, dissect_dns_answer). Only the types it reads by lengths inside the
 * data are walked: TXT and SPF (strings, each after its length byte, until the data length is used
 * up exactly: a wrong length reads on), SVCB and HTTPS (priority, target name, then parameters: key,
 * length, and a value read by the key's rules, alpn by its own lengths, port as 2 bytes whatever the
 * length says), RRSIG and SIG (18 bytes of fixed fields, then the signer's name, whatever the
 * data length says: a record too short for them reads past it, and its signature's length, what
 * is left of the data, is then negative, which Wireshark refuses below -1), NSEC (the next name,
 * then the type bitmap in what is left). Data of 0 bytes is not read. Other
 * types are read within their data.
 */
function rdataFits(buf: Buffer, msg: number, type: number, d: number, len: number, lim: number): boolean {
  if (len === 0) return true;
  if (type === T_TXT || type === T_SPF) {
    let rest = len;
    let t = d;
    while (rest !== 0) {
      if (t + 1 > lim) return false;
      const n = buf[t]!;
      t += 1 + n;
      if (t > lim) return false;
      rest -= 1 + n;
    }
    return true;
  }
  if (type === T_RRSIG || type === T_SIG) {
    const nameEnd = d + SIG_FIXED <= lim ? skipName(buf, msg, d + SIG_FIXED, lim) : -1;
    // The signature is the rest of the data: a negative length throws, except -1 (to the end).
    return nameEnd >= 0 && len - (nameEnd - d) >= -1;
  }
  if (type === T_NSEC) {
    const nameEnd = skipName(buf, msg, d, lim);
    return nameEnd >= 0 && typeBitmapFits(buf, nameEnd, len - (nameEnd - d), lim);
  }
  if (type !== T_SVCB && type !== T_HTTPS) return true;
  let c = d + 2; // SvcPriority
  if (c > lim) return false;
  c = skipName(buf, msg, c, lim);
  if (c < 0) return false;
  while (len > c - d) {
    if (c + 4 > lim) return false;
    const key = (buf[c]! << 8) | buf[c + 1]!;
    const n = (buf[c + 2]! << 8) | buf[c + 3]!;
    c += 4;
    if (key === 1) {
      // alpn: length-prefixed ids until n bytes are read (or past them)
      for (let o = 0; o < n; ) {
        if (c + 1 > lim) return false;
        const l = buf[c]!;
        c += 1 + l;
        if (c > lim) return false;
        o += 1 + l;
      }
    } else if (key === 0 || key === 4 || key === 6) {
      // mandatory (2-byte keys), ipv4hint (4-byte addresses), ipv6hint (16): whole steps until n
      const step = key === 0 ? 2 : key === 4 ? 4 : 16;
      for (let o = 0; o < n; o += step) {
        c += step;
        if (c > lim) return false;
      }
    } else if (key === 3) {
      c += 2; // port
      if (c > lim) return false;
    } else if (key !== 2) {
      c += n; // no-default-alpn has no value; ech, odoh and unknown keys are n bytes
      if (c > lim) return false;
    }
  }
  return true;
}

/**
 * Whether an NSEC type bitmap of `rest` bytes at `c` is read before `lim`: windows (number, length,
 * then that many bytes) until exactly `rest` bytes are used; a length that overshoots never ends
 * the loop, which then runs into the end. Bounded: each window moves c forward by 2 or more.
 */
function typeBitmapFits(buf: Buffer, c: number, rest: number, lim: number): boolean {
  while (rest !== 0) {
    if (c + 2 > lim) return false;
    const n = buf[c + 1]!;
    c += 2 + n;
    if (c > lim) return false;
    rest -= 2 + n;
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
