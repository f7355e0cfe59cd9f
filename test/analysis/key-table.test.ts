import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyTable, PROBATION, PROTECTED, finishHash, mixHash } from '../../src/analysis/key-table';
import type { SlotSink } from '../../src/analysis/key-table';
import { prng } from '../support/frames';

/** The detectors' table against a Map: finds, inserts, removals, expiry and eviction order. */

function setKey(t: KeyTable, a: number, b: number): number {
  t.key[0] = a;
  t.key[1] = b;
  return finishHash(mixHash(mixHash(t.seed, a), b));
}

test('find, insert and remove agree with a Map under churn (backward-shift deletion keeps every key findable)', () => {
  const rand = prng(3);
  const t = new KeyTable(2, 1, 512, undefined, false);
  const want = new Map<string, number>();
  for (let i = 0; i < 50_000; i++) {
    // Few distinct keys, many collisions of their home buckets.
    const a = Math.floor(rand() * 700);
    const b = a % 3;
    const k = `${a} ${b}`;
    const h = setKey(t, a, b);
    const s = t.find(h, 2);
    assert.equal(s >= 0, want.has(k), `find ${k} at ${i}`);
    if (s >= 0) {
      assert.equal(s, want.get(k));
      if (rand() < 0.5) {
        t.remove(s);
        want.delete(k);
      }
    } else if (t.size < t.capacity) {
      want.set(k, t.insert(0));
    }
    assert.equal(t.size, want.size);
  }
});

test('a full table evicts the oldest probation key first, then protected ones once probation is empty; the sink hears of each', () => {
  const dropped: number[] = [];
  const sink: SlotSink = { dropped: (s) => dropped.push(s) };
  const t = new KeyTable(2, 0, 8, sink);
  const slots: number[] = [];
  for (let i = 0; i < 8; i++) {
    t.find(setKey(t, i, 0), 2);
    slots.push(t.insert(10 + Math.floor(i / 4)));
  }
  // Keys 0-3 in step 10, 4-7 in step 11; 1 and 5 promoted.
  t.promote(slots[1]!);
  t.promote(slots[5]!);
  let now = 11;
  const evictOne = (a: number): number => {
    t.find(setKey(t, a, 1), 2);
    const before = dropped.length;
    t.insert(now);
    assert.equal(dropped.length, before + 1);
    return dropped[dropped.length - 1]!;
  };
  // Probation, oldest step first, FIFO within a step: 0, 2, 3, 4, 6, 7 (then the new keys).
  assert.deepEqual([evictOne(100), evictOne(101), evictOne(102)], [slots[0], slots[2], slots[3]]);
  assert.equal(t.evictions, 3);
  assert.equal(t.segment(slots[1]!), PROTECTED);
  assert.equal(t.segment(slots[4]!), PROBATION);
  // Touching moves a key to the newest step.
  now = 12;
  t.touch(slots[4]!, 12);
  assert.equal(evictOne(103), slots[6]);
  assert.equal(t.size, 8);
  // Expiry (window ending at step 17: steps up to 11 leave) drops every key but the two written in 12.
  dropped.length = 0;
  t.expire(17);
  assert.equal(dropped.length, 6);
  assert.equal(t.size, 2);
  assert.ok(t.inUse(slots[4]!) && !dropped.includes(slots[4]!));
  t.expire(18);
  assert.equal(t.size, 0);
});
