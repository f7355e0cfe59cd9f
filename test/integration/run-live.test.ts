/**
 * `netmon run` end to end on a veth pair in a test-made network namespace (root only): the real CLI
 * process captures on the host side while tcpreplay sends crafted frames from inside the namespace.
 *
 * The oracle is the frame list built here (count and length of every frame, grouped by the 5-tuple
 * the test chose), never netmon's own output. Frames carry a destination MAC that is not the host
 * veth's, so the host kernel drops them as PACKET_OTHERHOST after capture and never answers (no TCP
 * RST, no ICMP port unreachable, no echo reply that would be captured too); IPv6 is off on both ends
 * (no router/neighbour solicitations). With that, a fresh veth carries no other traffic (checked
 * with tcpdump), so no --capture-filter is needed and netmon_packets_total must be exact.
 * Named filters run too; their oracle is tcpdump on the captures the test sends.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port';
import { ETH, PROTO, TCP_FLAGS, ethIpv4Tcp, ethIpv4Udp, ethernet, icmp, ipv4 } from '../support/frames';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';
import { createVethNs, liveSkipReason } from '../support/netns';
import type { VethNs } from '../support/netns';
import { parseExposition, startNetmon } from '../support/netmon-cli';
import { tcpdumpMatch } from '../support/tcpdump';

const skip = liveSkipReason() ?? (spawnSync('tcpreplay', ['--version']).status === 0 ? undefined : 'tcpreplay is not installed');

/** One crafted frame and the flow labels the test gave it. */
interface Sent {
  frame: Buffer;
  labels: string;
}

/** Expected per-flow packets/bytes: label text → totals, from the frames alone. */
function tally(sent: readonly Sent[]): Map<string, { packets: number; bytes: number }> {
  const m = new Map<string, { packets: number; bytes: number }>();
  for (const s of sent) {
    const t = m.get(s.labels) ?? { packets: 0, bytes: 0 };
    t.packets++;
    t.bytes += s.frame.length;
    m.set(s.labels, t);
  }
  return m;
}

const labels = (src: string, dst: string, proto: string, sport: number, dport: number): string =>
  `src_ip="${src}",dst_ip="${dst}",proto="${proto}",src_port="${sport}",dst_port="${dport}"`;

function tcpFrame(src: string, dst: string, sport: number, dport: number, flags: number, len: number): Sent {
  return { frame: ethIpv4Tcp({ src, dst, sport, dport, flags }, Buffer.alloc(len, 0x61)), labels: labels(src, dst, 'tcp', sport, dport) };
}
function udpFrame(src: string, dst: string, sport: number, dport: number, len: number): Sent {
  return { frame: ethIpv4Udp({ src, dst, sport, dport }, Buffer.alloc(len, 0x62)), labels: labels(src, dst, 'udp', sport, dport) };
}
/** ICMP has no ports: netmon labels them "0". */
function icmpFrame(src: string, dst: string, type: number, len: number): Sent {
  const f = ethernet({ etherType: ETH.IPV4 }, ipv4({ src, dst, proto: PROTO.ICMP }, icmp({ type, code: 0, rest: 0x12340001 }, Buffer.alloc(len, 0x63))));
  return { frame: f, labels: labels(src, dst, 'icmp', 0, 0) };
}

/**
 * A mixed set: TCP both ways with payloads of several sizes, two UDP flows, ICMP echo request/reply.
 * Each call's flows are new: ports from `portBase`, and ICMP (portless) with a peer derived from it.
 */
