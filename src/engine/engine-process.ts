/**
 * The capture process of `netmon run` (forked by engine-client.ts): libpcap capture on every
 * interface, the packet pipeline and the flow clock, and nothing else. Its event loop only reads
 * capture batches, ticks the flow clock and answers snapshot requests with typed arrays; exposition
 * text, HTTP and their garbage live in the parent, so a slow scrape or a major GC there cannot keep
 * this process from draining the kernel ring. (The native `cap` addon cannot be loaded in a
 * worker_thread, hence a process.)
 *
 * It ignores SIGINT/SIGTERM: a terminal's Ctrl-C or systemd's control-group stop reach the whole
 * process group, and the parent decides the order of shutdown ('stop'). If the parent goes away the
 * IPC channel disconnects and this process exits too.
 */
import { snapshotDnsCounters } from '../analysis/dns-counters';
import { snapshotTcpCounters } from '../analysis/tcp-counters';
import { InterfaceSupervisor } from '../capture/interface-supervisor';
import { buildPipeline } from './build-pipeline';
import { CaptureOutputs } from './capture-outputs';
import { EngineQueries } from './engine-queries';
import type { PacketPipeline } from './packet-pipeline';
import { NetmonError } from '../errors';
import { createLogger } from '../log';
import type { Logger } from '../log';
import type { ControlMessage, EngineMessage, EngineSnapshot, StartMessage } from './engine-snapshot';
import { FlowSeriesSender } from './flow-series-delta';

/** Flow clock tick on a quiet link, so idle flows end without waiting for the next packet. */
const CLOCK_TICK_MS = 1000;
/** How often capture up/down changes are looked for and pushed to the parent (for /readyz). */
const STATUS_POLL_MS = 100;
/** How often the outputs (flow records, tapped packets) are flushed to the parent when not full. */
const OUTPUT_FLUSH_MS = 100;
/**
 * Output batches sent and not yet written to the IPC channel, at most: beyond it (the parent is not
 * reading), batches are dropped and counted rather than piling up in this process's memory.
 */
const MAX_PENDING_BATCHES = 64;

class Engine {
  private readonly pipeline: PacketPipeline;
  private readonly captures: InterfaceSupervisor[];
  private readonly sender = new FlowSeriesSender();
  private readonly timers: NodeJS.Timeout[] = [];
  private lastUp: boolean[];
  readonly outputs: CaptureOutputs;
  readonly queries: EngineQueries;
  private pendingBatches = 0;
  private stopping = false;
  private stopped = false;
  private readonly batchSent = (): void => {
    this.pendingBatches--;
  };

  constructor(private readonly start: StartMessage, private readonly log: Logger) {
    this.pipeline = buildPipeline(start.config, start.configName, log);
    this.outputs = new CaptureOutputs(
      this.pipeline,
      (batch) => this.sendBatch({ type: 'flow-records', batch }),
      (batch) => this.sendBatch({ type: 'packets', batch }),
    );
    this.captures = start.interfaces.map((n) => new InterfaceSupervisor(n, start.capture, this.pipeline.addInterface(n, true), log));
    this.lastUp = this.captures.map(() => false);
    this.queries = new EngineQueries(this.pipeline, {
      captures: () => this.captures.map((c) => ({ name: c.name, up: c.up, ...c.stats() })),
      flowRecordsDropped: () => this.outputs.flowChannel.droppedRecords,
    });
  }

