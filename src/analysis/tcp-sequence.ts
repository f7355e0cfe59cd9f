import type { DecodedPacket } from '../decode/packet';
import { tcpPayloadLength } from './tcp-segment';

/**
 * Wireshark's TCP sequence analysis (epan/dissectors/packet-tcp.c, tcp_analyze_sequence_number, as
 * in Wireshark 4.0.17, Debian 12's tshark, with its default preferences), restricted to what decides
 * the flags netmon counts: retransmission, fast and spurious retransmission (all three are tshark's
 * tcp.analysis.retransmission), out-of-order, keep-alive, zero window and zero-window probe. Sequence numbers are absolute 32-bit values kept as
 * Int32 bit patterns and compared modulo 2^32 as Wireshark's LT_SEQ/GT_SEQ do; 0 means "not seen
 * yet", as in Wireshark. What is left out (lost segments, window updates and full windows, bytes in
 * flight, ACK RTT, the list of unacknowledged segments) does not change these flags, except that
 * Wireshark stops adding a SYN's or FIN's sequence number once 10 000 segments are unacknowledged.
 * The analyser runs an equivalent shortcut for in-order segments first (TcpAnalyzer.inOrder).
 */

/** Analysis flags of one segment. */
export const A_RETRANSMISSION = 1;
export const A_FAST_RETRANSMISSION = 2;
export const A_SPURIOUS_RETRANSMISSION = 4;
export const A_OUT_OF_ORDER = 8;
export const A_ZERO_WINDOW = 16;
export const A_KEEP_ALIVE = 32;
export const A_ZERO_WINDOW_PROBE = 64;
export const A_DUPLICATE_ACK = 128;
/**
 * Wireshark has SEQ/ACK analysis for the segment (its tcp_analyze_get_acked_struct made one): any
 * flag above, or of those netmon does not count (lost segment, window update, ACK of an unseen
 * segment, keep-alive or probe ACK), data (bytes in flight), or an ACK of the other direction's
 * latest segment. tshark shows tcp.analysis.initial_rtt only on such segments.
 */
export const A_SHOWN = 256;
/** What tshark marks tcp.analysis.retransmission. */
export const A_ANY_RETRANSMISSION = A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION;

/*
 * Layout of a connection slot of the TCP analyser (tcp-connections.ts holds the table). These are
 * const enums so that the hot code in this file sees literal numbers: an imported or module-level
 * constant costs TurboFan a load and checks at every use (measured: about a third of the in-order
 * path). Other files reach them as enum properties, fine off the per-packet path.
 */

/**
 * Int32 words of a slot (Slot.WORDS per slot): the key (endpoints ordered, A the lower address
 * then port; PORTS is portA << 16 | portB), the table's hash, state and list links, then each
 * direction's words at Slot.DIR + dir * Dir.WORDS, dir 0 for A → B.
 */
export const enum Slot { WORDS = 32, PORTS = 8, VERSION = 9, HASH = 10, STATE = 11, PREV = 12, NEXT = 13, SYN_PREV = 14, SYN_NEXT = 15, DIR = 16 }
/**
 * Int32 words of one direction. WINDOW is the last window field (unscaled), -1 before the first
 * segment (Wireshark: G_MAXUINT32). FLOW is 1 + the flow slot linked to this direction (0: none).
 */
export const enum Dir { WORDS = 8, NEXTSEQ = 0, MAXSEQTOBEACKED = 1, LASTACK = 2, WINDOW = 3, DUPACKS = 4, FLAGS = 5, BASE_SEQ = 6, FLOW = 7 }
/** Dir.FLAGS bits: base sequence known; the direction's last segment was a keep-alive / zero-window probe. */
export const enum DirFlags { BASE_SEQ_SET = 1, LAST_KEEP_ALIVE = 2, LAST_ZERO_WINDOW_PROBE = 4 }
/**
 * Float64 words of a slot (SlotF.WORDS per slot): the latest SYN's time, the handshake RTT, the first
 * SYN's time (for the SYN timeout), the last packet's time, when it was queued on its list (second-
 * chance expiry), then each direction's words at SlotF.DIR + dir * DirF.WORDS.
 */
export const enum SlotF { WORDS = 10, MRU_SYN = 0, FIRST_RTT = 1, SYN_TIME = 2, LAST = 3, QUEUED = 4, DIR = 6 }
export const enum DirF { WORDS = 2, LASTACKTIME = 0, NEXTSEQTIME = 1 }
/**
 * Bits of Slot.STATE. The analyser's: INITIATOR_B (the first packet came from endpoint B), ATTEMPT
 * (opened with a SYN: its result counts once), SYNACK (the responder sent SYN-ACK), DONE (the result
 * was counted), RTT_PENDING (a SYN seen, the handshake RTT not counted yet: not measured, or measured in
 * SlotF.FIRST_RTT but not yet on a segment Wireshark analyses, A_SHOWN), CLOSING (a FIN or RST seen:
 * forgotten after tcp.idle_timeout, not tcp.established_timeout), and from IFACE_SHIFT up
 * the interface index of the first packet. The table's (TABLE_BITS): PROTECTED (on the protected
 * list), ON_SYN_LIST.
 */
