import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dir, DirF, DirFlags, Slot, SlotF, State } from '../../src/analysis/tcp-sequence';

// inOrder() and analyzeSequence() (src/analysis/tcp-sequence.ts) spell the layout out as numbers for speed: these are
// the values it was written against. Changing the layout means changing it there too.
test('the TCP connection slot layout is the one inOrder() and analyzeSequence() spell out', () => {
  assert.deepEqual([Slot.WORDS, Slot.STATE, Slot.DIR], [32, 11, 16]);
  assert.deepEqual([Dir.WORDS, Dir.NEXTSEQ, Dir.MAXSEQTOBEACKED, Dir.LASTACK, Dir.WINDOW, Dir.DUPACKS, Dir.FLAGS, Dir.BASE_SEQ], [8, 0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual([DirFlags.BASE_SEQ_SET, DirFlags.LAST_KEEP_ALIVE, DirFlags.LAST_ZERO_WINDOW_PROBE], [1, 2, 4]);
  assert.deepEqual([SlotF.WORDS, SlotF.FIRST_RTT, SlotF.LAST, SlotF.DIR, DirF.WORDS, DirF.LASTACKTIME, DirF.NEXTSEQTIME], [10, 1, 3, 6, 2, 0, 1]);
  assert.deepEqual([State.INITIATOR_B, State.RTT_PENDING, State.PROTECTED], [1, 16, 1 << 14]);
  // Per-direction words fit their slot, and the two directions do not overlap.
  assert.ok(Slot.DIR + 2 * Dir.WORDS <= Slot.WORDS);
  assert.ok(SlotF.DIR + 2 * DirF.WORDS <= SlotF.WORDS);
});
