/**
 * IPv6 extension headers as far as they change the packet's endpoints for the analysis, read as
 * Wireshark 4.0 does (epan/dissectors/packet-ipv6.c, Debian 12's tshark 4.0.17). Wireshark's
 * conversations, TCP streams and DNS matching use the addresses these give, so netmon's flows and
 * analysis do too (named filters still test the header's bytes, as tcpdump does):
 *  - a routing header with Segments Left above 0 makes its final address the destination: type 0
 *    (RFC 2460), its last address; type 2 (Mobile IPv6, RFC 6275), the home address; type 3 (RPL,
 *    RFC 6554), its last address, whose elided bytes are the current destination's; type 4 (segment
 *    routing, RFC 8754), segment list [0];
 *  - a Home Address destination option (201, RFC 6275) makes its address the source, found by
 *    Wireshark's walk of the options (ipv6Options);
 *  - a routing header shorter than what Wireshark's dissector for its type reads (a type 2 header
 *    without room for the home address, a segment list longer than the header, RPL addresses past
 *    it, a compact routing header whose SIDs are all nonzero), or an option Wireshark reads past the
 *    packet, makes Wireshark stop the frame there ("Malformed Packet"): its TCP or UDP header is
 *    not dissected.
 */

/** The destination before an RPL header, and an RPL address put together (no allocation per packet). */
const origin = new Uint8Array(16);
const scratch = new Uint8Array(16);

/** More bytes than any packet holds: what optionRead returns for an option Wireshark throws on. */
const PAST = 1 << 20;

/** MPL option: seed ID bytes for its S field (RFC 7731 6.1). */
const MPL_SEED_BYTES = [0, 2, 8, 16];

/** Sets out words a[w..w+3] to the 16 bytes of buf at o. */
function setAddress(a: Uint32Array, w: number, buf: Buffer | Uint8Array, o: number): void {
  for (let i = 0; i < 4; i++) {
    const q = o + (i << 2);
    a[w + i] = (buf[q]! << 24) | (buf[q + 1]! << 16) | (buf[q + 2]! << 8) | buf[q + 3]!;
  }
}

/**
 * The routing header at q (its length already checked against the capture) of a packet whose
 * addresses are in `a` (source a[0..3], destination a[4..7]): replaces the destination as
 * Wireshark does and returns false, or returns true when Wireshark's dissector of its type reads
 * past it (the frame ends there; the destination may already be replaced, as in Wireshark).
 */
export function ipv6RoutingHeader(buf: Buffer, q: number, a: Uint32Array): boolean {
  const hlen = buf[q + 1]!;
  const type = buf[q + 2]!;
  const segleft = buf[q + 3]!;
  // Wireshark hands the type's dissector the header after its first 4 bytes.
  const d = q + 4;
  const dlen = ((hlen + 1) << 3) - 4;
  switch (type) {
    case 0: {
      const count = hlen >>> 1;
      if (count > 0 && segleft > 0) setAddress(a, 4, buf, d + 4 + ((count - 1) << 4));
      return false;
    }
    case 2:
      if (dlen < 20) return true;
      if (segleft > 0) setAddress(a, 4, buf, d + 4);
      return false;
    case 3:
      return rpl(buf, d, dlen, hlen, segleft, a);
    case 4: {
      const count = buf[d]! + 1;
      if (4 + 16 > dlen) return true;
      if (segleft > 0) setAddress(a, 4, buf, d + 4);
      return 4 + (count << 4) > dlen;
    }
    case 5:
    case 6:
      return compactThrows(buf, d, dlen, segleft, type === 5 ? 2 : 4);
    default:
      return false;
  }
}

/**
 * RPL source route (type 3): n = ((len * 8 - pad - (16 - cmprE)) / (16 - cmprI)) + 1 addresses (C
 * integer division), each but the last carrying 16 - cmprI bytes, the last 16 - cmprE; the bytes
 * elided in front are those of the destination before this header. Wireshark sets the destination
 * to each address in turn, so the last one read is the destination.
 */
