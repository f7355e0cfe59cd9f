/**
 * The interface of a flow record (the flow key has none): the index of the interface of the first
 * packet of the record, as the pipeline saw it, carried in the record batches (the PostgreSQL
 * sink's `interface` column). Fed through the real pipeline's per-interface callbacks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig } from '../../src/config/load';
import { buildPipeline } from '../../src/engine/build-pipeline';
import { FlowRecordChannel } from '../../src/engine/flow-record-channel';
import { KEY_WORDS } from '../../src/flow/flow-key';
import type { FlowRecordBatch } from '../../src/flow/flow-record-batch';
import { ethIpv4Udp } from '../support/frames';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const T0 = 1_700_000_000;

function setup(activeTimeout = 300) {
  const base = defaultConfig();
  const pipeline = buildPipeline({ ...base, flows: { ...base.flows, idle_timeout: 10, active_timeout: activeTimeout } }, 'test', quiet);
  const batches: FlowRecordBatch[] = [];
  const ch = new FlowRecordChannel((b) => (batches.push(b), true), { batchRecords: 1024, maxBatches: 64, schedule: () => {} });
  pipeline.flows.setRecordOutput(ch);
  const eth0 = pipeline.addInterface('eth0');
  const eth1 = pipeline.addInterface('eth1');
  const send = (cb: typeof eth0, sport: number, ts: number): void => {
    const f = ethIpv4Udp({ src: '192.0.2.1', dst: '198.51.100.1', sport, dport: 53 }, Buffer.alloc(10));
    cb(f, 0, f.length, f.length, ts, 1);
  };
  /** Records as "sport iface packets". */
  const got = (): string[] => {
    ch.flush();
    return batches.flatMap((b) => Array.from({ length: b.count }, (_, i) => `${b.keys[i * KEY_WORDS + 9]! >>> 16} ${b.interfaces[i]} ${b.packets[i]}`)).sort();
  };
  return { pipeline, eth0, eth1, send, got };
}

describe('flow record interface', () => {
  it('is the interface of the first packet of each record', () => {
    const { pipeline, eth0, eth1, send, got } = setup();
    send(eth0, 1000, T0);
    send(eth1, 1001, T0);
    // Same flow seen on both interfaces (e.g. a bridge): the first packet decides.
    send(eth1, 1002, T0);
    send(eth0, 1002, T0 + 1);
    pipeline.flows.advance(T0 + 30);
    assert.deepEqual(got(), ['1000 0 1', '1001 1 1', '1002 1 2']);
  });

  it('is set again when a flow starts a new record (after an idle gap), and survives the slot arrays growing', () => {
    const { pipeline, eth0, eth1, send, got } = setup();
    // 6000 flows: more than the 4096 slots first allocated, so the per-slot arrays grow mid-way.
    for (let i = 0; i < 6000; i++) send(i % 2 === 0 ? eth0 : eth1, 2000 + i, T0 + i * 1e-4);
    send(eth1, 2000, T0 + 15); // flow 2000 (first on eth0) comes back idle-gapped on eth1: a new record
    pipeline.flows.endAll();
    const records = got();
    assert.equal(records.length, 6001);
    const want = Array.from({ length: 6000 }, (_, i) => `${2000 + i} ${i % 2} 1`);
    want.push('2000 1 1');
    assert.deepEqual(records, want.sort());
  });

  it('is the interface of the first packet after an active-timeout cut', () => {
    const { pipeline, eth0, eth1, send, got } = setup(2);
    send(eth0, 3000, T0);
    send(eth0, 3000, T0 + 1);
    send(eth1, 3000, T0 + 2.5); // the record was cut at T0 + 2: this packet starts the next one
    send(eth0, 3000, T0 + 3);
    pipeline.flows.endAll();
    assert.deepEqual(got(), ['3000 0 2', '3000 1 2']);
  });
});
