import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Detectors } from '../../src/analysis/detectors';
import type { DetectorReport, TopList } from '../../src/analysis/detectors';
import { WINDOW_STEPS } from '../../src/analysis/window-counts';
import { decodeLink } from '../../src/decode/decode-frame';
import { DecodedPacket } from '../../src/decode/packet';
import { prng } from '../support/frames';
import { echoFrame, portUnreachableFrame, tcpFrame, udpFrame } from '../support/traffic';

/**
 * The detectors against their definitions. The oracle is a brute-force model written here (every
 * event kept in a list, the window recomputed from scratch), never the detectors' own tables.
 */

const SYN = 0x02, RST = 0x04, ACK = 0x10;
const T0 = 1_700_000_000;

interface Pkt {
  ts: number;
  src: string;
  dst: string;
  proto: number;
  sport?: number;
  dport?: number;
  flags?: number;
  /** ICMP: echo request (8, 128) or reply (0, 129). */
  icmpType?: number;
  /** ICMP: a port unreachable from src (the target) to dst, quoting dst:sport → src:dport (UDP). */
  unreach?: boolean;
}

/** The frame of a test packet (built, then decoded as the pipeline would). */
function frameOf(p: Pkt): Buffer {
  if (p.proto === 6) return tcpFrame({ src: p.src, dst: p.dst, sport: p.sport!, dport: p.dport!, flags: p.flags ?? 0 });
  if (p.proto === 17) return udpFrame({ src: p.src, dst: p.dst, sport: p.sport!, dport: p.dport! });
  if (p.unreach === true) return portUnreachableFrame(p.src, p.dst, p.sport!, p.dport!);
  return echoFrame(p.src, p.dst, p.icmpType === 0 || p.icmpType === 129);
}

const pkt = new DecodedPacket();
function feed(d: Detectors, p: Pkt): void {
  const f = frameOf(p);
  decodeLink(f, 0, f.length, 1, pkt);
  pkt.ts = p.ts;
  assert.ok(pkt.ipVersion !== 0 && pkt.ipProto === p.proto, `frame of ${JSON.stringify(p)}`);
  d.observe(pkt, f);
}

/** A TopList as a map "label values" → value. */
function asMap(t: TopList, labelCount: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < t.values.length; i++) m.set(t.labels.slice(i * labelCount, i * labelCount + labelCount).join(' '), t.values[i]!);
  return m;
}

test('a port scan: every distinct (destination, port) counted once, one host; repeats and answers are not contacts', () => {
  const d = new Detectors({ window: 60 });
  const scanner = '203.0.113.7';
  const victim = '198.51.100.10';
  for (let port = 1; port <= 300; port++) {
    feed(d, { ts: T0 + port / 1000, src: scanner, dst: victim, proto: 6, sport: 40000, dport: port, flags: SYN });
    // A retransmitted SYN to the same port is the same contact.
    if (port % 10 === 0) feed(d, { ts: T0 + port / 1000, src: scanner, dst: victim, proto: 6, sport: 40000, dport: port, flags: SYN });
    // The victim's answers (SYN-ACK, RST-ACK) are not contacts of the victim.
    feed(d, { ts: T0 + port / 1000, src: victim, dst: scanner, proto: 6, sport: port, dport: 40000, flags: port % 2 ? SYN | ACK : RST | ACK });
  }
  // A FIN scan and a NULL scan probe count; an ACK segment does not.
  feed(d, { ts: T0 + 1, src: scanner, dst: victim, proto: 6, sport: 40000, dport: 5000, flags: 0x01 });
  feed(d, { ts: T0 + 1, src: scanner, dst: victim, proto: 6, sport: 40000, dport: 5001, flags: 0 });
  feed(d, { ts: T0 + 1, src: scanner, dst: victim, proto: 6, sport: 40000, dport: 5002, flags: ACK });
  const r = d.report();
  assert.deepEqual(asMap(r.scanPorts, 1), new Map([[scanner, 302]]));
  assert.deepEqual(asMap(r.scanHosts, 1), new Map([[scanner, 1]]));
  // Victim: 150 RST-ACKs sent.
  assert.deepEqual(asMap(r.rstSent, 1), new Map([[victim, 150]]));
  // 300 SYNs + 30 retransmissions to the victim, 150 SYN-ACKs from it: 180 unanswered, spread over
  // ports and all from one source. That is the scan above, not a flood: the victim is not reported.
  assert.deepEqual(asMap(r.synUnanswered, 2), new Map());
  assert.equal(r.keys[0], 302);
});

