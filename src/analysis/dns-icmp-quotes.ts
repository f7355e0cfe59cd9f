import { decodeIcmpQuote } from '../decode/icmp-quote';
import { DecodedPacket } from '../decode/packet';
import { DNS_ICMP_QUOTED, DNS_Q, DNS_R, DNS_TRUNCATED } from './dns-counters';
import { DNS_HEADER_LEN, isResponse, isTruncated, readQtype } from './dns-message';
import { qtypeIndex } from './dns-names';

/**
 * DNS messages quoted in ICMP and ICMPv6 errors, counted as tshark's DNS fields count them
 * (Wireshark dissects the quote) into one interface's DNS counters (dns-counters.ts).
 */
export class DnsIcmpQuotes {
  private readonly quote = new DecodedPacket();

  /** The analyser's DNS ports over UDP and over TCP (1 for a DNS port). */
  constructor(private readonly udpPorts: Uint8Array, private readonly tcpPorts: Uint8Array) {}

  /**
   * An ICMP or ICMPv6 packet (the pipeline passes those, which have no ports): when it is an error
   * quoting a DNS message over UDP or TCP (at least its id and flags), that message counts by QTYPE
   * or RCODE (and TC), as tshark's DNS fields count it (Wireshark dissects the quote), but it is no
   * transaction: not matched, timed or unanswered. Counted in DNS_ICMP_QUOTED too.
   */
  observe(c: Float64Array, buf: Buffer, pkt: DecodedPacket): void {
    const q = this.quote;
    if (!decodeIcmpQuote(buf, pkt, q) || q.l4Offset < 0 || (q.ipProto !== 17 && q.ipProto !== 6)) return;
    const ports = q.ipProto === 17 ? this.udpPorts : this.tcpPorts;
    if ((ports[q.srcPort]! | ports[q.dstPort]!) === 0) return;
    const l4 = q.l4Offset;
    const end = q.capEnd;
    if (q.ipProto === 17) {
      const ulen = (buf[l4 + 4]! << 8) | buf[l4 + 5]!;
      this.quoted(c, buf, l4 + 8, ulen >= 8 ? l4 + ulen : end, end);
      return;
    }
    // TCP: the quoted payload is read as messages with their length prefixes from its first byte,
    // as Wireshark dissects a quoted segment (no reassembly), while a prefix, id and flags remain.
    let p = l4 + ((buf[l4 + 12]! >> 4) << 2);
    while (p + 2 + 4 <= end) {
      const len = (buf[p]! << 8) | buf[p + 1]!;
      this.quoted(c, buf, p + 2, p + 2 + len, end);
      p += 2 + len;
    }
  }

  /**
   * A quoted message at `p` (its end msgEnd, captured to `end`): by QTYPE or RCODE, nothing else.
   * Its id and flags (4 bytes) suffice, as for Wireshark, which adds the flags' fields before it
   * meets the end of a cut quote (a quote's limit often falls inside a message).
   */
  private quoted(c: Float64Array, buf: Buffer, p: number, msgEnd: number, end: number): void {
    const lim = msgEnd < end ? msgEnd : end;
    if (p + 4 > lim) return;
    const flags = (buf[p + 2]! << 8) | buf[p + 3]!;
    c[DNS_ICMP_QUOTED]++;
    if (isResponse(flags)) {
      c[DNS_R + (flags & 15)]++;
      if (isTruncated(flags)) c[DNS_TRUNCATED]++;
    } else {
      const questions = p + DNS_HEADER_LEN <= lim && ((buf[p + 4]! << 8) | buf[p + 5]!) !== 0;
      c[DNS_Q + qtypeIndex(questions ? readQtype(buf, p + DNS_HEADER_LEN, lim) : -1)]++;
    }
  }
}
