/**
 * Keeps live capture running on one named interface across the interface going down, being
 * deleted and coming back (veths, VPN tunnels, USB NICs, container restarts).
 *
 * Life cycle: start() opens the interface. When the capture reports an error, or the interface is
 * missing or cannot be opened, the handle is closed, `up` turns false and a reopen is tried after
 * a backoff: 0.5 s, doubling on every failed attempt, capped at 10 s (BACKOFF_INITIAL_MS,
 * BACKOFF_MAX_MS); a successful open resets it to 0.5 s. stop() closes everything and cancels
 * the retry.
 *
 * Statistics are cumulative over all handles: pcap_stats restart at 0 on every open, so the final
 * figures of a closed handle are folded into a base, and every figure returned never decreases
 * (Prometheus counters must be monotonic).
 */
import type { PacketCallback } from './packet-callback';
import { LiveCapture } from './live-capture';
import type { LiveCaptureOptions, PcapStats } from './live-capture';
import { interfaceExists } from './interfaces';

export const BACKOFF_INITIAL_MS = 500;
export const BACKOFF_MAX_MS = 10_000;

/** The logging surface used here (pino-compatible). */
export interface SupervisorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Cumulative capture statistics of one interface since start(). */
export interface CaptureStats {
  /** Packets accepted by the kernel filter, including those then dropped (pcap ps_recv). */
  received: number;
  /** Packets lost because the capture ring was full (pcap ps_drop). */
  droppedKernel: number;
  /** Packets dropped by the interface or driver while capturing (pcap ps_ifdrop). */
  droppedInterface: number;
}

/** What the supervisor needs of a capture handle (LiveCapture; a fake in unit tests). */
export interface SupervisedCapture {
  stats(): PcapStats | undefined;
  close(): void;
}

/** Seams for unit tests: how to open a capture and whether the interface exists. */
export interface SupervisorDeps {
  open(device: string, opts: LiveCaptureOptions, onPacket: PacketCallback, onError: (err: Error) => void): SupervisedCapture;
  exists(device: string): boolean;
}

const realDeps: SupervisorDeps = {
  open: (device, opts, onPacket, onError) => new LiveCapture(device, opts, onPacket, onError),
  exists: interfaceExists,
};

export class InterfaceSupervisor {
  private capture: SupervisedCapture | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs = BACKOFF_INITIAL_MS;
  private running = false;
  /** Why the interface is down, logged once per outage rather than on every retry. */
  private downReason: string | undefined;
  private readonly base: CaptureStats = { received: 0, droppedKernel: 0, droppedInterface: 0 };
  private readonly last: CaptureStats = { received: 0, droppedKernel: 0, droppedInterface: 0 };
  private current: PcapStats = { received: 0, dropped: 0, ifDropped: 0 };
  private _up = false;
  /** Number of successful opens (diagnostics and tests). */
  opens = 0;

  constructor(
    readonly name: string,
    private readonly opts: LiveCaptureOptions,
    private readonly onPacket: PacketCallback,
    private readonly log: SupervisorLogger,
    private readonly deps: SupervisorDeps = realDeps,
  ) {}

  /** True while a capture handle is open and delivering packets. */
  get up(): boolean {
    return this._up;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt();
  }

  /** Closes the capture and cancels any retry; idempotent. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.closeCapture();
  }

  /** Cumulative statistics across reopenings; each field is monotonic. */
  stats(): CaptureStats {
    if (this.capture !== undefined) this.sample(this.capture);
    const r = this.base.received + this.current.received;
    const k = this.base.droppedKernel + this.current.dropped;
    const i = this.base.droppedInterface + this.current.ifDropped;
    // pcap counters are 32-bit on some systems and may wrap: never report a decrease.
    if (r > this.last.received) this.last.received = r;
    if (k > this.last.droppedKernel) this.last.droppedKernel = k;
    if (i > this.last.droppedInterface) this.last.droppedInterface = i;
    return { ...this.last };
  }

  private sample(c: SupervisedCapture): void {
    const s = c.stats();
    if (s !== undefined) this.current = s;
  }

  private attempt(): void {
    this.timer = undefined;
    if (!this.running) return;
    if (!this.deps.exists(this.name)) {
      this.markDown('interface does not exist');
      return;
    }
    let capture: SupervisedCapture;
    try {
      capture = this.deps.open(this.name, this.opts, this.onPacket, (err) => this.onCaptureError(capture, err));
    } catch (err) {
      this.markDown((err as Error).message);
      return;
    }
    this.capture = capture;
    this.current = { received: 0, dropped: 0, ifDropped: 0 };
    this._up = true;
    this.opens++;
    this.backoffMs = BACKOFF_INITIAL_MS;
    if (this.downReason !== undefined) this.log.info({ interface: this.name }, 'capture resumed');
    else this.log.info({ interface: this.name }, 'capture started');
    this.downReason = undefined;
  }

  private onCaptureError(capture: SupervisedCapture, err: Error): void {
    // A late error from a handle already replaced or closed is not news.
    if (capture !== this.capture) return;
    this.closeCapture();
    this.markDown(err.message);
  }

  /** Folds the handle's final figures into the base and closes it. */
  private closeCapture(): void {
    const c = this.capture;
    if (c === undefined) return;
    this.sample(c);
    this.stats();
    this.base.received += this.current.received;
    this.base.droppedKernel += this.current.dropped;
    this.base.droppedInterface += this.current.ifDropped;
    this.current = { received: 0, dropped: 0, ifDropped: 0 };
    this.capture = undefined;
    this._up = false;
    try {
      c.close();
    } catch (err) {
      this.log.error({ interface: this.name, err: (err as Error).message }, 'closing capture failed');
    }
  }

  private markDown(reason: string): void {
    this._up = false;
    if (!this.running) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
    if (this.downReason === undefined) {
      this.log.warn({ interface: this.name, reason, retryMs: delay }, 'capture down, will retry');
    } else if (reason !== this.downReason) {
      this.log.warn({ interface: this.name, reason, retryMs: delay }, 'capture still down');
    }
    this.downReason = reason;
    this.timer = setTimeout(() => this.attempt(), delay);
  }
}