test('a host sweep (ICMP echo, TCP SYN to one port) counts destinations; plain UDP is no contact', () => {
  const d = new Detectors({ window: 60 });
  const sweeper = '192.0.2.66';
  for (let i = 1; i <= 50; i++) feed(d, { ts: T0, src: sweeper, dst: `10.9.0.${i}`, proto: 1, icmpType: 8 });
  for (let i = 1; i <= 20; i++) feed(d, { ts: T0, src: sweeper, dst: `10.9.1.${i}`, proto: 6, sport: 33333, dport: 22, flags: SYN });
  // Echo replies are not contacts.
  for (let i = 1; i <= 50; i++) feed(d, { ts: T0, src: `10.9.0.${i}`, dst: sweeper, proto: 1, icmpType: 0 });
  // UDP both ways (a DNS client and its server): no contact.
  for (let p = 0; p < 40; p++) {
    feed(d, { ts: T0, src: '10.0.0.2', dst: '10.0.0.53', proto: 17, sport: 50000 + p, dport: 53 });
    feed(d, { ts: T0, src: '10.0.0.53', dst: '10.0.0.2', proto: 17, sport: 53, dport: 50000 + p });
  }
  // IPv6 echo request.
  feed(d, { ts: T0, src: '2001:db8::1', dst: '2001:db8::2', proto: 58, icmpType: 128 });
  const r = d.report();
  assert.deepEqual(asMap(r.scanHosts, 1), new Map([[sweeper, 70], ['2001:db8::1', 1]]));
  assert.deepEqual(asMap(r.scanPorts, 1), new Map([[sweeper, 70], ['2001:db8::1', 1]]));
});

test('a UDP scan shows through the port unreachables it draws (IPv4 and IPv6), named by the quoted datagram', () => {
  const d = new Detectors({ window: 60 });
  for (let port = 1; port <= 120; port++) {
    // The probes themselves are plain UDP (no contact); the closed ports answer.
    feed(d, { ts: T0, src: '203.0.113.9', dst: '198.51.100.20', proto: 17, sport: 55555, dport: port });
    feed(d, { ts: T0, src: '198.51.100.20', dst: '203.0.113.9', proto: 1, unreach: true, sport: 55555, dport: port });
    feed(d, { ts: T0, src: '2001:db8::20', dst: '2001:db8::9', proto: 58, unreach: true, sport: 40000, dport: port });
  }
  const r = d.report();
  assert.deepEqual(asMap(r.scanPorts, 1), new Map([['203.0.113.9', 120], ['2001:db8::9', 120]]));
  assert.deepEqual(asMap(r.scanHosts, 1), new Map([['203.0.113.9', 1], ['2001:db8::9', 1]]));
});

test('a SYN flood from random sources names its target and port, and SYN-ACKs answer SYNs', () => {
  const d = new Detectors({ window: 60 });
  const rand = prng(7);
  const target = '198.51.100.80';
  for (let i = 0; i < 500; i++) {
    const src = `100.${64 + Math.floor(rand() * 64)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`;
    feed(d, { ts: T0 + i / 100, src, dst: target, proto: 6, sport: 1024 + i, dport: 80, flags: SYN });
    if (i < 120) feed(d, { ts: T0 + i / 100, src: target, dst: src, proto: 6, sport: 80, dport: 1024 + i, flags: SYN | ACK });
  }
  // A healthy server: every SYN answered.
  for (let i = 0; i < 50; i++) {
    feed(d, { ts: T0 + 1, src: `10.1.0.${i}`, dst: '10.2.0.1', proto: 6, sport: 2000 + i, dport: 443, flags: SYN });
    feed(d, { ts: T0 + 1, src: '10.2.0.1', dst: `10.1.0.${i}`, proto: 6, sport: 443, dport: 2000 + i, flags: SYN | ACK });
  }
  const r = d.report();
  assert.deepEqual(asMap(r.synUnanswered, 2), new Map([[`${target} 80`, 380]]));
});