function rpl(buf: Buffer, d: number, dlen: number, hlen: number, segleft: number, a: Uint32Array): boolean {
  const cmprI = buf[d]! >>> 4;
  const cmprE = buf[d]! & 15;
  const pad = buf[d + 1]! >>> 4;
  const count = hlen > 0 ? Math.trunc((hlen * 8 - pad - (16 - cmprE)) / (16 - cmprI)) + 1 : 0;
  if (count <= 0) return false;
  for (let i = 0; i < 4; i++) {
    const w = a[4 + i]!;
    const b = i << 2;
    origin[b] = w >>> 24;
    origin[b + 1] = w >>> 16;
    origin[b + 2] = w >>> 8;
    origin[b + 3] = w;
  }
  let o = 4;
  for (let idx = 1; idx <= count; idx++) {
    const carried = idx === count ? 16 - cmprE : 16 - cmprI;
    if (o + carried > dlen) return true;
    if (segleft > 0) {
      scratch.set(origin);
      for (let k = 0; k < carried; k++) scratch[16 - carried + k] = buf[d + o + k]!;
      setAddress(a, 4, scratch, 0);
    }
    o += carried;
  }
  return false;
}

/**
 * Compact routing headers (types 5 and 6, draft-bonica-6man-comp-rtg-hdr; `size` bytes per SID):
 * Wireshark 4.0 reads the current SID at Segments Left, then SIDs until a zero one, reading one
 * past the header when the first len * 8 + 4 bytes hold no zero SID. Neither changes an address.
 */
function compactThrows(buf: Buffer, d: number, dlen: number, segleft: number, size: number): boolean {
  if ((segleft + 1) * size > dlen) return true;
  for (let o = 0; o < dlen; o += size) {
    let sid = 0;
    for (let k = 0; k < size; k++) sid |= buf[d + o + k]!;
    if (sid === 0) return false;
  }
  return true;
}

/**
 * How many bytes after its type and length Wireshark 4.0's dissector of the option at o (type
 * `type`, length `len`) reads: the walk goes on after that, or after the option's length if
 * longer. Unknown, padding and experimental options are read as `len` bytes. PAST (more
 * than any packet) when a byte it decides on lies at or past `end`: Wireshark throws there.
 */
function optionRead(buf: Buffer, o: number, type: number, len: number, end: number): number {
  const decides = type === 0x31 ? o + 5 : type === 0x07 ? o + 4 : o;
  if ((type === 0x26 || type === 0x31 || type === 0x07 || type === 0x08 || type === 0x8c || type === 0x6d) && decides >= end) return PAST;
  switch (type) {
    case 0x04: // Tunnel Encapsulation Limit
      return 1;
    case 0x05: // Router Alert
      return 2;
    case 0xc2: // Jumbo Payload
    case 0x63: // RPL
    case 0x30: // Minimum Path MTU
    case 0x41: // Tunnel Payload Forwarding
      return 4;
    case 0xee: // DFF
      return 3;
    case 0x0f: // Performance and Diagnostic Metrics
      return 10;
    case 0xc9: // Home Address
      return 16;
    case 0x26: { // Quick-Start: a rate request or report, else only the function byte
      const fn = buf[o]! >>> 4;
      return fn === 0 || fn === 8 ? 6 : 0;
    }
    case 0x31: { // IOAM: reserved and type bytes, then a trace option's header
      if (len === 0) return PAST; // its subtree of len - 2 bytes: -1 is "to the end", -2 throws
      if (buf[o + 1]! > 1) return 2;
      return ioamTrace(buf, o, len, end);
    }
    case 0x07: // CALIPSO: its compartment bitmap is Cmpt Length 32-bit words
      return 8 + buf[o + 4]! * 4;
    case 0x08: { // SMF_DPD: a hash (H-DPD), or a tagger ID and an identifier (I-DPD)
      const b = buf[o]!;
      if ((b & 0x80) !== 0) return len;
      const tid = (b & 0x70) !== 0 ? (b & 15) + 1 : 0;
      const ident = len - 1 - tid;
      return 1 + tid + (ident > 0 ? ident : 0);
    }
    case 0x8c: { // Line Identification: its length byte, cut to the option's
      const lid = buf[o]! + 1 > len ? len - 1 : buf[o]!;
      return 1 + lid;
    }
    case 0x6d: // MPL: flags, sequence, a seed ID of 0, 2, 8 or 16 bytes
      return 2 + MPL_SEED_BYTES[buf[o]! >>> 6]!;
    default:
      return len;
  }
}

