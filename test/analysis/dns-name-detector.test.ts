import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Detectors } from '../../src/analysis/detectors';
import { DnsNameDetector } from '../../src/analysis/dns-name-detector';
import { WINDOW_STEPS } from '../../src/analysis/window-counts';
import { DecodedPacket } from '../../src/decode/packet';

/** Wire form of a name given as its labels (bytes as they are), then a QTYPE and QCLASS. */
function question(...labels: (string | Buffer)[]): Buffer {
  const parts = labels.map((l) => (typeof l === 'string' ? Buffer.from(l, 'latin1') : l)).flatMap((l) => [Buffer.from([l.length]), l]);
  return Buffer.concat([Buffer.from([0xaa, 0xbb]), ...parts, Buffer.from([0, 0, 1, 0, 1])]); // 2 bytes before: the name is not at 0
}

/** A step as Detectors numbers them (from WINDOW_STEPS on: see Detectors.advance). */
const S = WINDOW_STEPS;

/** name → count of a report's list. */
const listed = (l: { values: Float64Array; labels: readonly string[] }) => new Map(l.labels.map((n, i) => [n, l.values[i]!]));

test('names compare without case and print as dig prints them (escapes, root, no final dot)', () => {
  const d = new DnsNameDetector(64);
  d.failed(question('WWW', 'Example', 'COM'), 2, 3, S);
  d.failed(question('www', 'example', 'com'), 2, 3, S);
  d.failed(question('www', 'eXample', 'com'), 2, 2, S);
  d.failed(question('a.b', 'back\\slash', Buffer.from([0x00, 0x20, 0x7f, 0xc3, 0xa9, 0x41])), 2, 3, S);
  d.failed(question(), 2, 2, S);
  const r = d.report(10, S);
  assert.deepEqual(listed(r.nxdomain), new Map([['www.example.com', 2], ['a\\.b.back\\\\slash.\\000\\032\\127\\195\\169a', 1]]));
  assert.deepEqual(listed(r.servfail), new Map([['www.example.com', 1], ['.', 1]]));
  assert.equal(d.size, 3);
});

test('a question with a compression pointer, or longer than 255 bytes, has no name', () => {
  const d = new DnsNameDetector(64);
  d.failed(Buffer.from([3, 0x77, 0x77, 0x77, 0xc0, 0x0c, 0, 1, 0, 1]), 0, 3, S);
  const long = question(...Array.from({ length: 5 }, () => 'x'.repeat(63)));
  d.failed(long, 2, 3, S);
  // 255 bytes exactly (four labels of 62, 61... as RFC 1035 allows): counted.
  const max = question('a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61));
  d.failed(max, 2, 3, S);
  const r = d.report(10, S);
  assert.deepEqual([...listed(r.nxdomain).values()], [1]);
  assert.equal(r.nxdomain.labels[0], `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`);
});

test('the top n by count, then the window: a name leaves it WINDOW_STEPS steps after its last response', () => {
  const d = new DnsNameDetector(64);
  for (let i = 0; i < 5; i++) for (let k = 0; k <= i; k++) d.failed(question(`n${i}`, 'example'), 2, 3, S);
  const r = d.report(3, S);
  assert.deepEqual(r.nxdomain.labels, ['n4.example', 'n3.example', 'n2.example']);
  assert.deepEqual([...r.nxdomain.values], [5, 4, 3]);
  d.failed(question('late', 'example'), 2, 3, S + WINDOW_STEPS - 1);
  d.expire(S + WINDOW_STEPS);
  const later = d.report(10, S + WINDOW_STEPS);
  assert.deepEqual(later.nxdomain.labels, ['late.example']);
});

test('a full table evicts one-off names first, and counts it', () => {
  const d = new DnsNameDetector(16);
  for (let k = 0; k < 3; k++) d.failed(question('often', 'example'), 2, 2, S);
  for (let i = 0; i < 40; i++) d.failed(question(`once${i}`, 'example'), 2, 2, S);
  assert.equal(d.size, 16);
  assert.equal(d.evictions, 40 + 1 - 16);
  assert.equal(d.report(1, S).servfail.labels[0], 'often.example');
});

test('Detectors: off by default (no table, nothing reported); on with maxDnsNames', () => {
  const pkt = new DecodedPacket();
  pkt.ipVersion = 4;
  pkt.ts = 100;
  const off = new Detectors();
  off.dnsFailedName(pkt, question('a', 'example'), 2, 3);
  assert.equal(off.report().dnsNxdomainNames.labels.length, 0);
  assert.equal(off.report().keys[5], 0);
  const on = new Detectors({ maxDnsNames: 32 });
  on.dnsFailedName(pkt, question('a', 'example'), 2, 3);
  on.dnsFailedName(pkt, question('b', 'example'), 2, 2);
  assert.deepEqual(on.report().dnsNxdomainNames.labels, ['a.example']);
  assert.deepEqual(on.report().dnsServfailNames.labels, ['b.example']);
  assert.equal(on.report().keys[5], 2);
  assert.throws(() => new Detectors({ maxDnsNames: -1 }), /maxDnsNames/);
});
