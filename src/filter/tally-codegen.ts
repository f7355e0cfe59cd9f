/**
 * Generated code that counts the filters a packet matched with one table update instead of two
 * counter updates per matching filter. A function of the fused filter set (filter-set-codegen.ts)
 * that runs up to MAX_TALLY_BITS filters collects the ones that matched as bits of a mask, and adds
 * the packet (1 and its length) to the mask's entry in a small open-addressing table: the matches of
 * a packet form few distinct masks on real traffic (the same services, the same flags), so the entry
 * is found at the first probe. flush() spreads every entry over the per-filter counters (all sums
 * of integers, so exact in any order) and zeroes it, keeping its key.
 *
 * Bounded: at most TALLY_KEYS distinct masks get an entry and a lookup gives up after TALLY_PROBES
 * probes; a packet whose mask finds no entry is counted into the per-filter counters directly.
 */

/** Bits of a mask: 31, so that masks are non-negative int32 and -1 can mark an empty slot. */
export const MAX_TALLY_BITS = 31;
/** Slots per table (a power of two); at most half of them are used. */
const TALLY_SLOTS = 1024;
const TALLY_KEYS = TALLY_SLOTS / 2;
const TALLY_PROBES = 8;

/**
 * One table, for a function whose filter with bit j counts into index ids[j] of the `packets` and
 * `bytes` arrays of the generated factory.
 */
export class Tally {
  constructor(
    private readonly name: string,
    private readonly ids: readonly number[],
  ) {
    if (ids.length > MAX_TALLY_BITS) throw new Error(`a tally counts at most ${MAX_TALLY_BITS} filters`);
  }

  /** Top-level declarations: keys (-1: empty), counts (packets, bytes per slot), used slots. */
  declarations(): string {
    const t = this.name;
    return `const ${t}K = new Int32Array(${TALLY_SLOTS}).fill(-1), ${t}C = new Float64Array(${2 * TALLY_SLOTS}), ${t}U = new Int32Array(${TALLY_KEYS});
let ${t}N = 0;
const ${t}I = [${this.ids.join(', ')}];
function ${t}Direct(m, w) {
  while (m !== 0) {
    const i = ${t}I[31 - Math.clz32(m & -m)];
    m &= m - 1;
    packets[i]++;
    bytes[i] += w;
  }
}
function ${t}Flush() {
  for (let u = 0; u < ${t}N; u++) {
    const h = ${t}U[u], np = ${t}C[2 * h];
    if (np === 0) continue;
    const nb = ${t}C[2 * h + 1];
    ${t}C[2 * h] = 0;
    ${t}C[2 * h + 1] = 0;
    for (let m = ${t}K[h]; m !== 0; m &= m - 1) {
      const i = ${t}I[31 - Math.clz32(m & -m)];
      packets[i] += np;
      bytes[i] += nb;
    }
  }
}
`;
  }

  /** Statements adding the packet (length `w`) to the entry of mask `M`, at the end of a function. */
  update(): string {
    const t = this.name;
    return `if (M !== 0) {
  let h = Math.imul(M, 0x9e3779b1) >>> ${32 - Math.log2(TALLY_SLOTS)};
  for (let n = 0; ; n++) {
    const k = ${t}K[h];
    if (k === M) break;
    if (k === -1 && ${t}N < ${TALLY_KEYS}) {
      ${t}K[h] = M;
      ${t}U[${t}N++] = h;
      break;
    }
    if (k === -1 || n === ${TALLY_PROBES - 1}) {
      h = -1;
      break;
    }
    h = (h + 1) & ${TALLY_SLOTS - 1};
  }
  if (h >= 0) {
    ${t}C[2 * h]++;
    ${t}C[2 * h + 1] += w;
  } else {
    ${t}Direct(M, w);
  }
}
`;
  }

  /** A call of this table's flush function. */
  flushCall(): string {
    return `${this.name}Flush();`;
  }
}