test('a SYN flood is told from a port scan: one port or many sources is a flood, one source over many ports is a scan', () => {
  const d = new Detectors({ window: 60 });
  const rand = prng(9);
  const randomSource = () => `100.${64 + Math.floor(rand() * 64)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`;
  // One source flooding one port (no spoofing): a flood, named by its port.
  for (let i = 0; i < 200; i++) feed(d, { ts: T0, src: '203.0.113.1', dst: '198.51.100.1', proto: 6, sport: 1024 + i, dport: 443, flags: SYN });
  // Spoofed sources over random ports: a flood over ports, "*".
  for (let i = 0; i < 200; i++) feed(d, { ts: T0, src: randomSource(), dst: '198.51.100.2', proto: 6, sport: 1024 + i, dport: 1 + Math.floor(rand() * 65535), flags: SYN });
  // One source over 200 ports (a scan), with a few other clients' SYNs to the same host mixed in.
  for (let i = 0; i < 200; i++) {
    feed(d, { ts: T0, src: '203.0.113.3', dst: '198.51.100.3', proto: 6, sport: 40000, dport: 1 + i, flags: SYN });
    if (i % 10 === 0) feed(d, { ts: T0, src: randomSource(), dst: '198.51.100.3', proto: 6, sport: 50000 + i, dport: 22, flags: SYN });
  }
  // The same over IPv6: the scanned host is not reported, the flooded one is.
  for (let i = 0; i < 150; i++) {
    feed(d, { ts: T0, src: '2001:db8::bad', dst: '2001:db8::3', proto: 6, sport: 40000, dport: 1 + i, flags: SYN });
    feed(d, { ts: T0, src: `2001:db8:1::${(i + 1).toString(16)}`, dst: '2001:db8::4', proto: 6, sport: 40000, dport: 1 + i, flags: SYN });
  }
  const r = d.report();
  assert.deepEqual(asMap(r.synUnanswered, 2), new Map([['198.51.100.1 443', 200], ['198.51.100.2 *', 200], ['2001:db8::4 *', 150]]));
  assert.deepEqual(asMap(r.scanPorts, 1).get('203.0.113.3'), 200);
  assert.deepEqual(asMap(r.scanPorts, 1).get('2001:db8::bad'), 150);
});

test('values leave the window step by step, and the keys go with them', () => {
  const window = 60;
  const step = window / WINDOW_STEPS;
  const d = new Detectors({ window });
  // Align on a step boundary so that the arithmetic below is exact.
  const t0 = Math.ceil(T0 / step) * step;
  for (let i = 0; i < 10; i++) feed(d, { ts: t0, src: '10.0.0.1', dst: '10.0.0.2', proto: 6, sport: 999, dport: 1000 + i, flags: SYN });
  // Floods to one port (one contact each): 4 SYNs to 10.0.0.4 in the first step, 3 to 10.0.0.5 in the second.
  for (let i = 0; i < 4; i++) feed(d, { ts: t0, src: '10.0.0.1', dst: '10.0.0.4', proto: 6, sport: 5000 + i, dport: 80, flags: SYN });
  for (let i = 0; i < 5; i++) feed(d, { ts: t0 + step, src: '10.0.0.1', dst: '10.0.0.3', proto: 6, sport: 999, dport: 2000 + i, flags: SYN });
  for (let i = 0; i < 7; i++) feed(d, { ts: t0 + step, src: '10.0.0.9', dst: '10.0.0.1', proto: 6, sport: 999, dport: 3000 + i, flags: RST });
  for (let i = 0; i < 3; i++) feed(d, { ts: t0 + step, src: '10.0.0.1', dst: '10.0.0.5', proto: 6, sport: 5000 + i, dport: 80, flags: SYN });
  d.advance(t0 + (WINDOW_STEPS - 1) * step);
  let r = d.report();
  assert.deepEqual(asMap(r.scanPorts, 1), new Map([['10.0.0.1', 17]]));
  // 10.0.0.2 and 10.0.0.3 got one source's SYNs over many ports: scans, not floods.
  assert.deepEqual(asMap(r.synUnanswered, 2), new Map([['10.0.0.4 80', 4], ['10.0.0.5 80', 3]]));
  // One step later the first step's contacts and SYNs have left the window.
  d.advance(t0 + WINDOW_STEPS * step);
  r = d.report();
  assert.deepEqual(asMap(r.scanPorts, 1), new Map([['10.0.0.1', 6]]));
  assert.deepEqual(asMap(r.scanHosts, 1), new Map([['10.0.0.1', 2]]));
  assert.deepEqual(asMap(r.synUnanswered, 2), new Map([['10.0.0.5 80', 3]]));
  assert.deepEqual(asMap(r.rstSent, 1), new Map([['10.0.0.9', 7]]));
  assert.deepEqual([...r.keys], [6, 2, 1, 0, 0, 0]);
  d.advance(t0 + (WINDOW_STEPS + 1) * step);
  r = d.report();
  assert.equal(r.scanPorts.values.length + r.scanHosts.values.length + r.synUnanswered.values.length + r.rstSent.values.length, 0);
  assert.deepEqual([...r.keys], [0, 0, 0, 0, 0, 0]);
});

