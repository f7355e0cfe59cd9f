/**
 * The capture outputs across the two processes of `netmon run` (root only): the real capture
 * process (EngineClient forks it) captures on a veth in a test-made namespace while tcpreplay sends
 * crafted frames from inside it; a RecordBus in this process subscribes to ended flow records and to
 * a packet filter, as the sinks and streams do.
 *
 * Oracles: the frames the test built (per-flow packets and bytes, TCP header fields) and tcpdump on
 * the very captures sent (which packets the filter selects). Records of flows that end idle arrive
 * while capturing; stopping delivers the records of the flows still active (end_reason "end")
 * before the capture process exits.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../src/config/load';
import { EngineClient } from '../../src/engine/engine-client';
import { FlowKeyProjection } from '../../src/flow/flow-key';
import { flowRecordAt } from '../../src/flow/flow-record-batch';
import type { FlowRecord } from '../../src/flow/flow-record';
import { lostOf, packetMetaAt, rowsOf } from '../../src/sinks/packet-meta';
import type { PacketMeta } from '../../src/sinks/packet-meta';
import { RecordBus } from '../../src/sinks/record-bus';
import { ETH, PROTO, TCP_FLAGS, ethIpv4Udp, ethernet, ipv4, tcp } from '../support/frames';
import { LINKTYPE_ETHERNET, writePcap } from '../support/pcap-writer';
import { createVethNs, liveSkipReason } from '../support/netns';
import type { VethNs } from '../support/netns';
import { tcpdumpMatch } from '../support/tcpdump';

const skip = liveSkipReason() ?? (spawnSync('tcpreplay', ['--version']).status === 0 ? undefined : 'tcpreplay is not installed');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FILTER = 'tcp dst port 80';

interface Frame {
  data: Buffer;
  key: string;
  seq?: number;
}

const keyOf = (r: { srcIp: string; dstIp: string; proto: number; srcPort: number; dstPort: number }) => `${r.srcIp} ${r.dstIp} ${r.proto} ${r.srcPort} ${r.dstPort}`;

function tally(frames: readonly Frame[]): Map<string, { packets: number; bytes: number }> {
  const m = new Map<string, { packets: number; bytes: number }>();
  for (const f of frames) {
    const t = m.get(f.key) ?? { packets: 0, bytes: 0 };
    t.packets++;
    t.bytes += f.data.length;
    m.set(f.key, t);
  }
  return m;
}

/** TCP to ports 80 and 8080 (with distinct sequence numbers) and UDP, new ports from `base`. */
function frames(v: VethNs, base: number): Frame[] {
  const out: Frame[] = [];
  for (let i = 0; i < 40; i++) {
    const dport = i % 4 === 0 ? 8080 : 80;
    const sport = base + (i % 8);
    const seq = base * 1000 + i;
    const data = ethernet({ etherType: ETH.IPV4 }, ipv4({ src: v.peerAddr, dst: v.hostAddr, proto: PROTO.TCP }, tcp({ sport, dport, flags: TCP_FLAGS.ACK, seq, ack: 77, window: 500 + i }, Buffer.alloc(i * 10, 0x61))));
    out.push({ data, key: `${v.peerAddr} ${v.hostAddr} 6 ${sport} ${dport}`, seq });
  }
  for (let i = 0; i < 10; i++) out.push({ data: ethIpv4Udp({ src: v.peerAddr, dst: '198.19.0.53', sport: base + 100, dport: 53 }, Buffer.alloc(20 + i)), key: `${v.peerAddr} 198.19.0.53 17 ${base + 100} 53` });
  return out;
}

interface Outputs {
  engine: EngineClient;
  records: FlowRecord[];
  rows: PacketMeta[];
  lost: number;
}

