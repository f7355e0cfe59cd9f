/**
 * Address parsing as libpcap does it for filter expressions.
 * IPv4: `__pcap_atoin()` accepts 1 to 4 decimal parts, each 0..255; the number of parts
 * gives the prefix length (`10.1` is 10.1.0.0 with a 16-bit mask).
 */
export interface V4Prefix {
  value: number;
  /** Number of bits given (8 per part). */
  bits: number;
}

export function parseV4(text: string): V4Prefix | undefined {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^[0-9]+$/.test(p)) return undefined;
    const n = parseInt(p, 10);
    if (n > 255) return undefined;
    v = (v * 256 + n) >>> 0;
  }
  const bits = 8 * parts.length;
  return { value: bits === 32 ? v : (v * 2 ** (32 - bits)) >>> 0, bits };
}

/** Contiguous mask of `len` leading one bits (0..32). */
export function maskV4(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** RFC 4291 section 2.2 text form (with `::` and an optional dotted IPv4 tail) to 4 words. */
export function parseV6(text: string): Uint32Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = parseV4(it);
        if (v4 === undefined || v4.bits !== 32) return undefined;
        out.push(v4.value >>> 16, v4.value & 0xffff);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(it)) return undefined;
        out.push(parseInt(it, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  let all: number[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return undefined;
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    all = head;
  }
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((all[2 * i]! << 16) | all[2 * i + 1]!) >>> 0;
  return w;
}

/**
 * Whether `text` is an IPv6 address in the form node:net isIPv6() accepts (without a zone):
 * parseV6() plus that function's rule that a dotted IPv4 tail has no leading zeros. Not isIPv6()
 * itself: its first call compiles a large regular expression, about 5 ms of start-up.
 */
export function isV6Text(text: string): boolean {
  const colon = text.lastIndexOf(':');
  const dot = text.indexOf('.');
  // A dotted tail ends the address (parseV6 would accept one before a `::` too).
  if (dot >= 0 && (dot < colon || !text.slice(colon + 1).split('.').every((p) => /^(?:0|[1-9][0-9]{0,2})$/.test(p)))) return false;
  return parseV6(text) !== undefined;
}

export function maskV6(len: number): Uint32Array {
  const m = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(32, len - 32 * i));
    m[i] = maskV4(bits);
  }
  return m;
}