test('top N: at most N series per gauge, the N largest', () => {
  const d = new Detectors({ window: 60, topN: 3 });
  // Source i contacts i + 1 ports.
  for (let i = 0; i < 8; i++) for (let p = 0; p <= i; p++) feed(d, { ts: T0, src: `10.0.1.${i}`, dst: '10.0.2.1', proto: 6, sport: 5555, dport: 100 + p, flags: SYN });
  const r = d.report();
  assert.deepEqual(asMap(r.scanPorts, 1), new Map([['10.0.1.7', 8], ['10.0.1.6', 7], ['10.0.1.5', 6]]));
  assert.equal(r.scanHosts.values.length, 3);
  assert.deepEqual([...r.scanPorts.values], [8, 7, 6]);
});

test('bounded: a flood of one-contact sources through a small table leaves a scanner exact, and evictions are counted', () => {
  const d = new Detectors({ window: 60, maxContacts: 256, maxTargets: 64, maxSources: 64 });
  const rand = prng(11);
  const scanner = '198.18.5.5';
  let ts = T0;
  for (let i = 0; i < 20_000; i++) {
    ts += 0.0001;
    const src = `${1 + Math.floor(rand() * 223)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`;
    feed(d, { ts, src, dst: '198.18.0.1', proto: 6, sport: 1000 + (i % 60000), dport: Math.floor(rand() * 65536), flags: SYN });
    feed(d, { ts, src, dst: `198.18.${Math.floor(rand() * 256)}.1`, proto: 6, sport: 7, dport: 7, flags: RST });
    if (i % 200 === 0) feed(d, { ts, src: scanner, dst: `198.18.0.${9 + (i / 200) % 2}`, proto: 6, sport: 4444, dport: 1 + i / 200, flags: SYN });
  }
  const r = d.report();
  assert.equal(asMap(r.scanPorts, 1).get(scanner), 100);
  assert.equal(asMap(r.scanHosts, 1).get(scanner), 2);
  // The flood's target: 20 000 SYNs over random ports, none answered, spread over ports.
  assert.deepEqual([...asMap(r.synUnanswered, 2)][0], ['198.18.0.1 *', 20_000]);
  assert.ok(r.keys[0]! <= 256 && r.keys[1]! <= 64 && r.keys[2]! <= 64, `keys ${[...r.keys]}`);
  assert.ok(r.evictions[0]! >= 20_000 - 256, `scan evictions ${r.evictions[0]}`);
  // One flood target (plus the scanner's two): the SYN table never filled; the RST table did.
  assert.equal(r.evictions[1], 0);
  assert.ok(r.evictions[2]! > 0);
});

/** The brute-force model: every event kept, windows recomputed from scratch at report time. */
class Model {
  private readonly events: { step: number; kind: 'contact' | 'syn' | 'synack' | 'rst'; src: string; dst: string; key: string; epoch: number; own: boolean; srcEpoch: number; srcOwn: boolean }[] = [];
  private readonly lastWrite = new Map<string, number>();
  /** Per destination: the majority votes over its SYN ports and sources, restarted when the destination is new again. */
  private readonly vote = new Map<string, { port: number; votes: number; epoch: number; src: string; srcVotes: number; srcEpoch: number }>();
  step = -Infinity;