/** Forks the capture process on the veth with a bus subscribed to flow records and to FILTER. */
async function startOutputs(v: VethNs, idleTimeout: number): Promise<Outputs> {
  const base = defaultConfig();
  const config = { ...base, flows: { ...base.flows, idle_timeout: idleTimeout } };
  const engine = await EngineClient.start({
    config,
    configName: 'test',
    interfaces: [v.host],
    capture: { snaplen: 256, bufferSize: 16 << 20, promiscuous: true, immediate: false, timeoutMs: 100, filter: '' },
    logLevel: 'warn',
  });
  const out: Outputs = { engine, records: [], rows: [], lost: 0 };
  const proj = new FlowKeyProjection({ labels: config.flows.labels, aggregate: config.flows.aggregate });
  const bus = new RecordBus(engine);
  engine.setOutputReceiver(bus);
  bus.subscribeFlows((b) => {
    for (let i = 0; i < b.count; i++) out.records.push(flowRecordAt(b, i, proj));
  });
  bus.subscribePackets(FILTER, 1e6, (b, id) => {
    for (const i of rowsOf(b, id)) out.rows.push(packetMetaAt(b, i, [v.host]));
    out.lost += lostOf(b, id);
  });
  engine.capture();
  await until(() => engine.up[0] === true, 15_000, 'capture open');
  return out;
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

const sum = (list: readonly FlowRecord[]) => list.reduce((n, r) => n + r.packets, 0);

describe('capture outputs of netmon run (flow records and tapped packets over IPC)', { skip, timeout: 120_000 }, () => {
  let v: VethNs;
  let dir: string;
  const started: EngineClient[] = [];

  const send = (name: string, list: readonly Buffer[]): string => {
    const file = join(dir, name);
    writePcap(file, list.map((data) => ({ data, ts: 1_700_000_000 })), { linkType: LINKTYPE_ETHERNET });
    v.exec(['tcpreplay', '-q', '-K', '-i', v.peer, '--topspeed', file], 60_000);
    return file;
  };

  before(() => {
    v = createVethNs();
    dir = mkdtempSync(join(tmpdir(), 'nmt-outputs-'));
  });

  after(() => {
    for (const e of started) e.kill();
    v?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('delivers the record of every flow that ends idle (also 20 000 at once), and exactly the packets the filter selects', async () => {
    const o = await startOutputs(v, 1);
    started.push(o.engine);
    const sent = frames(v, 20000);
    const file = send('a.pcap', sent.map((f) => f.data));
    await until(() => sum(o.records) >= sent.length, 15_000, `records of ${sent.length} packets`);
    await sleep(300); // a record delivered twice would arrive within this
    assert.equal(sum(o.records), sent.length);
    const got = new Map(o.records.map((r) => [keyOf(r), r]));
    assert.equal(got.size, o.records.length, 'one record per flow');
    for (const [k, t] of tally(sent)) {
      assert.equal(got.get(k)?.packets, t.packets, k);
      assert.equal(got.get(k)?.bytes, t.bytes, k);
      assert.equal(got.get(k)?.endReason, 'idle', k);
      assert.equal(got.get(k)?.tcpFlags, k.split(' ')[2] === '6' ? TCP_FLAGS.ACK : 0, k);
    }
    const want = tcpdumpMatch(file, FILTER);
    assert.equal(o.rows.length, want.packets);
    assert.equal(o.rows.reduce((n, r) => n + r.length, 0), want.bytes);
    assert.equal(o.lost, 0);
    const bySeq = new Map(sent.filter((f) => f.seq !== undefined).map((f) => [f.seq!, f]));
    for (const r of o.rows) {
      const f = bySeq.get(r.seq);
      assert.ok(f !== undefined, `row with seq ${r.seq} was not sent`);
      assert.equal(r.dstPort, 80);
      assert.equal(r.ack, 77);
      assert.equal(r.length, f.data.length);
      assert.equal(`${r.srcIp} ${r.dstIp} ${r.proto} ${r.srcPort} ${r.dstPort}`, f.key);
    }

    o.records.length = 0;
    const many: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) many.push(ethIpv4Udp({ src: v.peerAddr, dst: `198.19.${i >> 8}.${i & 255}`, sport: 30000, dport: 9 }, Buffer.alloc(18)));
    send('many.pcap', many);
    await until(() => o.records.length >= 20_000, 20_000, '20 000 records');
    assert.equal(o.records.length, 20_000);
    assert.equal(new Set(o.records.map(keyOf)).size, 20_000);
    assert.ok(o.records.every((r) => r.packets === 1 && r.bytes === 60 && r.endReason === 'idle'));
    assert.equal((await o.engine.stop(10_000)).code, 0);
  });

  it('on stop, delivers the records of the flows still active (end_reason "end") before the capture process exits', async () => {
    const o = await startOutputs(v, 60);
    started.push(o.engine);
    const packetsNow = async (): Promise<number> => (await o.engine.refresh()).interfaces[0]!.packets;
    const last = frames(v, 21000);
    send('b.pcap', last.map((f) => f.data));
    const end = Date.now() + 5000;
    while ((await packetsNow()) < last.length) {
      if (Date.now() > end) assert.fail('the frames were not captured within 5 s');
      await sleep(10);
    }
    assert.equal(o.records.length, 0, 'nothing ended yet (idle timeout 60 s)');
    const exit = await o.engine.stop(10_000);
    assert.equal(exit.code, 0);
    assert.equal(sum(o.records), last.length);
    for (const [k, t] of tally(last)) {
      const r = o.records.find((x) => keyOf(x) === k);
      assert.equal(r?.packets, t.packets, k);
      assert.equal(r?.bytes, t.bytes, k);
      assert.equal(r?.endReason, 'end', k);
    }
  });
});
