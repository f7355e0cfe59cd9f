/**
 * The failing query names (detect.max_dns_names) through `netmon replay`, against tshark's
 * dissection of a capture the test writes: NXDOMAIN and SERVFAIL responses (and others) over UDP on
 * IPv4 and IPv6 and over TCP (two messages in one segment too), names in mixed case. Each name's
 * count per RCODE equals tshark's count of responses with that dns.flags.rcode and dns.qry.name
 * (lowercased: DNS names compare without case). With the shipped default (0) no name is served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnsMessage, TcpConversation, tcpFramed, udpFrame } from '../support/dns-tcp-frames';
import type { TimedFrame } from '../support/dns-tcp-frames';
import { tsharkFields } from '../support/dns-tcp-oracle';
import { prng } from '../support/frames';
import { parseExposition, runNetmon } from '../support/netmon-cli';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';

const skip = spawnSync('tshark', ['--version']).status === 0 ? undefined : 'tshark is not installed';

/** A name of the pool in random case: the same name to DNS, another string to a naive count. */
function mixedCase(name: string, rand: () => number): string {
  return [...name].map((c) => (rand() < 0.5 ? c.toUpperCase() : c)).join('');
}

test('netmon_detect_dns_nxdomain_names and _servfail_names equal tshark\'s responses per query name and RCODE', { skip }, () => {
  const rand = prng(7);
  const int = (n: number) => Math.floor(rand() * n);
  const pool = Array.from({ length: 60 }, (_, i) => `${['www', 'api', 'x-y', 'cdn_1', 'mail'][i % 5]}.zone${i}.example`);
  const frames: TimedFrame[] = [];
  const start = 1_700_000_000;
  for (let i = 0; i < 1500; i++) {
    const t = start + (60 * i) / 1500;
    // Skewed: a few names fail often, most rarely (so the top list has an order to get right).
    const name = mixedCase(pool[Math.min(pool.length - 1, Math.floor(rand() * rand() * pool.length))]!, rand);
    const rcode = [0, 2, 3, 3, 5][int(5)]!;
    const id = int(65536);
    const v6 = rand() < 0.3;
    const client = v6 ? `2001:db8::${1 + int(200)}` : `10.9.${int(4)}.${1 + int(200)}`;
    const server = v6 ? '2001:db8:53::1' : '10.53.0.1';
    const port = 1024 + int(60000);
    frames.push({ data: udpFrame(client, server, port, 53, dnsMessage({ id, response: false, qtype: 1, name })), ts: t });
    frames.push({ data: udpFrame(server, client, 53, port, dnsMessage({ id, response: true, qtype: 1, name, rcode, answerBytes: rcode === 0 ? 16 : 0 })), ts: t + 0.002 });
  }
  // DNS over TCP: a connection per pair of questions, both answered in one segment.
  for (let i = 0; i < 40; i++) {
    const c = new TcpConversation(`10.8.0.${1 + i}`, '10.53.0.2', 20000 + i, 53, int(2 ** 32), int(2 ** 32));
    let t = start + 61 + i * 0.1;
    c.syn(t);
    c.synAck(t + 0.001);
    c.ack(t + 0.002);
    t += 0.003;
    const names = [mixedCase(pool[int(10)]!, rand), mixedCase(pool[int(pool.length)]!, rand)];
    const ids = [int(65536), int(65536)];
    const q = tcpFramed(...names.map((name, j) => dnsMessage({ id: ids[j]!, response: false, qtype: 28, name })));
    c.raw(true, t, 0x18, c.cseq, q);
    c.cseq = (c.cseq + q.length) >>> 0;
    const r = tcpFramed(...names.map((name, j) => dnsMessage({ id: ids[j]!, response: true, qtype: 28, name, rcode: [2, 3, 0][int(3)] })));
    c.raw(false, t + 0.004, 0x18, c.sseq, r);
    c.sseq = (c.sseq + r.length) >>> 0;
    c.ackFrom(true, t + 0.005);
    frames.push(...c.frames);
  }
  frames.sort((a, b) => a.ts - b.ts);
  const dir = mkdtempSync(join(tmpdir(), 'netmon-dns-names-'));
  try {
    const file = join(dir, 'names.pcap');
    writePcap(file, frames, { linkType: LINKTYPE_ETHERNET });
    const cfg = join(dir, 'names.yaml');
    writeFileSync(cfg, 'detect:\n  window: 1h\n  top_n: 1000\n  max_dns_names: 1000\n');
    const r = runNetmon(['replay', file, '--config', cfg, '--log-level', 'silent']);
    assert.equal(r.code, 0, r.stderr);
    const m = parseExposition(r.stdout);

    const want = new Map<string, number>();
    for (const [rcodes, names] of tsharkFields(file, 'dns.flags.response == 1 && (dns.flags.rcode == 2 || dns.flags.rcode == 3)', ['dns.flags.rcode', 'dns.qry.name'])) {
      // A segment with two messages is one line, each field's values joined by commas, in order.
      const ns = names!.split(',');
      rcodes!.split(',').forEach((rcode, j) => {
        if (rcode !== '2' && rcode !== '3') return;
        const key = `${rcode === '3' ? 'nxdomain' : 'servfail'} ${ns[j]!.toLowerCase()}`;
        want.set(key, (want.get(key) ?? 0) + 1);
      });
    }
    const got = new Map<string, number>();
    for (const [k, v] of m) {
      const g = /^netmon_detect_dns_(nxdomain|servfail)_names\{name="([^"]*)"\}$/.exec(k);
      if (g !== null) got.set(`${g[1]} ${g[2]}`, v);
    }
    assert.ok(want.size > 80, `${want.size} (rcode, name) pairs`);
    assert.ok([...want.keys()].some((k) => k.startsWith('servfail')) && [...want.keys()].some((k) => k.startsWith('nxdomain')));
    assert.deepEqual(new Map([...got].sort()), new Map([...want].sort()));
    assert.equal(m.get('netmon_detect_keys{detector="dns_names"}'), new Set([...want.keys()].map((k) => k.split(' ')[1])).size);

    // The top_n and the order: the 3 names with most NXDOMAIN responses, and nothing else of them.
    writeFileSync(cfg, 'detect:\n  window: 1h\n  top_n: 3\n  max_dns_names: 1000\n');
    const top = parseExposition(runNetmon(['replay', file, '--config', cfg, '--log-level', 'silent']).stdout);
    const nx = [...top].filter(([k]) => k.startsWith('netmon_detect_dns_nxdomain_names{')).map(([, v]) => v);
    const wantNx = [...want].filter(([k]) => k.startsWith('nxdomain')).map(([, v]) => v).sort((a, b) => b - a).slice(0, 3);
    assert.deepEqual(nx.sort((a, b) => b - a), wantNx);

    // Off by default: no series, no table.
    const off = parseExposition(runNetmon(['replay', file, '--log-level', 'silent']).stdout);
    assert.equal([...off.keys()].filter((k) => k.includes('_names{')).length, 0);
    assert.equal(off.get('netmon_detect_keys{detector="dns_names"}'), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
