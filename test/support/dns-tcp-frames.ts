/**
 * Builders for the DNS and TCP analysis tests: DNS messages (RFC 1035 section 4.1) and TCP
 * conversations whose sequence and acknowledgement numbers follow RFC 9293, as Ethernet frames with
 * timestamps, ready for writePcap() or a PacketPipeline.
 */
import { ETH, ethernet, ipv4, ipv6, PROTO, tcp, TCP_FLAGS, udp } from './frames';

/** A frame and its capture time. */
export interface TimedFrame {
  data: Buffer;
  ts: number;
  /** Length on the wire when `data` is a cut frame (default data.length). */
  wireLen?: number;
}

/** QNAME in wire format (labels, no compression). */
export function qname(name: string): Buffer {
  const parts = name.split('.').filter((l) => l.length > 0).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/**
 * A DNS message with one question; a response also carries `answerBytes` of opaque answer data
 * (one RR of type NULL, RFC 1035 3.3.10) so its size can vary.
 */
export function dnsMessage(o: { id: number; response: boolean; rcode?: number; opcode?: number; tc?: boolean; name?: string; qtype: number; answerBytes?: number; noQuestion?: boolean }): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(o.id, 0);
  let flags = (o.response ? 0x8000 : 0) | ((o.opcode ?? 0) << 11) | 0x0100; // RD
  if (o.response) flags |= 0x0080 | ((o.rcode ?? 0) & 15); // RA
  if (o.tc === true) flags |= 0x0200;
  h.writeUInt16BE(flags, 2);
  // noQuestion: no question section (as the later messages of a zone transfer), the answer owned by the root.
  h.writeUInt16BE(o.noQuestion === true ? 0 : 1, 4);
  const q = Buffer.concat([qname(o.name ?? 'example.com'), Buffer.from([o.qtype >> 8, o.qtype & 255, 0, 1])]);
  const parts = o.noQuestion === true ? [h] : [h, q];
  const n = o.answerBytes ?? 0;
  if (o.response && n > 0) {
    h.writeUInt16BE(1, 6);
    const name = o.noQuestion === true ? Buffer.from([0]) : Buffer.from([0xc0, 0x0c]); // root, or a pointer to the question's name
    const rr = Buffer.alloc(10 + n);
    rr.writeUInt16BE(10, 0); // NULL
    rr.writeUInt16BE(1, 2);
    rr.writeUInt32BE(60, 4);
    rr.writeUInt16BE(n, 8);
    parts.push(name, rr);
  }
  return Buffer.concat(parts);
}

/** DNS over TCP framing: a 2-byte length before each message (RFC 7766 section 8). */
export function tcpFramed(...messages: Buffer[]): Buffer {
  return Buffer.concat(messages.flatMap((m) => [Buffer.from([m.length >> 8, m.length & 255]), m]));
}

const isV6 = (a: string) => a.includes(':');

/** An Ethernet/IP/UDP frame. */
export function udpFrame(src: string, dst: string, sport: number, dport: number, payload: Buffer): Buffer {
  const l4 = udp({ sport, dport }, payload);
  return isV6(src)
    ? ethernet({ etherType: ETH.IPV6 }, ipv6({ src, dst, nextHeader: PROTO.UDP }, l4))
    : ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst, proto: PROTO.UDP }, l4));
}

/** An Ethernet/IP/TCP frame. */
export function tcpFrame(src: string, dst: string, o: { sport: number; dport: number; flags: number; seq: number; ack: number; window?: number }, payload: Buffer = Buffer.alloc(0)): Buffer {
  const l4 = tcp({ sport: o.sport, dport: o.dport, flags: o.flags, seq: o.seq >>> 0, ack: o.ack >>> 0, window: o.window ?? 65535 }, payload);
  return isV6(src)
    ? ethernet({ etherType: ETH.IPV6 }, ipv6({ src, dst, nextHeader: PROTO.TCP }, l4))
    : ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst, proto: PROTO.TCP }, l4));
}

const { SYN, ACK, FIN, RST, PSH } = TCP_FLAGS;

/**
 * One TCP connection between a client and a server; each method appends the frame the named end
 * sends at time `ts` and moves that end's sequence number as TCP would (SYN and FIN take one).
 * "Re-sends" reuse an earlier sequence number, as a retransmitting stack does.
 */