  constructor(private readonly stepSeconds: number) {}

  advance(ts: number): void {
    this.step = Math.max(this.step, Math.floor(ts / this.stepSeconds));
  }

  private tracked(dst: string): boolean {
    const lw = this.lastWrite.get(dst);
    return lw !== undefined && lw > this.step - WINDOW_STEPS;
  }

  feed(p: Pkt): void {
    const ports = p.proto === 6 || p.proto === 17;
    const f = p.flags ?? 0;
    const unreach = p.unreach === true;
    const contact =
      (p.proto === 6 && (f & (ACK | RST)) === 0) ||
      (!unreach && p.proto === 1 && p.icmpType === 8) ||
      (!unreach && p.proto === 58 && p.icmpType === 128) ||
      unreach;
    const synack = p.proto === 6 && (f & (SYN | ACK | RST)) === (SYN | ACK);
    const rst = p.proto === 6 && (f & RST) !== 0;
    if (!contact && !synack && !rst) return;
    this.advance(p.ts);
    const s = this.step;
    const base = { step: s, src: p.src, dst: p.dst, epoch: 0, own: false, srcEpoch: 0, srcOwn: false };
    if (unreach) this.events.push({ ...base, src: p.dst, dst: p.src, kind: 'contact', key: `${p.dst} ${p.src} 17 ${p.dport}` });
    else if (contact) this.events.push({ ...base, kind: 'contact', key: `${p.src} ${p.dst} ${p.proto} ${ports ? p.dport : 0}` });
    if (p.proto === 6 && contact && (f & SYN) !== 0) {
      let v = this.vote.get(p.dst);
      if (v === undefined || !this.tracked(p.dst)) this.vote.set(p.dst, (v = { port: -1, votes: 0, epoch: v?.epoch ?? 0, src: '', srcVotes: 0, srcEpoch: v?.srcEpoch ?? 0 }));
      if (v.votes === 0) {
        v.port = p.dport!;
        v.votes = 1;
        v.epoch++;
      } else if (v.port === p.dport) {
        v.votes++;
      } else {
        v.votes--;
      }
      if (v.srcVotes === 0) {
        v.src = p.src;
        v.srcVotes = 1;
        v.srcEpoch++;
      } else if (v.src === p.src) {
        v.srcVotes++;
      } else {
        v.srcVotes--;
      }
      this.events.push({ ...base, kind: 'syn', key: p.dst, epoch: v.epoch, own: v.port === p.dport, srcEpoch: v.srcEpoch, srcOwn: v.src === p.src });
      this.lastWrite.set(p.dst, s);
    }
    // Counted only while the destination is tracked: written within the window.
    if (synack && this.tracked(p.src)) {
      this.lastWrite.set(p.src, s);
      const v = this.vote.get(p.src)!;
      this.events.push({ ...base, kind: 'synack', key: p.src, epoch: v.epoch, own: v.port === p.sport, srcEpoch: v.srcEpoch, srcOwn: v.src === p.dst });
    }
    if (rst) this.events.push({ ...base, kind: 'rst', key: p.src });
  }

