/**
 * DNS as real kernels send it (root only): a responder in the test process answers on the host side
 * of a test-made veth pair, a client in the namespace (test/support/dns-live-client.ts) asks. The
 * kernel fragments the answers larger than the veth's 1 500-byte MTU, and the namespace's kernel
 * answers the answers its client no longer waits for with ICMP port unreachable, quoting them.
 * `netmon run` (its default 256-byte snap length: every fragment cut) and tcpdump (whole packets)
 * capture the host side; tshark's analysis of tcpdump's file is the oracle: responses by RCODE,
 * timed responses and their sum, the messages tshark reassembled and those it found quoted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveQueryName } from '../support/dns-live-client';
import { assertInsightEqual, netmonInsight, tsharkFields, tsharkInsight } from '../support/dns-tcp-oracle';
import { dnsMessage } from '../support/dns-tcp-frames';
import { freePort } from '../support/free-port';
import { parseExposition, startNetmon } from '../support/netmon-cli';
import { createVethNs, liveSkipReason } from '../support/netns';
import { pcapRecords } from '../support/tcpdump';
import { startTcpdumpBeside } from '../support/tcpdump-beside';
import type { VethNs } from '../support/netns';

const tools = ['tcpdump', 'tshark'].find((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const skip = liveSkipReason() ?? (tools !== undefined ? `${tools} is not installed` : undefined);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const QUERIES = 80;

/** ICMP packets in tcpdump's file so far (Ethernet, IPv4 protocol 1), read while tcpdump writes it. */
function icmpRecords(path: string): number {
  if (!existsSync(path)) return 0;
  const b = readFileSync(path);
  let n = 0;
  for (let o = 24; o + 16 <= b.length; o += 16 + b.readUInt32LE(o + 8)) {
    const f = o + 16;
    if (f + 24 <= b.length && b.readUInt16BE(f + 12) === 0x0800 && b[f + 23] === 1) n++;
  }
  return n;
}

describe('netmon run: DNS the kernel fragments and quotes in ICMP errors equals tshark on a tcpdump of the same interface', { skip, timeout: 120_000 }, () => {
  let v: VethNs;
  let dir: string;
  let netmon: ReturnType<typeof startNetmon>;
  let tcpdump: ChildProcess;
  let responder: Socket;
  let base: string;
  /**
   * Second answers owed (twice* names): sent when the next query comes, which the client sends only
   * after closing the socket the first answer reached, so each one meets a closed port however slow
   * the machine is (a timer could fire while the client has not closed it yet).
   */
  const owed: (() => void)[] = [];
  const payOwed = () => owed.splice(0).forEach((send) => send());
  let bigAnswers = 0;
  /** netmon's packet count when tcpdump had started. */
  let packetsBefore = 0;

  before(async () => {
    v = createVethNs();
    // Every error the namespace's kernel owes is sent (its ICMP rate limit is per namespace).
    v.exec(['sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']);
    dir = mkdtempSync(join(tmpdir(), 'nmt-dns-kernel-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    responder = createSocket('udp4');
    responder.on('message', (q, from) => {
      payOwed();
      const id = q.readUInt16BE(0);
      const name = liveQueryName(id);
      const kind = /^[a-z]+/.exec(name)![0];
      const answer = dnsMessage({ id, response: true, qtype: q.readUInt16BE(q.length - 4), name, rcode: kind === 'nx' ? 3 : 0, answerBytes: kind === 'big' ? 3000 : 40 });
      if (kind === 'big') bigAnswers++;
      responder.send(answer, from.port, from.address);
      if (kind === 'twice') owed.push(() => responder.send(answer, from.port, from.address));
    });
    responder.bind(53, v.hostAddr);
    await once(responder, 'listening');
    netmon = startNetmon(['run', '--interface', v.host, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn']);
    tcpdump = await startTcpdumpBeside(netmon, base, v.host, join(dir, 'seen.pcap'));
    const m = parseExposition(await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) })).text());
    packetsBefore = m.get(`netmon_packets_total{interface="${v.host}"}`) ?? 0;
  });

  after(async () => {
    responder?.close();
    for (const p of [netmon, tcpdump]) {
      if (p !== undefined && p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        await once(p, 'exit');
      }
    }
    v?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('responses by RCODE, DNS times, reassembled answers and quoted ones', async () => {
    // Spawned, not run synchronously: the responder answers from this process's event loop.
    const script = join(__dirname, '..', 'support', 'dns-live-client.js');
    const client = spawn('ip', ['netns', 'exec', v.ns, process.execPath, script, v.hostAddr, String(QUERIES)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    client.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    client.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const killer = setTimeout(() => client.kill('SIGKILL'), 60_000);
    const [code] = (await once(client, 'exit')) as [number | null];
    clearTimeout(killer);
    assert.equal(code, 0, out);
    assert.equal(out.trim(), String(QUERIES), 'every query answered');
    // The last second answers (after the client's last query), then the errors they draw.
    payOwed();
    const end = Date.now() + 30_000;
    const seen = join(dir, 'seen.pcap');
    const metrics = async () => parseExposition(await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) })).text());
    const quoted = (m: Map<string, number>) => m.get(`netmon_dns_icmp_quoted_total{interface="${v.host}"}`) ?? 0;
    // Wait until both have the last of it (each twice* name's error, the last packets sent), then stop
    // tcpdump. Packets netmon counted before tcpdump listened are not owed by tcpdump.
    const packets = (m: Map<string, number>) => (m.get(`netmon_packets_total{interface="${v.host}"}`) ?? 0) - packetsBefore;
    let m = await metrics();
    while (quoted(m) < QUERIES / 4 || icmpRecords(seen) < QUERIES / 4 || pcapRecords(seen) < packets(m)) {
      if (Date.now() > end) assert.fail(`netmon saw ${quoted(m)} quoted answers and ${packets(m)} packets since tcpdump listened, tcpdump wrote ${pcapRecords(seen)} (${icmpRecords(seen)} ICMP): ${netmon.output.stderr}; tcpdump's first packets: ${spawnSync('tcpdump', ['-r', seen, '-n', '-tt'], { encoding: 'utf8' }).stdout.split('\n').slice(0, 4).join(' | ')}`);
      await sleep(100);
      m = await metrics();
    }
    tcpdump.kill('SIGINT');
    await once(tcpdump, 'exit');
    const want = tsharkInsight(seen);
    assertInsightEqual(netmonInsight(m), want, (sum) => 1e-3 + 1e-3 * sum);
    // The kernel fragmented the big answers: tshark reassembled each, netmon too.
    const reassembled = tsharkFields(seen, 'dns && ip.fragment', ['frame.number']).length;
    assert.equal(reassembled, bigAnswers);
    assert.ok(bigAnswers >= QUERIES / 4, `${bigAnswers} big answers`);
    assert.equal(m.get(`netmon_dns_fragmented_messages_total{interface="${v.host}",result="reassembled"}`), reassembled);
    // The namespace's kernel quoted each second answer in a port unreachable.
    const icmpQuoted = tsharkFields(seen, 'icmp && dns', ['frame.number']).length;
    assert.equal(icmpQuoted, QUERIES / 4);
    assert.equal(quoted(m), icmpQuoted);
    assert.equal(want.dnsTimes.count, QUERIES, 'each query timed once');
  });
});
