// A TCP segment's length (tcp.len) is bounded by every length field around it, as in Wireshark:
// the IP length, the frame's wire length, and a PPPoE session header's payload length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TCP_RETRANSMISSIONS, TCP_RTT_COUNT } from '../../src/analysis/tcp-counters';
import { runFrames } from '../support/analysis-run';
import { hasTshark } from '../support/dns-tcp-oracle';
import type { TimedFrame } from '../support/dns-tcp-frames';
import { ETH, ethernet, ipv4, LT, PROTO, pppoeSession, tcp, TCP_FLAGS } from '../support/frames';
import { writePcap } from '../support/pcap-writer';

const { SYN, ACK, PSH } = TCP_FLAGS;
const C = '10.9.0.1', S = '10.9.0.2';
const T0 = 1_700_000_000;

/** A TCP segment over PPPoE; `ipClaims` bytes more in the IP total length than PPPoE carries, padded after it. */
function overPppoe(fromClient: boolean, flags: number, seq: number, ack: number, payload: Buffer, ipClaims = 0): Buffer {
  const seg = tcp({ sport: fromClient ? 40000 : 80, dport: fromClient ? 80 : 40000, flags, seq, ack, window: 8192 }, payload);
  const ip = ipv4({ src: fromClient ? C : S, dst: fromClient ? S : C, proto: PROTO.TCP, totalLength: 20 + seg.length + ipClaims }, seg);
  return Buffer.concat([ethernet({ etherType: ETH.PPPOE_SESSION }, pppoeSession({ protocol: 0x21 }, ip)), Buffer.alloc(ipClaims)]);
}

test('over PPPoE, the payload length bounds the segment: an ACK whose IP length claims 6 bytes of padding has no data, so the data after it is not a retransmission (as tshark)', () => {
  const frames: TimedFrame[] = [
    { data: overPppoe(true, SYN, 100, 0, Buffer.alloc(0)), ts: T0 },
    { data: overPppoe(false, SYN | ACK, 500, 101, Buffer.alloc(0)), ts: T0 + 0.01 },
    // (The data comes later than the handshake RTT after it: sooner, Wireshark would call it out of order.)
    // The ACK completing the handshake: IP says 46 bytes, PPPoE 42 (40 + the PPP protocol field); 6 bytes of Ethernet padding follow.
    { data: overPppoe(true, ACK, 101, 501, Buffer.alloc(0), 6), ts: T0 + 0.02 },
    { data: overPppoe(true, PSH | ACK, 101, 501, Buffer.alloc(10, 0x41)), ts: T0 + 0.1 },
    { data: overPppoe(false, ACK, 501, 111, Buffer.alloc(0)), ts: T0 + 0.12 },
  ];
  const c = runFrames(frames).p.tcp!.perInterface[0]!;
  assert.equal(c[TCP_RTT_COUNT], 1);
  assert.equal(c[TCP_RETRANSMISSIONS], 0);
  if (!hasTshark()) return;
  const dir = mkdtempSync(join(tmpdir(), 'netmon-pppoe-len-'));
  try {
    const file = join(dir, 'pppoe.pcap');
    writePcap(file, frames, { linkType: LT.ETHERNET });
    const out = execFileSync('tshark', ['-r', file, '-n', '-T', 'fields', '-e', 'tcp.len', '-e', 'tcp.analysis.retransmission'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.deepEqual(out.trim().split('\n').map((l) => l.trim()), ['0', '0', '0', '10', '0']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
