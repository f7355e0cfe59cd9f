/**
 * The HTTP process's handle on the capture process (engine-process.ts): forks it, relays start-up
 * errors as the same NetmonError (same message, exit code 2), fetches one snapshot per scrape
 * (concurrent scrapes share the request in flight) and exposes the latest one to the catalog
 * families and the flow-series renderer.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { NetmonError } from '../errors';
import type { NetmonErrorCode } from '../errors';
import type { CaptureStatus, PipelineCounters } from '../metrics/netmon-families';
import type { FlowSeriesView } from '../metrics/otel-metric-data';
import type { FlowRecordBatch } from '../flow/flow-record-batch';
import type { CaptureOutputControl } from '../sinks/record-bus';
import type { ControlMessage, EngineMessage, EngineSnapshot, StartMessage } from './engine-snapshot';
import type { EngineQuery, EngineQueryResult } from './engine-queries';
import type { PacketMetaBatch } from './packet-tap';
import { FlowSeriesMirror } from './flow-series-delta';

/** A scrape fails (HTTP 500) rather than waiting longer than this for the capture process. */
const SNAPSHOT_TIMEOUT_MS = 10_000;

export interface EngineExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Where the output batches of the capture process go (a RecordBus). */
export interface OutputBatchReceiver {
  publishFlows(batch: FlowRecordBatch): void;
  publishPackets(batch: PacketMetaBatch): void;
}

export class EngineClient implements CaptureOutputControl {
  /** Capture up per interface (start order), from status pushes and snapshots, whichever came last. */
  up: readonly boolean[];
  /** Resolves when the capture process exits, for whatever reason. */
  readonly exited: Promise<EngineExit>;
  private latest: EngineSnapshot | undefined;
  /** Snapshots applied so far (0: none yet), and when the latest arrived (epoch ms). */
  snapshotSeq = 0;
  snapshotTimeMs = 0;
  private readonly mirror = new FlowSeriesMirror();
  private inFlight: { id: number; promise: Promise<EngineSnapshot>; resolve(s: EngineSnapshot): void; reject(e: Error): void } | undefined;
  private nextId = 1;
  private hasExited = false;
  private receiver: OutputBatchReceiver | undefined;
  private readonly disconnected: Promise<void>;
  /** API queries waiting for their answer, by id. */
  private readonly queries = new Map<number, { resolve(r: EngineQueryResult): void; reject(e: Error): void }>();

