/**
 * Deletes slot `slot` (stored as slot + 1 next to its hash `hash`) from a linear-probing table of
 * (hash, slot + 1) pairs by backward shift (Knuth, TAOCP vol. 3, 6.4 algorithm R): later entries of
 * the probe run move into the hole, so no tombstones accumulate under churn (a flood ends and
 * creates flows at the packet rate).
 */
export function hashDelete(table: Int32Array, mask: number, slot: number, hash: number): void {
  let i = hash & mask;
  while (table[2 * i + 1] !== slot + 1) i = (i + 1) & mask;
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const e = table[2 * j + 1]!;
    if (e === 0) break;
    const home = table[2 * j]! & mask;
    // The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
    const stays = i <= j ? i < home && home <= j : i < home || home <= j;
    if (!stays) {
      table[2 * i] = table[2 * j]!;
      table[2 * i + 1] = e;
      i = j;
    }
  }
  table[2 * i] = 0;
  table[2 * i + 1] = 0;
}
