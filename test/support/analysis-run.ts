import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/schema';
import { buildPipeline } from '../../src/engine/build-pipeline';
import type { PacketPipeline } from '../../src/engine/packet-pipeline';
import type { FlowRecord } from '../../src/flow/flow-record';
import type { TimedFrame } from './dns-tcp-frames';

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * Runs Ethernet frames through a pipeline built from `config` (YAML-shaped object) on one interface,
 * as a replay does, then expires what the last timestamp ends; returns the pipeline and every flow
 * record (ended ones, then the active ones at the end). Frames longer than `snaplen` are cut to it:
 * by a capture file's snap length, or with `live` by netmon's own (as in `netmon run`).
 */
export function runFrames(frames: readonly TimedFrame[], config: object = {}, snaplen = Infinity, live = false): { p: PacketPipeline; records: FlowRecord[] } {
  const { config: c, problems } = validateConfig(config);
  assert.deepEqual(problems, []);
  const records: FlowRecord[] = [];
  const p = buildPipeline(c, 'test', quiet, (r) => records.push(r));
  const cb = p.addInterface('test0', live);
  for (const f of frames) cb(f.data, 0, Math.min(f.data.length, snaplen), f.wireLen ?? f.data.length, f.ts, 1);
  p.flows.advance(p.lastTs);
  p.dns?.advance(p.lastTs);
  p.tcp?.advance(p.lastTs);
  p.flows.endAll();
  return { p, records };
}
