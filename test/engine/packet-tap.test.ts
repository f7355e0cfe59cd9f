/**
 * The packet tap (engine/packet-tap.ts) on crafted frames decoded as the pipeline decodes them: each
 * subscription gets exactly the packets its filter selects (the oracle is how the test built them),
 * with the header fields the test wrote; the rate cap and the row bound count what they refuse.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLink } from '../../src/decode/decode-frame';
import { DecodedPacket } from '../../src/decode/packet';
import { PacketTap } from '../../src/engine/packet-tap';
import type { PacketMetaBatch } from '../../src/engine/packet-tap';
import { compileFilter } from '../../src/filter/compile-filter';
import { lostOf, matchedOf, packetMetaAt, rowsOf } from '../../src/sinks/packet-meta';
import { ETH, LT, PROTO, TCP_FLAGS, arp, ethIpv4Udp, ethernet, ipv4, ipv6, tcp } from '../support/frames';

const pkt = new DecodedPacket();

function observe(tap: PacketTap, frame: Buffer, ts: number, ifIndex = 0): void {
  pkt.reset();
  pkt.ts = ts;
  pkt.wireLen = frame.length;
  decodeLink(frame, 0, frame.length, LT.ETHERNET, pkt);
  tap.observe(ifIndex, frame, pkt);
}

function tcp4(src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, window: number, len = 0): Buffer {
  return ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst, proto: PROTO.TCP }, tcp({ sport, dport, flags, seq, ack, window }, Buffer.alloc(len, 1))));
}

function collect(): { batches: PacketMetaBatch[]; deliver: (b: PacketMetaBatch) => boolean } {
  const batches: PacketMetaBatch[] = [];
  return { batches, deliver: (b) => (batches.push(b), true) };
}

describe('packet tap', () => {
  it('gives each subscription exactly its packets, with their header fields', () => {
    const { batches, deliver } = collect();
    const tap = new PacketTap(deliver, 1024, () => {});
    tap.add(1, compileFilter('web', 'tcp dst port 80'), 1e9);
    tap.add(2, compileFilter('syn', 'tcp[tcpflags] & tcp-syn != 0'), 1e9);
    tap.add(3, compileFilter('arp', 'arp'), 1e9);
    const frames: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      frames.push(tcp4('192.0.2.1', '192.0.2.2', 40000 + i, i % 2 === 0 ? 80 : 443, 1000 + i, 0xfffffff0 + (i % 8), i % 5 === 0 ? TCP_FLAGS.SYN : TCP_FLAGS.ACK, 1000 + i, i * 3));
      frames.push(ethIpv4Udp({ src: '192.0.2.1', dst: '192.0.2.53', sport: 5353, dport: 80 }, Buffer.alloc(10)));
    }
    frames.push(ethernet({ etherType: ETH.ARP }, arp({ op: 1, senderIp: '192.0.2.1', targetIp: '192.0.2.9' })));
    frames.push(ethernet({ etherType: ETH.IPV6 }, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: PROTO.TCP }, tcp({ sport: 1, dport: 80, flags: TCP_FLAGS.SYN, seq: 7, ack: 8, window: 9 }))));
    frames.forEach((f, i) => observe(tap, f, 1_700_000_000 + i * 0.001));
    tap.flush();
    assert.equal(batches.length, 1);
    const b = batches[0]!;
    const web = rowsOf(b, 1).map((i) => packetMetaAt(b, i, ['eth0']));
    // tcp dst port 80: the 25 IPv4 segments to port 80 and the IPv6 one (not the UDP datagrams).
    assert.equal(web.length, 26);
    const v4 = web.filter((r) => r.ipVersion === 4);
    assert.deepEqual(v4.map((r) => r.srcPort), Array.from({ length: 25 }, (_, k) => 40000 + 2 * k));
    for (const r of v4) {
      const i = r.srcPort - 40000;
      assert.equal(r.interface, 'eth0');
      assert.equal(r.srcIp, '192.0.2.1');
      assert.equal(r.dstIp, '192.0.2.2');
      assert.equal(r.proto, 6);
      assert.equal(r.dstPort, 80);
      assert.equal(r.seq, 1000 + i);
      assert.equal(r.ack, 0xfffffff0 + (i % 8));
      assert.equal(r.window, 1000 + i);
      assert.equal(r.tcpFlags, i % 5 === 0 ? TCP_FLAGS.SYN : TCP_FLAGS.ACK);
      assert.equal(r.length, 14 + 20 + 20 + i * 3);
      assert.equal(r.ts, 1_700_000_000 + 2 * i * 0.001);
    }
    const six = web.find((r) => r.ipVersion === 6)!;
    assert.deepEqual([six.srcIp, six.dstIp, six.seq, six.ack, six.window], ['2001:db8::1', '2001:db8::2', 7, 8, 9]);
    // SYN: every fifth IPv4 segment, and the IPv6 one? No: tcp[] applies to IPv4 only, as in tcpdump.
    assert.equal(rowsOf(b, 2).length, 10);
    const arpRows = rowsOf(b, 3).map((i) => packetMetaAt(b, i, ['eth0']));
    assert.equal(arpRows.length, 1);
    assert.deepEqual([arpRows[0]!.srcIp, arpRows[0]!.dstIp, arpRows[0]!.proto, arpRows[0]!.seq], ['192.0.2.1', '192.0.2.9', -1, 0]);
    assert.deepEqual([matchedOf(b, 1), matchedOf(b, 2), matchedOf(b, 3), lostOf(b, 1)], [26, 10, 1, 0]);
  });

  it('caps each subscription at its rate in packet time and counts the rest as lost', () => {
    const { batches, deliver } = collect();
    const tap = new PacketTap(deliver, 100_000, () => {});
    tap.add(7, compileFilter('all', 'tcp'), 100);
    tap.add(8, compileFilter('all', 'tcp'), 1e9);
    // 3 seconds at 1000 packets per second: the capped one gets a burst of 100 then 100 per second.
    for (let i = 0; i < 3000; i++) observe(tap, tcp4('192.0.2.1', '192.0.2.2', 1, 2, i, 0, TCP_FLAGS.ACK, 1), 1_700_000_000 + i / 1000);
    tap.flush();
    const b = batches[0]!;
    const capped = rowsOf(b, 7).length;
    // Tokens: 100 at the start, +0.1 per packet after it: 100 + floor(2999 * 0.1) (float rounding may cost one).
    assert.ok(capped >= 398 && capped <= 400, `capped subscription got ${capped}`);
    assert.equal(capped + lostOf(b, 7), 3000);
    assert.equal(matchedOf(b, 7), 3000);
    assert.equal(rowsOf(b, 8).length, 3000);
    // The delivered rows of the capped one are never more than rate x elapsed + burst at any point.
    const ts = rowsOf(b, 7).map((i) => b.ts[i]! - 1_700_000_000);
    ts.forEach((t, k) => assert.ok(k + 1 <= 100 + t * 100 + 1e-6, `row ${k} at ${t}`));
  });

  it('holds at most its row capacity between flushes and counts the overflow as lost', () => {
    const { batches, deliver } = collect();
    let scheduled = 0;
    const tap = new PacketTap(deliver, 64, () => scheduled++);
    tap.add(1, compileFilter('x', 'tcp'), 1e9);
    for (let i = 0; i < 200; i++) observe(tap, tcp4('192.0.2.1', '192.0.2.2', 1, 2, i, 0, TCP_FLAGS.ACK, 1), 1_700_000_000 + i * 1e-4);
    assert.equal(scheduled, 1, 'one flush scheduled when half full');
    tap.flush();
    const b = batches[0]!;
    assert.equal(b.count, 64);
    assert.equal(lostOf(b, 1), 136);
    assert.deepEqual(rowsOf(b, 1).map((i) => b.seq[i]), Array.from({ length: 64 }, (_, i) => i));
  });

  it('in synchronous mode flushes a full buffer instead of losing rows (replays)', () => {
    const { batches, deliver } = collect();
    const tap = new PacketTap(deliver, 64, () => {});
    tap.setSynchronous(true);
    tap.add(1, compileFilter('x', 'tcp'), 1e9);
    for (let i = 0; i < 200; i++) observe(tap, tcp4('192.0.2.1', '192.0.2.2', 1, 2, i, 0, TCP_FLAGS.ACK, 1), 1_700_000_000 + i * 1e-4);
    tap.flush();
    const seqs = batches.flatMap((b) => rowsOf(b, 1).map((i) => b.seq[i]));
    assert.deepEqual(seqs, Array.from({ length: 200 }, (_, i) => i));
    assert.equal(batches.reduce((n, b) => n + lostOf(b, 1), 0), 0);
  });

  it('reports rows a refused batch carried as lost in the next one', () => {
    let accept = false;
    const batches: PacketMetaBatch[] = [];
    const tap = new PacketTap((b) => (accept ? (batches.push(b), true) : false), 1000, () => {});
    tap.add(1, compileFilter('x', 'tcp'), 1e9);
    for (let i = 0; i < 30; i++) observe(tap, tcp4('192.0.2.1', '192.0.2.2', 1, 2, i, 0, TCP_FLAGS.ACK, 1), 1_700_000_000 + i * 1e-3);
    tap.flush();
    accept = true;
    for (let i = 0; i < 5; i++) observe(tap, tcp4('192.0.2.1', '192.0.2.2', 1, 2, i, 0, TCP_FLAGS.ACK, 1), 1_700_000_001 + i * 1e-3);
    tap.flush();
    const b = batches[0]!;
    assert.equal(rowsOf(b, 1).length, 5);
    assert.equal(lostOf(b, 1), 30);
    assert.equal(matchedOf(b, 1), 35);
  });
});