/** Bytes of an IOAM trace node for each bit of the trace type (RFC 9197 4.4.1; bit 22, the opaque snapshot, apart). */
const IOAM_NODE_BYTES = [4, 4, 4, 4, 4, 4, 4, 4, 8, 8, 8, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4];

/**
 * An IOAM pre-allocated or incremental trace option at o (after its type and length), as
 * Wireshark 4.0 walks it: the header to o + 10, then, when its node length and remaining length
 * make sense, the free space and the nodes, each read field by field as its trace type says (and
 * an opaque state snapshot after each, for bit 22), stopping at a node whose fields are not the
 * node length. Returns the bytes read, or PAST when a read lies past `end`.
 */
function ioamTrace(buf: Buffer, o: number, optLen: number, end: number): number {
  if (o + 10 > end) return PAST;
  const nodeLen = buf[o + 4]! >>> 3;
  const remLen = buf[o + 5]! & 0x7f;
  const traceType = (buf[o + 6]! << 16) | (buf[o + 7]! << 8) | buf[o + 8]!;
  if (nodeLen === 0 || remLen * 4 > optLen - 10) return 10;
  let at = 10 + remLen * 4;
  if (o + at > end) return PAST;
  let node = 0;
  for (let bit = 0; bit < 22; bit++) if ((traceType & (1 << (23 - bit))) !== 0) node += IOAM_NODE_BYTES[bit]!;
  let left = optLen - at;
  while (left !== 0 && left >= nodeLen * 4) {
    if (o + at + node > end) return PAST;
    if (node !== nodeLen * 4) return at;
    at += node;
    left -= node;
    if ((traceType & 2) !== 0) {
      if (left < 4) return at;
      if (o + at + 4 > end) return PAST;
      const ossLen = buf[o + at]!;
      at += 4;
      left -= 4;
      if (left < ossLen * 4) return at;
      if (o + at + ossLen * 4 > end) return PAST;
      at += ossLen * 4;
      left -= ossLen * 4;
    }
  }
  return at;
}

/**
 * The hop-by-hop or destination options header at q, `len` bytes, of a packet whose data ends at
 * `end`: a Home Address option makes its 16 bytes (read whatever the option's length says) the
 * source. Returns true when Wireshark's walk of the options reads past the packet (the frame ends
 * there). The walk follows Wireshark's: after each option, at the end of what its dissector read
 * or of its length, whichever is further (optionRead).
 */
export function ipv6Options(buf: Buffer, q: number, len: number, end: number, a: Uint32Array): boolean {
  const stop = q + len;
  let o = q + 2;
  while (o < stop) {
    if (o >= end) return true;
    const type = buf[o]!;
    if (type === 0) {
      o++;
      continue;
    }
    if (o + 2 > end) return true;
    const optLen = buf[o + 1]!;
    o += 2;
    const read = optionRead(buf, o, type, optLen, end);
    // Wireshark shows what its dissector did not read of the option's length as unknown data, so
    // both must lie in the packet; some read their first byte even when they then go on from the
    // option's start (a Quick-Start of another function, a Line ID or SMF_DPD option of length 0).
    // A Home Address past the packet throws before it is taken; within it, it is taken even when
    // the rest of the option's length then runs past.
    const next = read > optLen ? read : optLen;
    if (type === 0xc9) {
      if (o + 16 > end) return true;
      setAddress(a, 0, buf, o);
    }
    if (o + (next === 0 && (type === 0x26 || type === 0x8c || type === 0x08) ? 1 : next) > end) return true;
    o += next;
  }
  return false;
}
