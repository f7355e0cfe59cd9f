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
import type { EngineMessage, EngineSnapshot, StartMessage } from './engine-snapshot';
import { FlowSeriesMirror } from './flow-series-delta';

/** A scrape fails (HTTP 500) rather than waiting longer than this for the capture process. */
const SNAPSHOT_TIMEOUT_MS = 10_000;

export interface EngineExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class EngineClient {
  /** Capture up per interface (start order), from status pushes and snapshots, whichever came last. */
  up: readonly boolean[];
  /** Resolves when the capture process exits, for whatever reason. */
  readonly exited: Promise<EngineExit>;
  private latest: EngineSnapshot | undefined;
  private readonly mirror = new FlowSeriesMirror();
  private inFlight: { id: number; promise: Promise<EngineSnapshot>; resolve(s: EngineSnapshot): void; reject(e: Error): void } | undefined;
  private nextId = 1;
  private hasExited = false;

  private constructor(private readonly child: ChildProcess, readonly interfaces: readonly string[]) {
    this.up = interfaces.map(() => false);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        this.inFlight?.reject(new Error(`capture process exited (${signal ?? `code ${code}`})`));
        this.inFlight = undefined;
        resolve({ code, signal });
      });
    });
    child.on('message', (m: EngineMessage) => this.onMessage(m));
  }

  /** Forks the capture process and builds its pipeline; throws the child's start-up NetmonError as is. */
  static async start(start: Omit<StartMessage, 'type'>): Promise<EngineClient> {
    const child = fork(join(__dirname, 'engine-process.js'), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const client = new EngineClient(child, start.interfaces);
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
    this.child.send({ type: 'capture' });
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

  /** The flow families of the latest snapshot, as exposition bytes. */
  renderFlowFamilies(): Buffer {
    return this.mirror.render();
  }

  /** Asks the capture process to stop; SIGKILL if it has not exited after timeoutMs. */
  async stop(timeoutMs: number): Promise<EngineExit> {
    if (!this.hasExited) {
      this.child.send({ type: 'stop' }, () => {});
      const timer = setTimeout(() => this.kill(), timeoutMs);
      const e = await this.exited;
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

  private onMessage(m: EngineMessage): void {
    if (m.type === 'status') {
      this.up = m.up;
    } else if (m.type === 'snapshot') {
      // Every delta is applied, in order, whoever asked for it (each is relative to the previous).
      const s = m.snapshot;
      this.mirror.apply(s.flows, s.flowStats.overflowPackets, s.flowStats.overflowBytes);
      this.latest = s;
      this.up = s.captures.map((c) => c.up);
      const f = this.inFlight;
      if (f !== undefined && f.id === m.id) {
        this.inFlight = undefined;
        f.resolve(s);
      }
    }
  }
}
