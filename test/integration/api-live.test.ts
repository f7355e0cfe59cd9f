/**
 * The API of `netmon run` live (root only): crafted frames are sent with tcpreplay from inside a
 * test-made namespace onto a veth netmon captures. Oracles: the frames the test built (per-flow
 * packets and bytes, TCP sequence numbers) and tcpdump on the very capture sent.
 *
 * - /api/v1/flows: the active flows, top N by packets and bytes, with and without a flow filter;
 * - /api/v1/flows/stream: an NDJSON client, an SSE client and a filtered client get every record
 *   (the filtered one exactly the flows the filter selects);
 * - /api/v1/packets/stream: below the rate cap exactly the packets tcpdump selects; above it,
 *   delivered + counted lost = tcpdump's count, and no more delivered than the cap allows;
 * - bad filters get 400 with the compiler's column.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ETH, ethernet, ethIpv4Udp, ipv4, PROTO, tcp, TCP_FLAGS } from '../support/frames';
import { liveSkipReason } from '../support/netns';
import type { VethNs } from '../support/netns';
import { startLiveRun } from '../support/live-run';
import type { LiveRun } from '../support/live-run';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';
import { openStream } from '../support/stream-client';
import { tcpdumpMatch } from '../support/tcpdump';

const skip = liveSkipReason() ?? (spawnSync('tcpreplay', ['--version']).status === 0 ? undefined : 'tcpreplay is not installed');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ms: number, pred: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

interface Sent {
  data: Buffer;
  key: string;
  seq?: number;
}

const keyOf = (r: Record<string, unknown>) => `${r['src_ip']} ${r['dst_ip']} ${r['proto']} ${r['src_port']} ${r['dst_port']}`;

function tally(list: readonly Sent[]): Map<string, { packets: number; bytes: number }> {
  const m = new Map<string, { packets: number; bytes: number }>();
  for (const f of list) {
    const t = m.get(f.key) ?? { packets: 0, bytes: 0 };
    t.packets++;
    t.bytes += f.data.length;
    m.set(f.key, t);
  }
  return m;
}

/** TCP flows to ports 80 and 8080 with 1..8 packets each (distinct sequence numbers) and UDP flows. */
function traffic(v: VethNs, base: number): Sent[] {
  const out: Sent[] = [];
  for (let f = 0; f < 12; f++) {
    const sport = base + f;
    const dport = f % 3 === 0 ? 8080 : 80;
    for (let i = 0; i <= f % 8; i++) {
      const seq = base * 1000 + f * 10 + i;
      out.push({ data: ethernet({ etherType: ETH.IPV4 }, ipv4({ src: v.peerAddr, dst: v.hostAddr, proto: PROTO.TCP }, tcp({ sport, dport, flags: TCP_FLAGS.ACK, seq, ack: 9, window: 1000 + f }, Buffer.alloc(f * 37)))), key: `${v.peerAddr} ${v.hostAddr} 6 ${sport} ${dport}`, seq });
    }
  }
  for (let f = 0; f < 5; f++) for (let i = 0; i < 3; i++) out.push({ data: ethIpv4Udp({ src: v.peerAddr, dst: '198.19.1.1', sport: base + 100 + f, dport: 53 }, Buffer.alloc(20 + f)), key: `${v.peerAddr} 198.19.1.1 17 ${base + 100 + f} 53` });
  return out;
}

