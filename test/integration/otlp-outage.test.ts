/**
 * OTLP from `netmon run` while the collector is down, then back (root only: a veth pair in a
 * test-made network namespace, frames sent with tcpreplay from inside it): exports fail, are counted
 * and dropped, netmon keeps serving and capturing with flat memory, exports resume. Accelerated: an
 * export every 100 ms, so 300 failed exports (more than an hour at the default 15 s) take 30 s.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ethIpv4Udp } from '../support/frames';
import { liveSkipReason } from '../support/netns';
import { sampleKey, translateToPrometheus } from '../support/otlp-receiver';
import { scrape, scrapeUntil, send, startLive, stopLive } from '../support/otlp-live-netmon';
import type { Live } from '../support/otlp-live-netmon';

const skip = liveSkipReason() ?? (spawnSync('tcpreplay', ['--version']).status === 0 ? undefined : 'tcpreplay is not installed');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('OTLP while the collector is down, then back (netmon run, accelerated: an export every 100 ms)', { skip, timeout: 120_000 }, () => {
  let l: Live;
  before(async () => {
    l = await startLive('outage', '  interval: 100ms\n  timeout: 80ms\n', '  max_series: 5000\n');
  });
  after(() => stopLive(l));

  it('drops and counts failed exports, keeps serving and capturing with flat memory, and resumes', async () => {
    // 2000 flow series, so that each export is a real payload (~600 kB of protobuf).
    const frames: Buffer[] = [];
    for (let i = 0; i < 2000; i++) frames.push(ethIpv4Udp({ src: l.v.peerAddr, dst: `198.19.${i >> 8}.${i & 255}`, sport: 5000 + i, dport: 53 }, Buffer.alloc(40)));
    send(l, 'flows.pcap', frames);
    const key = sampleKey('netmon_packets_total', { interface: l.v.host });
    await scrapeUntil(l, (m) => m.get(key) === 2000, 10_000, '2000 packets counted');
    await l.receiver.waitFor(l.receiver.exports.length + 5, 5000);
    const rss = (m: Map<string, number>) => m.get('netmon_process_resident_memory_bytes')!;
    const result = (m: Map<string, number>, r: string) => m.get(sampleKey('netmon_otlp_exports_total', { result: r })) ?? 0;

    await l.receiver.stop();
    const down = await scrape(l);
    const downAt = Date.now();
    // 300 exports fail: more than an hour of outage at the default 15 s interval (240).
    const samples: number[] = [];
    let m = down;
    while (result(m, 'failed') + result(m, 'timeout') - result(down, 'failed') - result(down, 'timeout') < 300) {
      assert.ok(Date.now() - downAt < 60_000, `only ${result(m, 'failed') - result(down, 'failed')} failed exports in 60 s`);
      await sleep(1000);
      m = await scrape(l);
      samples.push(rss(m));
      assert.equal(l.netmon.exitCode, null, 'netmon still running');
    }
    const dropped = result(m, 'failed') + result(m, 'timeout') - result(down, 'failed') - result(down, 'timeout');
    // Capture goes on during the outage.
    send(l, 'during.pcap', frames.slice(0, 100));
    await scrapeUntil(l, (x) => x.get(key) === 2100, 10_000, 'packets counted during the outage');
    const t0 = performance.now();
    await scrape(l);
    const scrapeMs = performance.now() - t0;
    // RSS of the HTTP process, sampled each second. It swings by ±25 MiB as V8 sizes its heap for
    // the garbage of ten exports a second, but does not trend: the last third of the outage stays
    // within 40 MiB of the first third's peak (keeping each failed ~600 kB payload would add ~180 MiB),
    // and the whole outage within 96 MiB of where it started.
    const MiB = 1048576;
    const third = Math.max(3, Math.floor(samples.length / 3));
    const early = Math.max(...samples.slice(0, third));
    const late = Math.max(...samples.slice(-third));
    const peak = Math.max(...samples);
    process.stderr.write(
      `# outage: ${dropped} exports dropped in ${((Date.now() - downAt) / 1000).toFixed(1)} s; HTTP process RSS ${(rss(down) / MiB).toFixed(1)} MiB at the start, peak ${(early / MiB).toFixed(1)} in the first third, ${(late / MiB).toFixed(1)} in the last, ${(peak / MiB).toFixed(1)} overall; a scrape took ${scrapeMs.toFixed(0)} ms\n`,
    );
    assert.ok(late - early < 40 * MiB, `HTTP process RSS rose ${((late - early) / MiB).toFixed(1)} MiB from the first to the last third of the outage`);
    assert.ok(peak - rss(down) < 96 * MiB, `RSS rose ${((peak - rss(down)) / MiB).toFixed(1)} MiB above where the outage started`);
    assert.ok(scrapeMs < 2000, `a scrape took ${scrapeMs} ms during the outage`);

    // Back: exports resume and carry the counts of the outage.
    const received = l.receiver.exports.length;
    await l.receiver.start();
    await l.receiver.waitFor(received + 3, 10_000);
    const after = await scrape(l);
    assert.ok(result(after, 'success') > result(m, 'success'), 'successful exports after the collector came back');
    assert.equal(translateToPrometheus(l.receiver.exports.at(-1)!).get(key), 2100);
    assert.doesNotMatch(l.netmon.output.stderr, /internal error|"level":60/);
  });
});
