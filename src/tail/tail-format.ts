/**
 * What `netmon tail` prints: one text line per flow record or packet (piped output), and the live
 * tables of a terminal. Pure functions of the API's JSON objects.
 */

export interface FlowJson {
  src_ip: string;
  dst_ip: string;
  proto: number;
  src_port: number;
  dst_port: number;
  packets: number;
  bytes: number;
  first_seen: number;
  last_seen: number;
  ip_version: number;
  end_reason?: string;
}

export interface PacketJson {
  ts: number;
  interface: string;
  ip_version: number;
  src_ip: string;
  dst_ip: string;
  proto: number;
  src_port: number;
  dst_port: number;
  seq: number;
  ack: number;
  tcp_flags: number;
  window: number;
  length: number;
}

const PROTO: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };
const hasPorts = (p: number): boolean => p === 6 || p === 17 || p === 132;

export const protoText = (p: number): string => PROTO[p] ?? (p < 0 ? '-' : String(p));

export function endpoint(ip: string, port: number, proto: number): string {
  if (!hasPorts(proto)) return ip === '' ? '*' : ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip === '' ? '*' : ip}:${port}`;
}

function isoTime(t: number): string {
  return new Date(t * 1000).toISOString().replace('T', ' ').replace('Z', '');
}

/** One ended flow record: `2026-12-01 10:00:00.123 10.0.0.1:1234 > 10.0.0.2:80 tcp packets=5 bytes=420 duration=0.250s end=idle`. */
export function flowLine(f: FlowJson): string {
  return `${isoTime(f.first_seen)} ${endpoint(f.src_ip, f.src_port, f.proto)} > ${endpoint(f.dst_ip, f.dst_port, f.proto)} ${protoText(f.proto)} packets=${f.packets} bytes=${f.bytes} duration=${(f.last_seen - f.first_seen).toFixed(3)}s end=${f.end_reason ?? 'active'}`;
}

const FLAG_LETTERS = 'FSRPAUEC';

export function tcpFlagsText(flags: number): string {
  let s = '';
  for (let i = 0; i < 8; i++) if ((flags & (1 << i)) !== 0) s += FLAG_LETTERS[i];
  return s === '' ? '.' : s;
}

/** One packet: `10:00:00.123456 eth0 10.0.0.1:1234 > 10.0.0.2:80 tcp [S] seq=1 ack=0 win=64240 len=74`. */
export function packetLine(p: PacketJson): string {
  let secs = Math.floor(p.ts);
  let us = Math.round((p.ts - secs) * 1e6);
  if (us >= 1e6) {
    secs++;
    us -= 1e6;
  }
  const t = `${new Date(secs * 1000).toISOString().slice(11, 19)}.${String(us).padStart(6, '0')}`;
  const tcp = p.proto === 6 ? ` [${tcpFlagsText(p.tcp_flags)}] seq=${p.seq} ack=${p.ack} win=${p.window}` : '';
  return `${t} ${p.interface} ${endpoint(p.src_ip, p.src_port, p.proto)} > ${endpoint(p.dst_ip, p.dst_port, p.proto)} ${protoText(p.proto)}${tcp} len=${p.length}`;
}

export function si(n: number, unit: string): string {
  if (!Number.isFinite(n)) return '-';
  const units = ['', 'k', 'M', 'G', 'T'];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 || n >= 100 ? 0 : 1)}${units[i]}${unit}`;
}

const pad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const padL = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

export interface RatedFlow {
  readonly flow: FlowJson;
  /** Bits per second since the previous poll (NaN for a flow not seen then). */
  readonly bps: number;
}

/** The terminal table of top flows, `rows` lines at most below the header, `width` columns. */
export function flowTable(flows: readonly RatedFlow[], width: number, rows: number): string[] {
  const w = Math.max(20, Math.floor((width - 44) / 2));
  const lines = [`${pad('SOURCE', w)} ${pad('DESTINATION', w)} ${pad('PROTO', 6)} ${padL('BITS/S', 8)} ${padL('PACKETS', 10)} ${padL('BYTES', 8)} ${padL('AGE', 6)}`];
  for (const r of flows.slice(0, Math.max(0, rows))) {
    const f = r.flow;
    lines.push(`${pad(endpoint(f.src_ip, f.src_port, f.proto), w)} ${pad(endpoint(f.dst_ip, f.dst_port, f.proto), w)} ${pad(protoText(f.proto), 6)} ${padL(si(r.bps, ''), 8)} ${padL(String(f.packets), 10)} ${padL(si(f.bytes, 'B'), 8)} ${padL(`${Math.max(0, f.last_seen - f.first_seen).toFixed(0)}s`, 6)}`);
  }
  return lines;
}

/** Orders by rate (flows without one yet after, by bytes). */
export function byRate(a: RatedFlow, b: RatedFlow): number {
  const ra = Number.isFinite(a.bps) ? a.bps : -1;
  const rb = Number.isFinite(b.bps) ? b.bps : -1;
  return rb - ra || b.flow.bytes - a.flow.bytes;
}