describe('API of netmon run, live over a veth', { skip, timeout: 120_000 }, () => {
  let v: VethNs;
  let dir: string;
  let base: string;
  let run: LiveRun | undefined;

  const send = (name: string, frames: readonly Buffer[]): string => {
    const file = join(dir, name);
    writePcap(file, frames.map((data) => ({ data, ts: 1_700_000_000 })), { linkType: LINKTYPE_ETHERNET });
    v.exec(['tcpreplay', '-q', '-K', '-i', v.peer, '--topspeed', file], 60_000);
    return file;
  };
  const json = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const r = await fetch(`${base}${path}`);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const packetsCounted = async (): Promise<number> => {
    const s = await json('/api/v1/status');
    return (s.body['interfaces'] as { packets: number }[])[0]?.packets ?? 0;
  };

  before(async () => {
    run = await startLiveRun('nmt-api-', 'flows:\n  idle_timeout: 4s\napi:\n  packets: true\n');
    ({ v, dir, base } = run);
  });

  after(async () => {
    await run?.stop();
  });

  it('lists the active flows (top N by packets or bytes, filtered) and streams every record as it ends', async () => {
    const ndjson = await openStream(`${base}/api/v1/flows/stream`);
    const sse = await openStream(`${base}/api/v1/flows/stream`, { sse: true });
    const udpOnly = await openStream(`${base}/api/v1/flows/stream?filter=${encodeURIComponent('udp and dst port 53')}`);
    assert.deepEqual([ndjson.status, sse.status, udpOnly.status], [200, 200, 200]);
    // The streams asked the capture process for flow records over IPC before answering 200; the
    // status query goes over the same channel after it, so its answer means the records are on.
    const before = await packetsCounted();
    const sent = traffic(v, 30000);
    send('flows.pcap', sent.map((s) => s.data));
    await until('packets counted', 10_000, async () => (await packetsCounted()) >= before + sent.length);

    const want = tally(sent);
    const top = await json('/api/v1/flows?limit=5&sort=packets');
    assert.equal(top.status, 200);
    const flows = top.body['flows'] as Record<string, unknown>[];
    const byPackets = [...want.values()].map((t) => t.packets).sort((a, b) => b - a).slice(0, 5);
    assert.deepEqual(flows.map((f) => f['packets']), byPackets);
    for (const f of flows) assert.deepEqual({ packets: f['packets'], bytes: f['bytes'] }, want.get(keyOf(f)), keyOf(f));
    assert.equal(top.body['active_flows'], want.size);
    const byBytes = await json('/api/v1/flows?limit=3&sort=bytes&filter=tcp%20dst%20port%208080');
    const tcp8080 = [...want.entries()].filter(([k]) => k.endsWith(' 6 ' + k.split(' ')[3] + ' 8080'));
    assert.equal(byBytes.body['matched'], tcp8080.length);
    assert.deepEqual((byBytes.body['flows'] as Record<string, unknown>[]).map((f) => f['bytes']), tcp8080.map(([, t]) => t.bytes).sort((a, b) => b - a).slice(0, 3));

    const total = sent.length;
    await until('every record on the NDJSON and SSE streams', 20_000, () => ndjson.packets() >= total && sse.packets() >= total);
    await sleep(300); // not a wait for readiness: a record delivered twice would arrive within it
    for (const [name, tap] of [['ndjson', ndjson], ['sse', sse]] as const) {
      assert.equal(tap.packets(), total, name);
      assert.equal(tap.records.length, want.size, name);
      for (const r of tap.records) {
        assert.deepEqual({ packets: r['packets'], bytes: r['bytes'] }, want.get(keyOf(r)), `${name} ${keyOf(r)}`);
        assert.equal(r['end_reason'], 'idle');
      }
    }
    const udpWant = [...want.keys()].filter((k) => k.includes(' 17 '));
    assert.deepEqual(udpOnly.records.map(keyOf).sort(), udpWant.sort());
    assert.deepEqual([ndjson.lost, sse.lost, udpOnly.lost], [[], [], []]);
    for (const t of [ndjson, sse, udpOnly]) t.close();
  });

  it('streams exactly the packets tcpdump selects below the rate cap; above it delivered + lost = matched', async () => {
    const filter = 'tcp dst port 80';
    const below = await openStream(`${base}/api/v1/packets/stream?filter=${encodeURIComponent(filter)}&rate=10000`);
    const capped = await openStream(`${base}/api/v1/packets/stream?filter=udp&rate=5`);
    assert.deepEqual([below.status, capped.status], [200, 200]);
    await packetsCounted(); // an IPC round trip after the subscriptions: the capture process has them
    const sent = traffic(v, 31000);
    const many: Buffer[] = [];
    for (let i = 0; i < 2000; i++) many.push(ethIpv4Udp({ src: v.peerAddr, dst: '198.19.2.2', sport: 7000 + (i % 50), dport: 9 }, Buffer.alloc(18)));
    const file = send('packets.pcap', [...sent.map((s) => s.data), ...many]);
    const want = tcpdumpMatch(file, filter);
    const wantUdp = tcpdumpMatch(file, 'udp');
    const lostOf = (t: typeof capped) => t.lost.reduce((n, l) => n + (l['lost'] as number), 0);
    await until('the packets below the cap', 10_000, () => below.records.length >= want.packets);
    await until('the capped stream delivered + lost = matched', 10_000, () => capped.records.length + lostOf(capped) >= wantUdp.packets);
    await sleep(300); // as above: room for a packet delivered beyond the counts
    assert.equal(below.records.length, want.packets);
    assert.equal(below.records.reduce((n, r) => n + (r['length'] as number), 0), want.bytes);
    assert.equal(lostOf(below), 0);
    const bySeq = new Map(sent.filter((s) => s.seq !== undefined).map((s) => [s.seq!, s]));
    for (const r of below.records) {
      const s = bySeq.get(r['seq'] as number);
      assert.ok(s !== undefined, `packet with seq ${r['seq']} was not sent`);
      assert.equal(`${r['src_ip']} ${r['dst_ip']} ${r['proto']} ${r['src_port']} ${r['dst_port']}`, s.key);
      assert.equal(r['length'], s.data.length);
      assert.equal(r['ack'], 9);
      assert.equal(r['tcp_flags'], TCP_FLAGS.ACK);
      assert.equal(r['interface'], v.host);
      assert.equal(r['window'], 1000 + ((r['src_port'] as number) - 31000));
    }
    assert.equal(capped.records.length + lostOf(capped), wantUdp.packets);
    // A token bucket of 5 per second of packet time, full at the start: 5 plus what the push's duration refills.
    const span = (capped.records.at(-1)!['ts'] as number) - (capped.records[0]!['ts'] as number);
    assert.ok(capped.records.length >= 1 && capped.records.length <= 5 + Math.ceil(span * 5) + 1, `${capped.records.length} delivered over ${span} s`);
    assert.ok(capped.lost.every((l) => (l['matched'] as number) >= (l['lost'] as number)));
    below.close();
    capped.close();
  });

  it('refuses bad filters and parameters with 400 and the compiler message', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/api/v1/flows?filter=tcp%20port', /column 9: expected a port number/],
      ['/api/v1/flows?filter=tcp%5B13%5D%20%3D%202', /transport header byte 13/],
      ['/api/v1/flows?limit=0', /limit: expected an integer from 1 to 10000/],
      ['/api/v1/flows?sort=rate', /sort: expected one of bytes, packets/],
      ['/api/v1/flows/stream?filter=len%20%3E%2010', /packet length/],
      ['/api/v1/packets/stream?filter=host', /column 5: expected/],
      ['/api/v1/packets/stream?rate=0', /rate: expected an integer from 1 to 10000/],
    ];
    for (const [path, re] of cases) {
      const r = await json(path);
      assert.equal(r.status, 400, path);
      assert.match(String(r.body['error']), re, path);
    }
    assert.equal((await json('/api/v1/nothing')).status, 404);
  });
});
