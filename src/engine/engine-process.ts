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

class Engine {
  private readonly pipeline: PacketPipeline;
  private readonly captures: InterfaceSupervisor[];
  private readonly sender = new FlowSeriesSender();
  private readonly timers: NodeJS.Timeout[] = [];
  private lastUp: boolean[];

  constructor(private readonly start: StartMessage, private readonly log: Logger) {
    this.pipeline = buildPipeline(start.config, start.configName, log);
    this.captures = start.interfaces.map((n) => new InterfaceSupervisor(n, start.capture, this.pipeline.addInterface(n), log));
    this.lastUp = this.captures.map(() => false);
  }

  capture(): void {
    for (const c of this.captures) c.start();
    this.timers.push(setInterval(() => this.pipeline.tick(Date.now() / 1000), CLOCK_TICK_MS));
    this.timers.push(setInterval(() => this.pushStatus(false), STATUS_POLL_MS));
    this.pushStatus(true);
    this.log.info({ interfaces: this.start.interfaces, filter: this.start.capture.filter, filters: this.pipeline.filterNames }, 'capturing');
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    for (const c of this.captures) c.stop();
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
      residentBytes: process.memoryUsage.rss(),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
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
      case 'stop':
        exit(0);
        return;
    }
  });
}

if (require.main === module) main();