function mixedFrames(v: VethNs, portBase: number): Sent[] {
  const icmpPeer = `198.19.${(portBase >> 8) & 255}.${portBase & 255}`;
  const a = v.peerAddr;
  const b = v.hostAddr;
  const out: Sent[] = [tcpFrame(a, b, portBase, 80, TCP_FLAGS.SYN, 0)];
  for (const len of [0, 100, 1000, 1400]) out.push(tcpFrame(a, b, portBase, 80, TCP_FLAGS.ACK | TCP_FLAGS.PSH, len));
  for (const len of [0, 1460, 512]) out.push(tcpFrame(b, a, 80, portBase, TCP_FLAGS.ACK, len));
  for (let i = 0; i < 7; i++) out.push(udpFrame(a, '198.19.255.53', portBase + 1, 53, 20 + i * 37));
  out.push(udpFrame('198.19.1.2', a, 123, portBase + 2, 48), udpFrame('198.19.1.2', a, 123, portBase + 2, 48));
  for (let i = 0; i < 4; i++) out.push(icmpFrame(a, icmpPeer, 8, 56));
  for (let i = 0; i < 2; i++) out.push(icmpFrame(icmpPeer, a, 0, 56));
  return out;
}


async function get(url: string): Promise<{ status: number; text: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: r.status, text: await r.text() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Named filters for `netmon run`, of the kinds the frames below exercise. */
const FILTERS: Record<string, string> = {
  web: 'tcp port 80',
  dns: 'udp dst port 53',
  syn: 'tcp[tcpflags] & tcp-syn != 0',
  echo: 'icmp[icmptype] = icmp-echo',
  big: 'greater 1000',
  ntp_or_9000: 'udp src port 123 or udp dst port 9000',
};

describe('netmon run on a veth pair', { skip, timeout: 150_000 }, () => {
  let v: VethNs;
  let dir: string;
  let netmon: ReturnType<typeof startNetmon>;
  let base: string;
  let iface: string;
  /** What tcpdump matched, per filter, in every capture sent so far. */
  const wantFilters = new Map(Object.keys(FILTERS).map((f) => [f, { packets: 0, bytes: 0 }]));
  const addFilterOracle = (file: string): void => {
    for (const [name, expr] of Object.entries(FILTERS)) {
      const t = tcpdumpMatch(file, expr);
      wantFilters.get(name)!.packets += t.packets;
      wantFilters.get(name)!.bytes += t.bytes;
    }
  };

  const scrape = async (): Promise<Map<string, number>> => {
    const r = await get(`${base}/metrics`);
    assert.equal(r.status, 200);
    return parseExposition(r.text);
  };
  const metric = (m: Map<string, number>, name: string): number => {
    const x = m.get(name);
    assert.ok(x !== undefined, `${name} missing`);
    return x;
  };
  const packetsTotal = (m: Map<string, number>) => metric(m, `netmon_packets_total{interface="${iface}"}`);
  const bytesTotal = (m: Map<string, number>) => metric(m, `netmon_bytes_total{interface="${iface}"}`);
  const captureUp = (m: Map<string, number>) => metric(m, `netmon_capture_up{interface="${iface}"}`);
  const assertNoDrops = (m: Map<string, number>) => {
    assert.equal(metric(m, `netmon_capture_dropped_packets_total{interface="${iface}",reason="kernel"}`), 0);
    assert.equal(metric(m, `netmon_capture_dropped_packets_total{interface="${iface}",reason="interface"}`), 0);
  };

  /** Polls /metrics until pred holds (bounded), then returns that scrape. */
  const scrapeUntil = async (pred: (m: Map<string, number>) => boolean, ms: number, what: string): Promise<Map<string, number>> => {
    const end = Date.now() + ms;
    for (;;) {
      const m = await scrape();
      if (pred(m)) return m;
      if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}; netmon stderr: ${netmon.output.stderr.slice(-2000)}`);
      await sleep(50);
    }
  };

  /** Writes the frames to a pcap and sends them back to back from inside the namespace. */
  const send = (name: string, frames: readonly Buffer[]): void => {
    const file = join(dir, name);
    writePcap(file, frames.map((data) => ({ data, ts: 1_700_000_000 })), { linkType: LINKTYPE_ETHERNET });
    addFilterOracle(file);
    v.exec(['tcpreplay', '-q', '-K', '-i', v.peer, '--topspeed', file], 60_000);
  };

  /** Counts sent since the scrape `prev`, and each expected flow exactly (flows of the same phase are new). */
  const assertCounted = async (prev: Map<string, number>, sent: readonly Sent[], what: string): Promise<Map<string, number>> => {
    const want = packetsTotal(prev) + sent.length;
    await scrapeUntil((m) => packetsTotal(m) >= want, 10_000, `${what}: ${sent.length} packets counted`);
    await sleep(300); // anything extra would arrive within the 100 ms capture timeout
    const m = await scrape();
    assert.equal(packetsTotal(m), want, `${what}: netmon_packets_total`);
    assert.equal(bytesTotal(m), bytesTotal(prev) + sent.reduce((n, s) => n + s.frame.length, 0), `${what}: netmon_bytes_total`);
    for (const [key, t] of tally(sent)) {
      assert.equal(m.get(`netmon_flow_packets_total{${key}}`), t.packets, `${what}: packets of ${key}`);
      assert.equal(m.get(`netmon_flow_bytes_total{${key}}`), t.bytes, `${what}: bytes of ${key}`);
    }
    for (const [name, t] of wantFilters) {
      assert.equal(m.get(`netmon_filter_packets_total{filter="${name}"}`), t.packets, `${what}: packets of filter ${name}`);
      assert.equal(m.get(`netmon_filter_bytes_total{filter="${name}"}`), t.bytes, `${what}: bytes of filter ${name}`);
    }
    assertNoDrops(m);
    return m;
  };

  before(async () => {
    v = createVethNs();
    iface = v.host;
    dir = mkdtempSync(join(tmpdir(), 'nmt-run-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `filters:\n${Object.entries(FILTERS).map(([k, e]) => `  ${k}: "${e}"`).join('\n')}\n`);
    netmon = startNetmon(['run', '--config', config, '--interface', iface, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn']);
    // Ready = HTTP up and capture open.
    const end = Date.now() + 15_000;
    for (;;) {
      if (netmon.exitCode !== null) assert.fail(`netmon exited ${netmon.exitCode}: ${netmon.output.stderr}`);
      const r = await get(`${base}/readyz`).catch(() => undefined);
      if (r?.status === 200) break;
      if (Date.now() > end) assert.fail(`netmon not ready in 15 s: ${netmon.output.stderr}`);
      await sleep(50);
    }
  });

  after(async () => {
    if (netmon !== undefined && netmon.exitCode === null && netmon.signalCode === null) {
      netmon.kill('SIGKILL');
      await once(netmon, 'exit');
    }
    v?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('serves /readyz, /healthz and / while capturing', async () => {
    assert.deepEqual(await get(`${base}/readyz`), { status: 200, text: 'ready\n' });
    assert.deepEqual(await get(`${base}/healthz`), { status: 200, text: 'ok\n' });
    const index = await get(`${base}/`);
    assert.equal(index.status, 200);
    assert.match(index.text, new RegExp(`Capturing on ${iface}\\.`));
    const m = await scrape();
    assert.equal(captureUp(m), 1);
    assert.equal(packetsTotal(m), 0, 'a fresh veth carries no traffic before the test sends any');
  });

  it('counts crafted TCP, UDP and ICMP frames exactly, per flow and in total, with no drops', async () => {
    const prev = await scrape();
    const sent = mixedFrames(v, 40000);
    send('mixed.pcap', sent.map((s) => s.frame));
    const m = await assertCounted(prev, sent, 'mixed');
    // No flow series beyond those sent (and no overflow): nothing stray was counted as a flow.
    const flowSeries = [...m.keys()].filter((k) => k.startsWith('netmon_flow_packets_total{') && !k.includes('"other"'));
    assert.deepEqual(flowSeries.sort(), [...tally(sent).keys()].map((k) => `netmon_flow_packets_total{${k}}`).sort());
    assert.ok(metric(m, `netmon_capture_packets_received_total{interface="${iface}"}`) >= sent.length);
    assert.equal(metric(m, `netmon_tcp_flags_total{interface="${iface}",flag="syn"}`), 1);
  });

  it('survives the interface being deleted and re-created: capture_up 0 then 1, counting resumes', async () => {
    v.deleteLink();
    const down = await scrapeUntil((m) => captureUp(m) === 0, 5000, 'netmon_capture_up 0');
    assert.equal((await get(`${base}/readyz`)).status, 503);
    assert.equal(netmon.exitCode, null, 'netmon still running');
    v.recreateLink();
    // Supervisor backoff starts at 0.5 s and doubles; the link is back well within 15 s.
    await scrapeUntil((m) => captureUp(m) === 1, 15_000, 'netmon_capture_up back to 1');
    assert.equal((await get(`${base}/readyz`)).status, 200);
    const sent = mixedFrames(v, 41000);
    send('after-recreate.pcap', sent.map((s) => s.frame));
    await assertCounted(down, sent, 'after re-creation');
    assert.equal(netmon.exitCode, null);
  });

  it('counts 200 000 small frames pushed at top speed while /metrics is scraped, with no drops', async () => {
    const FLOWS = 1000;
    const PER_FLOW = 200;
    const flows: Sent[] = [];
    // 60-byte frames (Ethernet + IPv4 + UDP + 18 bytes): the smallest Ethernet frame.
    for (let i = 0; i < FLOWS; i++) flows.push(udpFrame(v.peerAddr, v.hostAddr, 10_000 + i, 9000, 18));
    const sent: Sent[] = [];
    for (let r = 0; r < PER_FLOW; r++) for (const f of flows) sent.push(f);
    assert.equal(sent.length, 200_000);
    assert.ok(sent.every((s) => s.frame.length === 60));

    const prev = await scrape();
    const file = join(dir, 'push.pcap');
    writePcap(file, sent.map((s) => ({ data: s.frame, ts: 1_700_000_000 })), { linkType: LINKTYPE_ETHERNET });
    addFilterOracle(file);
    const replay = spawn('ip', ['netns', 'exec', v.ns, 'tcpreplay', '-q', '-K', '-i', v.peer, '--topspeed', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let replayErr = '';
    replay.stderr.setEncoding('utf8').on('data', (d: string) => (replayErr += d));
    const killer = setTimeout(() => replay.kill('SIGKILL'), 60_000);
    const exited = once(replay, 'exit');
    let running = true;
    void exited.then(() => (running = false));
    // Scrape back to back while tcpreplay runs (each scrape renders ~1000 flow series).
    let duringPush = 0;
    let partial = 0;
    while (running) {
      const m = await scrape();
      if (running) duringPush++;
      const d = packetsTotal(m) - packetsTotal(prev);
      if (d > 0 && d < sent.length) partial++;
      await sleep(20);
    }
    clearTimeout(killer);
    const [code] = await exited;
    assert.equal(code, 0, `tcpreplay: ${replayErr}`);
    // A scrape that saw part of the push proves scraping overlapped capture (typically 15-20 do).
    assert.ok(partial >= 1, `no scrape saw a partial count (${duringPush} scrapes while tcpreplay ran)`);
    const m = await assertCounted(prev, sent, '200k push');
    let flowSum = 0;
    for (const f of flows) flowSum += m.get(`netmon_flow_packets_total{${f.labels}}`)!;
    assert.equal(flowSum, 200_000);
    process.stderr.write(`# 200k push: ${duringPush} scrapes during the push, ${partial} saw a partial count\n`);
  });

  it('exits 0 promptly on SIGTERM', async () => {
    const t0 = Date.now();
    netmon.kill('SIGTERM');
    const timer = setTimeout(() => netmon.kill('SIGKILL'), 5000);
    const [code, signal] = (await once(netmon, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    assert.equal(signal, null, `killed by ${signal}: did not exit within 5 s`);
    assert.equal(code, 0, netmon.output.stderr);
    assert.ok(Date.now() - t0 < 3000, `exit took ${Date.now() - t0} ms`);
    assert.doesNotMatch(netmon.output.stderr, /internal error|"level":(50|60)/);
  });
});
