/**
 * TCP segments in IP fragments (tcp-fragments.ts): analysed once complete, at the fragment
 * completing them, with the first bytes received kept where fragments overlap (as tshark 4.0 does,
 * checked below when it is installed); not at all when one is missing or a capture file cut one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TCP_DATA_SEGMENTS, TCP_ESTABLISHED, TCP_FRAGMENTED_INCOMPLETE, TCP_FRAGMENTED_REASSEMBLED, TCP_RETRANSMISSIONS, TCP_RTT_COUNT, TCP_RTT_SUM,
} from '../../src/analysis/tcp-counters';
import { REASSEMBLY_TIMEOUT } from '../../src/analysis/ip-reassembly';
import { runFrames } from '../support/analysis-run';
import type { TimedFrame } from '../support/dns-tcp-frames';
import { ETH, ethernet, ipv4, ipv6, LT, PROTO, tcp } from '../support/frames';
import { fragmentFrame } from '../support/ip-fragments';
import { hasTshark } from '../support/dns-tcp-oracle';
import { writePcap } from '../support/pcap-writer';

const T0 = 1_700_000_000;
const SYN = 0x02, ACK = 0x10, PSH = 0x08;

function segment(v6: boolean, fromClient: boolean, o: { flags: number; seq: number; ack?: number; sport?: number }, payload = Buffer.alloc(0)): Buffer {
  const [c, s] = v6 ? ['fd00::1', 'fd00::2'] : ['10.0.0.1', '10.0.0.2'];
  const t = tcp({ sport: fromClient ? (o.sport ?? 40000) : 80, dport: fromClient ? 80 : (o.sport ?? 40000), flags: o.flags, seq: o.seq, ack: o.ack ?? 0 }, payload);
  return v6
    ? ethernet({ etherType: ETH.IPV6 }, ipv6({ src: fromClient ? c : s, dst: fromClient ? s : c, nextHeader: PROTO.TCP }, t))
    : ethernet({ etherType: ETH.IPV4 }, ipv4({ src: fromClient ? c : s, dst: fromClient ? s : c, proto: PROTO.TCP }, t));
}

/** A handshake whose SYN goes as 8-byte fragments in `order`, 1 ms apart, then 100 bytes of data sent twice. */
function connection(v6: boolean, order: readonly number[]): TimedFrame[] {
  const parts = fragmentFrame(segment(v6, true, { flags: SYN, seq: 999 }), { mtu: (v6 ? 48 : 20) + 8, id: 77 });
  assert.equal(parts.length, 3);
  const data = Buffer.alloc(100, 1);
  return [
    ...order.map((k, i) => ({ data: parts[k]!, ts: T0 + i * 0.001 })),
    { data: segment(v6, false, { flags: SYN | ACK, seq: 4999, ack: 1000 }), ts: T0 + 0.01 },
    { data: segment(v6, true, { flags: ACK, seq: 1000, ack: 5000 }), ts: T0 + 0.02 },
    { data: segment(v6, true, { flags: ACK | PSH, seq: 1000, ack: 5000 }, data), ts: T0 + 0.03 },
    ...fragmentFrame(segment(v6, true, { flags: ACK | PSH, seq: 1000, ack: 5000 }, data), { mtu: (v6 ? 48 : 20) + 64, id: 78 }).map((d, i) => ({ data: d, ts: T0 + 0.5 + i * 0.001 })),
  ];
}