export const enum State {
  INITIATOR_B = 1, ATTEMPT = 2, SYNACK = 4, DONE = 8, RTT_PENDING = 16, CLOSING = 32,
  PROTECTED = 1 << 14, ON_SYN_LIST = 1 << 15, TABLE_BITS = (1 << 14) | (1 << 15), IFACE_SHIFT = 16,
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
/** Fast retransmission: within this many seconds of the duplicate ACK (Wireshark: 20 ms). */
const FAST_RETRANSMISSION_WINDOW = 0.02;
/** Out-of-order threshold before the initial RTT is known (Wireshark: 3 ms). */
const DEFAULT_OOO_THRESHOLD = 0.003;

/**
 * The common case, cheaply: a segment of connection slot link >> 1, direction link & 1, past its
 * handshake (answered or from the initiator, RTT measured), without SYN, FIN or RST (the caller
 * checks), that starts exactly where its direction's data ended, with a nonzero window, and is
 * neither a repeated pure ACK, a zero-window probe, already acknowledged, nor acknowledging data not
 * seen. Wireshark's analysis flags nothing on such a segment: this makes the state updates
 * analyzeSequence would make and returns its payload length. Otherwise it returns -1 having changed
 * nothing (the caller then runs the whole analysis). `v` views `buf`.
 * The layout constants are written as numbers here (the enum names in comments): TurboFan folds
 * literals, while every use of an enum member or module constant costs a load and checks, about a
 * third of this function (test/analysis/tcp-layout.test.ts pins the values).
 */
export function inOrder(I: Int32Array, F: Float64Array, link: number, v: DataView<ArrayBufferLike>, buf: Buffer, pkt: DecodedPacket): number {
  const s = link >> 1;
  const dir = link & 1;
  const sb = s * 32 /* Slot.WORDS */;
  const st = I[sb + 11 /* Slot.STATE */]!;
  if ((st & 16 /* State.RTT_PENDING */) !== 0 || ((st & 16384 /* State.PROTECTED */) === 0 && ((st & 1 /* State.INITIATOR_B */) !== 0 ? 1 : 0) !== dir)) return -1;
  const l4 = pkt.l4Offset;
  const seq = v.getInt32(l4 + 4);
  const fb = sb + 16 /* Slot.DIR */ + dir * 8 /* Dir.WORDS */;
  const next = I[fb + 0 /* Dir.NEXTSEQ */]!;
  const window = v.getUint16(l4 + 14);
  if (seq !== next || next === 0 || window === 0) return -1;
  const rb = sb + 16 /* Slot.DIR */ + (1 - dir) * 8 /* Dir.WORDS */;
  if ((I[rb + 5 /* Dir.FLAGS */]! & 1 /* DirFlags.BASE_SEQ_SET */) === 0) return -1;
  const seglen = tcpPayloadLength(buf, pkt);
  if (seglen < 0) return -1;
  const ack = v.getInt32(l4 + 8);
  const lastAck = I[fb + 2 /* Dir.LASTACK */]!;
  if (seglen === 0) {
    if (ack === lastAck) return -1; // duplicate ACK, window update, keep-alive or probe ACK
  } else {
    if (seglen === 1 && I[rb + 3 /* Dir.WINDOW */] === 0) return -1; // zero-window probe
    const revAck = I[rb + 2 /* Dir.LASTACK */]!;
    if (revAck !== 0 && ((((seq + seglen) | 0) - revAck) | 0) <= 0) return -1; // spurious
  }
  const rMax = I[rb + 1 /* Dir.MAXSEQTOBEACKED */]!;
  if (rMax !== 0 && ((ack - rMax) | 0) > 0) return -1; // acknowledges a segment not seen
  const fo = s * 10 /* SlotF.WORDS */;
  const ff = fo + 6 /* SlotF.DIR */ + dir * 2 /* DirF.WORDS */;
  const now = pkt.ts;
  if (seglen > 0) {
    I[fb + 0 /* Dir.NEXTSEQ */] = (seq + seglen) | 0;
    F[ff + 1 /* DirF.NEXTSEQTIME */] = now;
  }
  const max = I[fb + 1 /* Dir.MAXSEQTOBEACKED */]!;
  if (seq === max || max === 0) I[fb + 1 /* Dir.MAXSEQTOBEACKED */] = I[fb + 0 /* Dir.NEXTSEQ */]!;
  if (ack !== lastAck) I[fb + 4 /* Dir.DUPACKS */] = 0;
  I[fb + 3 /* Dir.WINDOW */] = window;
  I[fb + 2 /* Dir.LASTACK */] = ack;
  F[ff + 0 /* DirF.LASTACKTIME */] = now;
  I[fb + 5 /* Dir.FLAGS */] = 1 /* DirFlags.BASE_SEQ_SET */;
  F[fo + 3 /* SlotF.LAST */] = now;
  return seglen;
}

/**
 * Analyses the TCP segment in `pkt` (its header in `buf` at pkt.l4Offset, its payload `seglen` bytes:
 * tcpPayloadLength) of connection slot s going in direction dir at packet time pkt.ts; updates the
 * per-direction state and returns the A_* flags. Sequence and acknowledgement numbers are read here
 * from the header, not passed in: a call that is not inlined passes a 32-bit value above 2^30 as a
 * heap number. Layout constants as numbers, as in inOrder().
 */
export function analyzeSequence(I: Int32Array, F: Float64Array, s: number, dir: number, buf: Buffer, pkt: DecodedPacket, seglen: number): number {
  const l4 = pkt.l4Offset;
  const seq = (buf[l4 + 4]! << 24) | (buf[l4 + 5]! << 16) | (buf[l4 + 6]! << 8) | buf[l4 + 7]!;
  const ack = (buf[l4 + 8]! << 24) | (buf[l4 + 9]! << 16) | (buf[l4 + 10]! << 8) | buf[l4 + 11]!;
  const flags = pkt.tcpFlags;
  const window = (buf[l4 + 14]! << 8) | buf[l4 + 15]!;
  const now = pkt.ts;
  const fb = s * 32 /* Slot.WORDS */ + 16 /* Slot.DIR */ + dir * 8 /* Dir.WORDS */;
  const rb = s * 32 /* Slot.WORDS */ + 16 /* Slot.DIR */ + (1 - dir) * 8 /* Dir.WORDS */;
  const ff = s * 10 /* SlotF.WORDS */ + 6 /* SlotF.DIR */ + dir * 2 /* DirF.WORDS */;
  const rf = s * 10 /* SlotF.WORDS */ + 6 /* SlotF.DIR */ + (1 - dir) * 2 /* DirF.WORDS */;
  if ((I[fb + 5 /* Dir.FLAGS */]! & 1 /* DirFlags.BASE_SEQ_SET */) === 0) {
    I[fb + 6 /* Dir.BASE_SEQ */] = (flags & SYN) !== 0 ? seq : (seq - 1) | 0;
    I[fb + 5 /* Dir.FLAGS */]! |= 1 /* DirFlags.BASE_SEQ_SET */;
  }
  if ((I[rb + 5 /* Dir.FLAGS */]! & 1 /* DirFlags.BASE_SEQ_SET */) === 0 && (flags & ACK) !== 0) {
    I[rb + 6 /* Dir.BASE_SEQ */] = (ack - 1) | 0;
    I[rb + 5 /* Dir.FLAGS */]! |= 1 /* DirFlags.BASE_SEQ_SET */;
  }
  const next = I[fb + 0 /* Dir.NEXTSEQ */]!;
  let a = 0;
  // What makes Wireshark analyse a segment without flagging it as anything netmon counts.
  let shown = seglen > 0 ? A_SHOWN : 0;
  if (next !== 0 && ((seq - next) | 0) > 0 && (flags & RST) === 0) shown = A_SHOWN; // a segment lost before it
  const lastAck = I[fb + 2 /* Dir.LASTACK */]!;
  const revNext = I[rb + 0 /* Dir.NEXTSEQ */]!;
  if ((flags & ACK) !== 0 && ack !== lastAck && ack === revNext && revNext !== 0) shown = A_SHOWN; // acknowledges the latest segment
  if (seglen === 0 && window !== 0 && window !== I[fb + 3 /* Dir.WINDOW */] && seq === next && ack === lastAck && (flags & (SYN | FIN | RST)) === 0) shown = A_SHOWN; // window update
  if (seglen === 1 && seq === next && I[rb + 3 /* Dir.WINDOW */] === 0) {
    a = A_ZERO_WINDOW_PROBE;
  } else {
    if (window === 0 && (flags & (RST | FIN | SYN)) === 0) a |= A_ZERO_WINDOW;
    if ((seglen === 0 || seglen === 1) && seq === ((next - 1) | 0) && (flags & (SYN | FIN | RST)) === 0) a |= A_KEEP_ALIVE;
    // A pure ACK repeating this direction's previous ACK: the acknowledgement of a keep-alive or of a
    // zero-window probe, else a duplicate ACK.
    if (seglen === 0 && (flags & (SYN | FIN | RST)) === 0 && seq === next && ack === I[fb + 2 /* Dir.LASTACK */] && window === I[fb + 3 /* Dir.WINDOW */]) {
      const rev = I[rb + 5 /* Dir.FLAGS */]!;
      if (window !== 0 && (rev & 2 /* DirFlags.LAST_KEEP_ALIVE */) !== 0) {
        shown = A_SHOWN; // keep-alive ACK
      } else if (window === 0 && (rev & 4 /* DirFlags.LAST_ZERO_WINDOW_PROBE */) !== 0) {
        shown = A_SHOWN; // zero-window probe ACK
      } else if (window !== 0) {
        const d = I[fb + 4 /* Dir.DUPACKS */]!;
        I[fb + 4 /* Dir.DUPACKS */] = d === -1 ? 1 : d + 1;
        a |= A_DUPLICATE_ACK;
      }
    }
  }
  if (ack !== I[fb + 2 /* Dir.LASTACK */]) I[fb + 4 /* Dir.DUPACKS */] = 0;
  // ACKed unseen segment: only its side effect on the reverse direction's state matters here.
  const rMax = I[rb + 1 /* Dir.MAXSEQTOBEACKED */]!;
  if (rMax !== 0 && ((ack - rMax) | 0) > 0 && (flags & ACK) !== 0) {
    shown = A_SHOWN;
    // Wireshark 4.0: the reverse direction's limit moves up to its next sequence number; if it is not
    // below it, the duplicate-ACK count is marked -1 (the next duplicate ACK counts as the first).
    const rNext = I[rb + 0 /* Dir.NEXTSEQ */]!;
    if (((rMax - rNext) | 0) < 0) I[rb + 1 /* Dir.MAXSEQTOBEACKED */] = rNext;
    else I[rb + 4 /* Dir.DUPACKS */] = -1;
  }
  if ((seglen > 0 || (flags & (SYN | FIN)) !== 0) && (a & A_KEEP_ALIVE) === 0) {
    let notAdvanced = next !== 0 && ((seq - next) | 0) < 0;
    // One byte less than expected and more than one byte: new data after a zero-window probe.
    if (seglen > 1 && ((next - 1) | 0) === seq) notAdvanced = false;
    const revAck = I[rb + 2 /* Dir.LASTACK */]!;
    if (seglen > 0 && revAck !== 0 && ((((seq + seglen) | 0) - revAck) | 0) <= 0) {
      a |= A_SPURIOUS_RETRANSMISSION;
    } else {
      const sinceDupAck = now - F[rf + 0 /* DirF.LASTACKTIME */]!;
      const sinceNext = now - F[ff + 1 /* DirF.NEXTSEQTIME */]!;
      const firstRtt = F[s * 10 /* SlotF.WORDS */ + 1 /* SlotF.FIRST_RTT */]!;
      const expectedNext = (seq + seglen + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) | 0;
      if (notAdvanced && I[rb + 4 /* Dir.DUPACKS */]! >= 2 && revAck === seq && sinceDupAck >= 0 && sinceDupAck < FAST_RETRANSMISSION_WINDOW) {
        a |= A_FAST_RETRANSMISSION;
      } else if (notAdvanced && sinceNext >= 0 && sinceNext < (firstRtt === 0 ? DEFAULT_OOO_THRESHOLD : firstRtt) && next !== expectedNext) {
        a |= A_OUT_OF_ORDER;
      } else if (notAdvanced) {
        a |= A_RETRANSMISSION;
      }
    }
  }
  let nextseq = (seq + seglen) | 0;
  if ((flags & (SYN | FIN)) !== 0) nextseq = (nextseq + 1) | 0;
  if ((a & A_ZERO_WINDOW_PROBE) === 0) {
    if (((nextseq - next) | 0) > 0 || next === 0) {
      I[fb + 0 /* Dir.NEXTSEQ */] = nextseq;
      F[ff + 1 /* DirF.NEXTSEQTIME */] = now;
    }
    const max = I[fb + 1 /* Dir.MAXSEQTOBEACKED */]!;
    if (seq === max || max === 0) I[fb + 1 /* Dir.MAXSEQTOBEACKED */] = I[fb + 0 /* Dir.NEXTSEQ */]!;
  }
  I[fb + 3 /* Dir.WINDOW */] = window;
  I[fb + 2 /* Dir.LASTACK */] = ack;
  F[ff + 0 /* DirF.LASTACKTIME */] = now;
  I[fb + 5 /* Dir.FLAGS */] = (I[fb + 5 /* Dir.FLAGS */]! & 1 /* DirFlags.BASE_SEQ_SET */) | ((a & A_KEEP_ALIVE) !== 0 ? 2 /* DirFlags.LAST_KEEP_ALIVE */ : 0) | ((a & A_ZERO_WINDOW_PROBE) !== 0 ? 4 /* DirFlags.LAST_ZERO_WINDOW_PROBE */ : 0);
  return a !== 0 ? a | A_SHOWN : shown;
}