  capture(): void {
    for (const c of this.captures) c.start();
    this.timers.push(setInterval(() => this.pipeline.tick(Date.now() / 1000), CLOCK_TICK_MS));
    this.timers.push(setInterval(() => this.pushStatus(false), STATUS_POLL_MS));
    this.timers.push(setInterval(() => this.outputs.flush(), OUTPUT_FLUSH_MS));
    this.pushStatus(true);
    this.log.info({ interfaces: this.start.interfaces, filter: this.start.capture.filter, filters: this.pipeline.filterNames }, 'capturing');
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const c of this.captures) c.stop();
  }

  /**
   * Stops capture and hands the outputs everything they are owed (the records of the flows still
   * active, when wanted), then resolves once every batch is written to the IPC channel.
   */
  async stopAndDrain(): Promise<void> {
    this.stop();
    this.stopping = true;
    this.outputs.drain();
    while (this.pendingBatches > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Sends an output batch unless the IPC backlog is at its bound (while capturing). */
  private sendBatch(m: EngineMessage): boolean {
    if (!this.stopping && this.pendingBatches >= MAX_PENDING_BATCHES) return false;
    this.pendingBatches++;
    process.send!(m, undefined, undefined, this.batchSent);
    return true;
  }

  private pushStatus(always: boolean): void {
    const up = this.captures.map((c) => c.up);
    if (!always && up.every((u, i) => u === this.lastUp[i])) return;
    this.lastUp = up;
    send({ type: 'status', up });
  }

  snapshot(): EngineSnapshot {
    const p = this.pipeline;
    // The flows first: rebalance decides seriesExported and the overflow counters read below.
    const flows = this.sender.delta(p.flows.exportFlowSeries());
    const s = p.flows.stats;
    const cpu = process.cpuUsage();
    return {
      interfaces: p.interfaces.map((i) => ({ name: i.name, packets: i.packets, bytes: i.bytes, sizeBuckets: i.sizeBuckets.slice(), tcpFlags: i.tcpFlags.slice() })),
      decodeErrors: p.decodeErrors.slice(),
      tunnelPackets: p.tunnelPackets.slice(),
      filterNames: [...p.filterNames],
      filterPackets: p.filterPackets.slice(),
      filterBytes: p.filterBytes.slice(),
      flowStats: {
        activeFlows: s.activeFlows,
        seriesExported: s.seriesExported,
        evictionsIdle: s.evictionsIdle,
        evictionsActive: s.evictionsActive,
        evictionsCapacity: s.evictionsCapacity,
        overflowPackets: s.overflowPackets,
        overflowBytes: s.overflowBytes,
      },
      flows,
      dns: p.dns === null ? undefined : snapshotDnsCounters(p.dns),
      tcp: p.tcp === null ? undefined : snapshotTcpCounters(p.tcp),
      captures: this.captures.map((c) => ({ name: c.name, up: c.up, ...c.stats() })),
      detections: p.detections,
      residentBytes: process.memoryUsage.rss(),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      flowRecordsDropped: this.outputs.flowChannel.droppedRecords,
    };
  }
}

function send(m: EngineMessage): void {
  process.send!(m);
}

function main(): void {
  let engine: Engine | undefined;
  let log: Logger = createLogger('info');
  const exit = (code: number): void => {
    engine?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  process.on('disconnect', () => exit(0));
  process.on('uncaughtException', (err) => {
    log.error({ err }, 'capture process: internal error');
    exit(70);
  });
  process.on('message', (m: ControlMessage) => {
    switch (m.type) {
      case 'start':
        log = createLogger(m.logLevel);
        try {
          engine = new Engine(m, log);
          send({ type: 'built' });
        } catch (err) {
          if (!(err instanceof NetmonError)) throw err;
          send({ type: 'fatal', code: err.code, message: err.message, exitCode: err.exitCode });
        }
        return;
      case 'capture':
        engine?.capture();
        return;
      case 'scrape':
        if (engine !== undefined) send({ type: 'snapshot', id: m.id, snapshot: engine.snapshot() });
        return;
      case 'flow-records-wanted':
        engine?.outputs.setFlowRecordsWanted(m.on);
        return;
      case 'packets-subscribe':
        try {
          engine?.outputs.subscribePackets(m.id, m.filter, m.rate);
        } catch (err) {
          // The HTTP process compiled the same filter before asking: this is a bug, not bad input.
          log.error({ err, filter: m.filter }, 'packet subscription refused');
        }
        return;
      case 'packets-unsubscribe':
        engine?.outputs.unsubscribePackets(m.id);
        return;
      case 'query':
        if (engine === undefined) return;
        try {
          send({ type: 'query-result', id: m.id, result: engine.queries.run(m.query) });
        } catch (err) {
          // A bad filter was refused by the HTTP process already; anything else is reported, not fatal.
          send({ type: 'query-error', id: m.id, message: (err as Error).message });
        }
        return;
      case 'stop':
        if (engine === undefined) exit(0);
        else
          void engine.stopAndDrain().then(() => {
            // Exit once 'stopped' is written: the batches before it are then all delivered.
            process.send!({ type: 'stopped' } satisfies EngineMessage, undefined, undefined, () => exit(0));
          });
        return;
    }
  });
}

if (require.main === module) main();
