import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ETH, ethernet, icmp, ipv4, ipv6, PROTO, tcp, TCP_FLAGS, udp } from '../support/frames';
import { parseExposition, runNetmon } from '../support/netmon-cli';
import { writePcap } from '../support/pcap-writer';
import { tcpdumpMatch } from '../support/tcpdump';

const dir = mkdtempSync(join(tmpdir(), 'netmon-filter-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// The filters of the issue that introduced them, with the subnet moved into the test range.
const FILTERS: Record<string, string> = {
  dns: 'udp port 53 or tcp port 53',
  web: 'tcp dst portrange 80-443',
  syn: 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn',
  payments: 'net 198.18.20.0/24 and not port 22',
  rest: 'port 80 or 443 or 22',
  big: 'greater 500',
};

function capture(): string {
  const frames: Buffer[] = [];
  const hosts = ['198.18.0.1', '198.18.20.7', '198.18.20.9', '198.19.1.1'];
  const ports = [22, 53, 80, 443, 8080, 5353, 40000];
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const pick = <T>(a: readonly T[]) => a[Math.floor(rand() * a.length)]!;
  for (let i = 0; i < 400; i++) {
    const src = pick(hosts), dst = pick(hosts), sport = pick(ports), dport = pick(ports);
    const pay = Buffer.alloc(pick([0, 10, 600, 1200]));
    const k = rand();
    if (k < 0.45) frames.push(ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst, proto: PROTO.TCP }, tcp({ sport, dport, flags: pick([TCP_FLAGS.SYN, TCP_FLAGS.SYN | TCP_FLAGS.ACK, TCP_FLAGS.ACK, TCP_FLAGS.RST]) }, pay))));
    else if (k < 0.8) frames.push(ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst, proto: PROTO.UDP }, udp({ sport, dport }, pay))));
    else if (k < 0.9) frames.push(ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst, proto: PROTO.ICMP }, icmp({ type: 8, code: 0 }, pay))));
    else frames.push(ethernet({ etherType: ETH.IPV6 }, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: PROTO.UDP }, udp({ sport, dport }, pay))));
  }
  const file = join(dir, 'traffic.pcap');
  writePcap(file, frames.map((data, i) => ({ data, ts: 1_700_000_000 + i / 1000 })), { linkType: 1 });
  return file;
}

test('netmon_filter_packets_total and _bytes_total equal what tcpdump matches, string and mapping forms', () => {
  const file = capture();
  const cfg = join(dir, 'filters.yaml');
  const entries = Object.entries(FILTERS).map(([name, expr], i) =>
    i % 2 === 0 ? `  ${name}: "${expr}"` : `  ${name}:\n    expr: "${expr}"\n    description: the ${name} traffic`,
  );
  writeFileSync(cfg, `filters:\n${entries.join('\n')}\n`);
  const r = runNetmon(['replay', file, '--config', cfg, '--log-level', 'silent']);
  assert.equal(r.code, 0, r.stderr);
  const m = parseExposition(r.stdout);
  for (const [name, expr] of Object.entries(FILTERS)) {
    const want = tcpdumpMatch(file, expr);
    assert.ok(want.packets > 0, `the capture exercises ${name}`);
    assert.equal(m.get(`netmon_filter_packets_total{filter="${name}"}`), want.packets, `${name}: ${expr}`);
    assert.equal(m.get(`netmon_filter_bytes_total{filter="${name}"}`), want.bytes, `${name} bytes`);
  }
});

test('a bad filter stops start-up and check-config with exit 2, naming the filter and the column', () => {
  const cfg = join(dir, 'bad.yaml');
  writeFileSync(cfg, 'filters:\n  ok: tcp\n  web: tcp dst portrange 80-foo\n');
  for (const args of [['check-config', cfg], ['replay', join(dir, 'traffic.pcap'), '--config', cfg]]) {
    const r = runNetmon(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad\.yaml: filters\.web: filter "web": column \d+: expected/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