  report(): { ports: Map<string, number>; hosts: Map<string, number>; syn: Map<string, { value: number; label: string }>; rst: Map<string, number> } {
    const inWindow = this.events.filter((e) => e.step > this.step - WINDOW_STEPS);
    const contacts = new Map<string, { src: string; dst: string }>();
    for (const e of inWindow) if (e.kind === 'contact') contacts.set(e.key, { src: e.src, dst: e.dst });
    const ports = new Map<string, number>();
    const hostSets = new Map<string, Set<string>>();
    for (const c of contacts.values()) {
      ports.set(c.src, (ports.get(c.src) ?? 0) + 1);
      hostSets.set(c.src, (hostSets.get(c.src) ?? new Set()).add(c.dst));
    }
    const hosts = new Map([...hostSets].map(([k, v]) => [k, v.size]));
    const net = new Map<string, number>();
    const own = new Map<string, number>();
    const srcOwn = new Map<string, number>();
    for (const e of inWindow) {
      if (e.kind !== 'syn' && e.kind !== 'synack') continue;
      const n = e.kind === 'syn' ? 1 : -1;
      net.set(e.key, (net.get(e.key) ?? 0) + n);
      if (e.own && e.epoch === this.vote.get(e.key)!.epoch) own.set(e.key, (own.get(e.key) ?? 0) + n);
      if (e.srcOwn && e.srcEpoch === this.vote.get(e.key)!.srcEpoch) srcOwn.set(e.key, (srcOwn.get(e.key) ?? 0) + n);
    }
    const syn = new Map<string, { value: number; label: string }>();
    for (const [dst, v] of net) {
      if (v <= 0) continue;
      const portHeld = 2 * (own.get(dst) ?? 0) >= v;
      // One source's SYNs over many ports of a host: a port scan, not a flood.
      if (!portHeld && 2 * (srcOwn.get(dst) ?? 0) >= v) continue;
      syn.set(dst, { value: v, label: portHeld ? String(this.vote.get(dst)!.port) : '*' });
    }
    const rst = new Map<string, number>();
    for (const e of inWindow) if (e.kind === 'rst') rst.set(e.key, (rst.get(e.key) ?? 0) + 1);
    return { ports, hosts, syn, rst };
  }
}

function compare(r: DetectorReport, want: ReturnType<Model['report']>, where: string): void {
  assert.deepEqual(asMap(r.scanPorts, 1), want.ports, `${where}: scan ports`);
  assert.deepEqual(asMap(r.scanHosts, 1), want.hosts, `${where}: scan hosts`);
  assert.deepEqual(asMap(r.rstSent, 1), want.rst, `${where}: rst`);
  assert.deepEqual(asMap(r.synUnanswered, 2), new Map([...want.syn].map(([dst, w]) => [`${dst} ${w.label}`, w.value])), `${where}: syn`);
}

test('random traffic over time equals the brute-force model at every scrape (within the budgets)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rand = prng(seed);
    const window = [6, 60, 5][seed % 3]!;
    const d = new Detectors({ window, topN: 10_000 });
    const model = new Model(window / WINDOW_STEPS);
    const hosts = Array.from({ length: 12 }, (_, i) => (i % 4 === 3 ? `2001:db8::${i + 1}` : `10.0.0.${i + 1}`));
    const pick = () => hosts[Math.floor(rand() * hosts.length)]!;
    let ts = T0 + rand() * 10;
    for (let i = 0; i < 6000; i++) {
      ts += rand() < 0.01 ? rand() * window : rand() * (window / 200);
      let src = pick();
      let dst = pick();
      // Keep the IP version of both ends equal.
      if (src.includes(':') !== dst.includes(':')) dst = src.includes(':') ? '2001:db8::99' : '10.0.0.99';
      const r = rand();
      let p: Pkt;
      if (r < 0.55) {
        const flags = [SYN, SYN, SYN | ACK, SYN | ACK, ACK, RST, RST | ACK, 0x01, 0, SYN | RST][Math.floor(rand() * 10)]!;
        p = { ts, src, dst, proto: 6, sport: 1 + Math.floor(rand() * 8), dport: 1 + Math.floor(rand() * 8), flags };
      } else if (r < 0.8) {
        p = { ts, src, dst, proto: 17, sport: Math.floor(rand() * 8), dport: Math.floor(rand() * 8) };
      } else if (r < 0.9) {
        const v6 = src.includes(':');
        p = { ts, src, dst, proto: v6 ? 58 : 1, icmpType: rand() < 0.6 ? (v6 ? 128 : 8) : v6 ? 129 : 0 };
      } else {
        p = { ts, src, dst, proto: src.includes(':') ? 58 : 1, unreach: true, sport: 1 + Math.floor(rand() * 8), dport: 1 + Math.floor(rand() * 8) };
      }
      if (rand() < 0.001) [src, dst] = [dst, src];
      feed(d, p);
      model.feed(p);
      if (i % 250 === 0) {
        const now = ts + rand() * window * 0.3;
        d.advance(now);
        model.advance(now);
        compare(d.report(), model.report(), `seed ${seed} packet ${i}`);
      }
    }
  }
});