export class TcpConversation {
  readonly frames: TimedFrame[] = [];
  /** Next sequence number each end sends. */
  cseq: number;
  sseq: number;
  /** Highest byte each end has acknowledged of the other. */
  cack = 0;
  sack = 0;
  window = { client: 65535, server: 65535 };

  constructor(readonly client: string, readonly server: string, readonly cport: number, readonly sport: number, cisn: number, sisn: number) {
    this.cseq = cisn >>> 0;
    this.sseq = sisn >>> 0;
  }

  private push(fromClient: boolean, ts: number, flags: number, seq: number, payload: Buffer, ack?: number): void {
    const a = ack ?? (fromClient ? this.cack : this.sack);
    const data = fromClient
      ? tcpFrame(this.client, this.server, { sport: this.cport, dport: this.sport, flags, seq, ack: a, window: this.window.client }, payload)
      : tcpFrame(this.server, this.client, { sport: this.sport, dport: this.cport, flags, seq, ack: a, window: this.window.server }, payload);
    this.frames.push({ data, ts });
  }

  syn(ts: number): void {
    this.push(true, ts, SYN, this.cseq, Buffer.alloc(0), 0);
  }
  /** The same SYN again (same initial sequence number). */
  synAgain(ts: number): void {
    this.push(true, ts, SYN, this.cseq, Buffer.alloc(0), 0);
  }
  synAck(ts: number): void {
    this.sack = (this.cseq + 1) >>> 0;
    this.push(false, ts, SYN | ACK, this.sseq, Buffer.alloc(0));
  }
  /** The client's ACK completing the handshake. */
  ack(ts: number): void {
    this.cseq = (this.cseq + 1) >>> 0;
    this.sseq = (this.sseq + 1) >>> 0;
    this.cack = this.sseq;
    this.push(true, ts, ACK, this.cseq, Buffer.alloc(0));
  }
  /** RST+ACK from the server answering the SYN (port closed). */
  refuse(ts: number): void {
    this.push(false, ts, RST | ACK, 0, Buffer.alloc(0), (this.cseq + 1) >>> 0);
  }
  /** Data from one end; returns its first sequence number (for a re-send). */
  data(fromClient: boolean, ts: number, len: number): number {
    const seq = fromClient ? this.cseq : this.sseq;
    this.push(fromClient, ts, ACK | PSH, seq, Buffer.alloc(len, 0x61));
    if (fromClient) this.cseq = (this.cseq + len) >>> 0;
    else this.sseq = (this.sseq + len) >>> 0;
    return seq;
  }
  /** Data bytes already sent once (seq, len), sent again. */
  resend(fromClient: boolean, ts: number, seq: number, len: number): void {
    this.push(fromClient, ts, ACK | PSH, seq, Buffer.alloc(len, 0x61));
  }
  /** A pure ACK from one end acknowledging everything the other sent (or `upTo`). */
  ackFrom(fromClient: boolean, ts: number, upTo?: number): void {
    if (fromClient) this.cack = (upTo ?? this.sseq) >>> 0;
    else this.sack = (upTo ?? this.cseq) >>> 0;
    this.push(fromClient, ts, ACK, fromClient ? this.cseq : this.sseq, Buffer.alloc(0));
  }
  /** A keep-alive probe: one byte before the next sequence number, no data (RFC 9293 3.8.4). */
  keepAlive(fromClient: boolean, ts: number): void {
    this.push(fromClient, ts, ACK, ((fromClient ? this.cseq : this.sseq) - 1) >>> 0, Buffer.alloc(0));
  }
  fin(fromClient: boolean, ts: number): void {
    this.push(fromClient, ts, FIN | ACK, fromClient ? this.cseq : this.sseq, Buffer.alloc(0));
    if (fromClient) this.cseq = (this.cseq + 1) >>> 0;
    else this.sseq = (this.sseq + 1) >>> 0;
  }
  /** Raw segment, for cases the methods do not cover. */
  raw(fromClient: boolean, ts: number, flags: number, seq: number, payload: Buffer, ack?: number): void {
    this.push(fromClient, ts, flags, seq, payload, ack);
  }
}