test('a SYN in 8-byte fragments (its header split) is analysed at the fragment completing it, whatever their order; a retransmission in fragments counts', () => {
  for (const v6 of [false, true]) {
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 0, 2, 1]]) {
      const c = runFrames(connection(v6, order)).p.tcp!.perInterface[0]!;
      const seen = new Set<number>();
      const complete = order.findIndex((k) => (seen.add(k), seen.size === 3));
      const msg = `${v6 ? 'IPv6' : 'IPv4'} order ${order}`;
      assert.equal(c[TCP_ESTABLISHED], 1, msg);
      assert.equal(c[TCP_RTT_COUNT], 1, msg);
      assert.ok(Math.abs(c[TCP_RTT_SUM]! - (0.02 - complete * 0.001)) < 1e-6, `${msg}: ${c[TCP_RTT_SUM]}`);
      assert.equal(c[TCP_RETRANSMISSIONS], 1, msg);
      assert.equal(c[TCP_FRAGMENTED_REASSEMBLED], 2, msg);
      assert.equal(c[TCP_DATA_SEGMENTS], 4, msg); // the SYN, the SYN-ACK, the data twice
    }
  }
});

test('a segment with a fragment missing is not analysed, and counts as incomplete when given up', () => {
  const frames = connection(false, [0, 2]);
  const c = runFrames([...frames, { data: segment(false, true, { flags: ACK, seq: 1100, ack: 5000, sport: 40001 }), ts: T0 + REASSEMBLY_TIMEOUT + 1 }]).p.tcp!.perInterface[0]!;
  assert.equal(c[TCP_RTT_COUNT], 0);
  assert.equal(c[TCP_ESTABLISHED], 0);
  assert.equal(c[TCP_FRAGMENTED_REASSEMBLED], 1);
  assert.equal(c[TCP_FRAGMENTED_INCOMPLETE], 1);
});

test('overlapping fragments that disagree: the bytes received first are the segment\'s, as in tshark', () => {
  // The SYN's first 8 bytes (ports, sequence number) twice, from two source ports; then the rest.
  const a = fragmentFrame(segment(false, true, { flags: SYN, seq: 999, sport: 41111 }), { mtu: 28, id: 9 });
  const b = fragmentFrame(segment(false, true, { flags: SYN, seq: 999, sport: 42222 }), { mtu: 28, id: 9 });
  const frames = [{ data: a[0]!, ts: T0 }, { data: b[0]!, ts: T0 + 0.001 }, { data: a[1]!, ts: T0 + 0.002 }, { data: a[2]!, ts: T0 + 0.003 },
    { data: segment(false, false, { flags: SYN | ACK, seq: 4999, ack: 1000, sport: 41111 }), ts: T0 + 0.01 },
    { data: segment(false, true, { flags: ACK, seq: 1000, ack: 5000, sport: 41111 }), ts: T0 + 0.02 }];
  const c = runFrames(frames).p.tcp!.perInterface[0]!;
  assert.equal(c[TCP_RTT_COUNT], 1);
  assert.ok(Math.abs(c[TCP_RTT_SUM]! - 0.017) < 1e-6);
  if (!hasTshark()) return;
  const dir = mkdtempSync(join(tmpdir(), 'netmon-tcpfrag-'));
  try {
    const file = join(dir, 'overlap.pcap');
    writePcap(file, frames, { linkType: LT.ETHERNET });
    const out = execFileSync('tshark', ['-r', file, '-n', '-Y', 'tcp.analysis.initial_rtt', '-T', 'fields', '-e', 'tcp.srcport', '-e', 'tcp.analysis.initial_rtt'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.deepEqual(out.trim().split('\t'), ['41111', '0.017000000']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a capture file\'s fragment cut by its snap length is not analysed (tshark dissects a cut IPv4 first fragment but analyses no sequence); netmon\'s own snap length reassembles', () => {
  // The retransmitted data goes in two fragments (IP lengths 84 and 76); a 90-byte snap length cuts the first.
  const frames = connection(false, [0, 1, 2]);
  const cutFile = runFrames(frames, {}, 90).p.tcp!.perInterface[0]!;
  assert.equal(cutFile[TCP_RETRANSMISSIONS], 0);
  assert.equal(cutFile[TCP_FRAGMENTED_REASSEMBLED], 1);
  const live = runFrames(frames, {}, 90, true).p.tcp!.perInterface[0]!;
  assert.equal(live[TCP_RETRANSMISSIONS], 1);
  assert.equal(live[TCP_FRAGMENTED_REASSEMBLED], 2);
});
