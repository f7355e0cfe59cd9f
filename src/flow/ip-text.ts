/**
 * Address text for label values and flow records, built from the big-endian 32-bit words the
 * decoder stores (DecodedPacket.addrs). Called when a flow gets a series or a record is built,
 * never per packet.
 */

/** Dotted-quad text of an IPv4 address held in one 32-bit word (signed or unsigned). */
export function ipv4Text(w: number): string {
  return `${(w >>> 24) & 255}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
}

/**
 * RFC 5952 text of an IPv6 address held in four 32-bit words: lowercase hex, leading zeros dropped
 * (4.1, 4.3), the longest run of two or more zero groups shortened to "::", the first one on a tie
 * (4.2), and IPv4-mapped addresses (::ffff:0:0/96) in mixed notation "::ffff:192.0.2.1" (5).
 */
export function ipv6Text(w0: number, w1: number, w2: number, w3: number): string {
  if (w0 === 0 && w1 === 0 && w2 >>> 0 === 0x0000ffff) return `::ffff:${ipv4Text(w3)}`;
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not shortened (4.2.2)
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

/**
 * Network mask word for bits [32*wordIndex, 32*wordIndex+32) of a prefix of `prefixLen` bits, as a
 * signed 32-bit value (what `word & mask` yields in JavaScript).
 */
export function prefixMaskWord(prefixLen: number, wordIndex: number): number {
  const bits = prefixLen - 32 * wordIndex;
  if (bits <= 0) return 0;
  if (bits >= 32) return -1;
  return (-1 << (32 - bits)) | 0;
}