  private constructor(private readonly child: ChildProcess, readonly interfaces: readonly string[], private readonly detectorsEnabled: boolean) {
    this.up = interfaces.map(() => false);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        this.inFlight?.reject(new Error(`capture process exited (${signal ?? `code ${code}`})`));
        this.inFlight = undefined;
        for (const q of this.queries.values()) q.reject(new Error('capture process exited'));
        this.queries.clear();
        resolve({ code, signal });
      });
    });
    child.on('message', (m: EngineMessage) => this.onMessage(m));
    this.disconnected = new Promise((resolve) => {
      if (!child.connected) resolve();
      else child.once('disconnect', () => resolve());
    });
  }

  /** Forks the capture process and builds its pipeline; throws the child's start-up NetmonError as is. */
  static async start(start: Omit<StartMessage, 'type'>): Promise<EngineClient> {
    const child = fork(join(__dirname, 'engine-process.js'), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const client = new EngineClient(child, start.interfaces, start.config.detect.enabled);
    const built = new Promise<void>((resolve, reject) => {
      child.on('message', (m: EngineMessage) => {
        if (m.type === 'built') resolve();
        else if (m.type === 'fatal') reject(new NetmonError(m.code as NetmonErrorCode, m.message, m.exitCode));
      });
      void client.exited.then((e) => reject(new Error(`capture process exited during start-up (${e.signal ?? `code ${e.code}`})`)));
    });
    child.send({ type: 'start', ...start });
    try {
      await built;
    } catch (err) {
      client.kill();
      throw err;
    }
    return client;
  }

  /** Opens the captures. */
  capture(): void {
    this.control({ type: 'capture' });
  }

  /** Output batches (flow records, tapped packets) go to `receiver` from now on. */
  setOutputReceiver(receiver: OutputBatchReceiver): void {
    this.receiver = receiver;
  }

  setFlowRecordsWanted(on: boolean): void {
    this.control({ type: 'flow-records-wanted', on });
  }

  subscribePackets(id: number, filter: string, rate: number): void {
    this.control({ type: 'packets-subscribe', id, filter, rate });
  }

  unsubscribePackets(id: number): void {
    this.control({ type: 'packets-unsubscribe', id });
  }

  private control(m: ControlMessage): void {
    if (!this.hasExited) this.child.send(m, () => {});
  }

  /** A fresh snapshot (one request in flight at a time; callers arriving meanwhile share it). */
  refresh(): Promise<EngineSnapshot> {
    if (this.inFlight !== undefined) return this.inFlight.promise;
    if (this.hasExited) return Promise.reject(new Error('capture process is not running'));
    const id = this.nextId++;
    let resolve!: (s: EngineSnapshot) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<EngineSnapshot>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer = setTimeout(() => {
      if (this.inFlight?.id !== id) return;
      this.inFlight = undefined;
      reject(new Error(`capture process did not answer within ${SNAPSHOT_TIMEOUT_MS} ms`));
    }, SNAPSHOT_TIMEOUT_MS);
    this.inFlight = {
      id,
      promise,
      resolve: (s) => {
        clearTimeout(timer);
        resolve(s);
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    };
    this.child.send({ type: 'scrape', id });
    return promise;
  }

  /** The flow series of the latest snapshot (undefined before the first). */
  flowSeries(): FlowSeriesView | undefined {
    return this.mirror.view();
  }

  /** Answers an API query in the capture process (engine-queries.ts); rejects after SNAPSHOT_TIMEOUT_MS. */
  query(q: EngineQuery): Promise<EngineQueryResult> {
    if (this.hasExited) return Promise.reject(new Error('capture process is not running'));
    const id = this.nextId++;
    return new Promise<EngineQueryResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.queries.delete(id)) reject(new Error(`capture process did not answer within ${SNAPSHOT_TIMEOUT_MS} ms`));
      }, SNAPSHOT_TIMEOUT_MS);
      const done = (): void => {
        clearTimeout(timer);
        this.queries.delete(id);
      };
      this.queries.set(id, { resolve: (r) => (done(), resolve(r)), reject: (e) => (done(), reject(e)) });
      this.control({ type: 'query', id, query: q });
    });
  }

  /** The flow families of the latest snapshot, as exposition bytes. */
  renderFlowFamilies(): Buffer {
    return this.mirror.render();
  }

  /**
   * Asks the capture process to stop; it delivers what the outputs are owed (every batch arrives
   * before it exits) and exits 0. SIGKILL if it has not exited after timeoutMs.
   */
  async stop(timeoutMs: number): Promise<EngineExit> {
    if (!this.hasExited) {
      this.child.send({ type: 'stop' }, () => {});
      const timer = setTimeout(() => this.kill(), timeoutMs);
      const e = await this.exited;
      // 'exit' may be seen before the last IPC messages are: wait for the channel to close too, so
      // every batch the child sent before exiting has been handed to the receiver.
      await this.disconnected;
      clearTimeout(timer);
      return e;
    }
    return this.exited;
  }

  kill(): void {
    if (!this.hasExited) this.child.kill('SIGKILL');
  }

  /** Catalog-family view of the latest snapshot (valid once a refresh() has resolved). */
  counters(): PipelineCounters {
    const snap = (): EngineSnapshot => {
      if (this.latest === undefined) throw new Error('no snapshot from the capture process yet');
      return this.latest;
    };
    return {
      get interfaces() {
        return snap().interfaces.map((i) => ({ ...i, sizeSum: i.bytes }));
      },
      get decodeErrors() {
        return snap().decodeErrors;
      },
      get tunnelPackets() {
        return snap().tunnelPackets;
      },
      get filterNames() {
        return snap().filterNames;
      },
      get filterPackets() {
        return snap().filterPackets;
      },
      get filterBytes() {
        return snap().filterBytes;
      },
      get dns() {
        return snap().dns;
      },
      get tcp() {
        return snap().tcp;
      },
      flows: {
        get stats() {
          return snap().flowStats;
        },
      },
      detectorsEnabled: this.detectorsEnabled,
      get detections() {
        return snap().detections;
      },
    };
  }

  /** CaptureStatus per interface, from the latest snapshot (up from the latest status). */
  captureStatus(): CaptureStatus[] {
    const up = (i: number): boolean => this.up[i] ?? false;
    const stats = (i: number) => {
      const c = this.latest?.captures[i];
      return { received: c?.received ?? 0, droppedKernel: c?.droppedKernel ?? 0, droppedInterface: c?.droppedInterface ?? 0 };
    };
    return this.interfaces.map((name, i) => ({
      name,
      get up() {
        return up(i);
      },
      stats: () => stats(i),
    }));
  }

  /** The capture process's own resources, from the latest snapshot. */
  processUsage(): { residentBytes(): number; cpuSeconds(): number } {
    return { residentBytes: () => this.latest?.residentBytes ?? 0, cpuSeconds: () => this.latest?.cpuSeconds ?? 0 };
  }

  /** What the capture side of the outputs could not hand over, from the latest snapshot. */
  outputsStatus(): { flowRecordsDropped(): number } {
    return { flowRecordsDropped: () => this.latest?.flowRecordsDropped ?? 0 };
  }

  private onMessage(m: EngineMessage): void {
    if (m.type === 'flow-records') {
      this.receiver?.publishFlows(m.batch);
    } else if (m.type === 'packets') {
      this.receiver?.publishPackets(m.batch);
    } else if (m.type === 'query-result' || m.type === 'query-error') {
      const q = this.queries.get(m.id);
      if (m.type === 'query-result') q?.resolve(m.result);
      else q?.reject(new Error(m.message));
    } else if (m.type === 'status') {
      this.up = m.up;
    } else if (m.type === 'snapshot') {
      // Every delta is applied, in order, whoever asked for it (each is relative to the previous).
      const s = m.snapshot;
      this.mirror.apply(s.flows, s.flowStats.overflowPackets, s.flowStats.overflowBytes);
      this.latest = s;
      this.snapshotSeq++;
      this.snapshotTimeMs = performance.timeOrigin + performance.now();
      this.up = s.captures.map((c) => c.up);
      const f = this.inFlight;
      if (f !== undefined && f.id === m.id) {
        this.inFlight = undefined;
        f.resolve(s);
      }
    }
  }
}
