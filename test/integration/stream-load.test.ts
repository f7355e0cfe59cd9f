/**
 * Many stream clients under load (root only): 50 clients on /api/v1/flows/stream, one of which
 * connects and never reads, while tcpreplay pushes 300 000 minimum-size frames over 50 000 flows
 * (6 packets each) at top speed across a veth, with flows.idle_timeout 2s so that all 50 000
 * records end within a second or two of each other (a burst of ~10 MB of NDJSON per client).
 *
 * Checked: capture drops 0 and every frame counted; no flow record dropped on the capture side;
 * every reading client receives every ended record (50 000 records whose packets sum to 300 000;
 * two of them also check that each of the 50 000 flows came exactly once); the stalled client is cut
 * off and counted in netmon_stream_clients_dropped_total; scrapes keep answering throughout.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { flowPorts, writeFlowTraffic } from '../../bench/live-traffic';
import { startLiveRun } from '../support/live-run';
import type { LiveRun } from '../support/live-run';
import { parseExposition } from '../support/netmon-cli';
import { liveSkipReason } from '../support/netns';
import type { VethNs } from '../support/netns';
import { countingClient, openStream } from '../support/stream-client';
import type { Counter } from '../support/stream-client';

const skip = liveSkipReason() ?? (spawnSync('tcpreplay', ['--version']).status === 0 ? undefined : 'tcpreplay is not installed');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PACKETS = 300_000;
const FLOWS = 50_000;
const CLIENTS = 50;

describe('50 flow stream clients, one stalled, while 300 kpps cross a veth', { skip, timeout: 150_000 }, () => {
  let v: VethNs;
  let dir: string;
  let base: string;
  let run: LiveRun | undefined;

  before(async () => {
    run = await startLiveRun('nmt-load-', 'flows:\n  idle_timeout: 2s\n');
    ({ v, dir, base } = run);
  });

  after(async () => {
    await run?.stop();
  });

  it('delivers every record to every reading client, cuts off the stalled one, drops nothing, keeps scraping', async () => {
    const url = `${base}/api/v1/flows/stream`;
    const stalled = await openStream(url, { stall: true });
    // Every reader counts records and packets; two also sum the packets of each flow (by source port:
    // flow f has src port 10000 + f, see flowPorts): 6 each, in 50 000 records.
    const ports = [new Uint16Array(65536), new Uint16Array(65536)];
    const counters: Counter[] = [];
    for (let i = 0; i < CLIENTS - 1; i++) counters.push(await countingClient(url, ports[i]));
    const file = join(dir, 'push.pcap');
    writeFlowTraffic(file, { packets: PACKETS, flows: FLOWS, src: v.peerAddr, dst: v.hostAddr });

    const scrapeTimes: number[] = [];
    let scrapeFailures = 0;
    let scraping = true;
    const scrapeLoop = (async () => {
      while (scraping) {
        const t0 = performance.now();
        const ok = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status === 200 && r.text().then(() => true), () => false);
        if (ok) scrapeTimes.push(performance.now() - t0);
        else scrapeFailures++;
        await sleep(250);
      }
    })();

    await sleep(500);
    const out = v.exec(['tcpreplay', '-K', '-i', v.peer, '--topspeed', file], 120_000);
    const m = /Actual: (\d+) packets .* sent in ([\d.]+) seconds/.exec(out);
    assert.ok(m !== null, out);
    assert.equal(Number(m[1]), PACKETS);
    const pps = PACKETS / Number(m[2]);

    const readers = () => counters.map((c) => c.packets);
    const deadline = Date.now() + 60_000;
    while (!readers().every((p) => p >= PACKETS) && Date.now() < deadline) await sleep(200);
    let text = '';
    const dropDeadline = Date.now() + 15_000;
    do {
      text = await (await fetch(`${base}/metrics`)).text();
      if (/netmon_stream_clients_dropped_total\{stream="flows",reason="(stalled|buffer_full)"\} [1-9]/.test(text)) break;
      await sleep(200);
    } while (Date.now() < dropDeadline);
    scraping = false;
    await scrapeLoop;
    await sleep(300); // a record delivered twice would arrive within this

    const mx = parseExposition(text);
    const cutLines = text.split('\n').filter((l) => l.startsWith('netmon_stream_clients_dropped_total{') && !l.endsWith(' 0')).join(', ');
    const diag = `tcpreplay ${Math.round(pps)} pps; readers ${JSON.stringify(readers().filter((p) => p !== PACKETS))} short of ${PACKETS}; lost lines ${counters.reduce((n, c) => n + c.lost, 0)}; ${cutLines}`;
    assert.equal(mx.get(`netmon_packets_total{interface="${v.host}"}`), PACKETS, diag);
    assert.equal(mx.get(`netmon_capture_dropped_packets_total{interface="${v.host}",reason="kernel"}`), 0, diag);
    assert.equal(mx.get(`netmon_capture_dropped_packets_total{interface="${v.host}",reason="interface"}`), 0, diag);
    assert.equal(mx.get('netmon_flow_records_dropped_total'), 0, diag);
    for (const c of counters) {
      assert.equal(c.packets, PACKETS, diag);
      assert.equal(c.records, FLOWS, diag);
      assert.equal(c.lost, 0, diag);
    }
    for (const p of ports) {
      for (let f = 0; f < FLOWS; f++) assert.equal(p[flowPorts(f).sport], 6, `packets of flow ${f}`);
    }
    const cut = (mx.get('netmon_stream_clients_dropped_total{stream="flows",reason="stalled"}') ?? 0) + (mx.get('netmon_stream_clients_dropped_total{stream="flows",reason="buffer_full"}') ?? 0);
    assert.equal(cut, 1, 'the stalled client, and only it, was cut off');
    assert.equal(mx.get('netmon_stream_clients{stream="flows"}'), CLIENTS - 1);
    assert.ok((mx.get('netmon_stream_lost_total{stream="flows"}') ?? 0) > 0, 'what the stalled client was owed is counted lost');
    assert.equal(scrapeFailures, 0);
    assert.ok(scrapeTimes.length >= 4, `${scrapeTimes.length} scrapes`);
    assert.ok(Math.max(...scrapeTimes) < 5000, `scrapes took up to ${Math.max(...scrapeTimes).toFixed(0)} ms`);
    process.stdout.write(`# stream load: tcpreplay ${Math.round(pps)} pps, scrapes ${scrapeTimes.length} (max ${Math.max(...scrapeTimes).toFixed(0)} ms)\n`);
    stalled.close();
    for (const c of counters) c.close();
  });
});
