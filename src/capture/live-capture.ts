/**
 * One open libpcap handle on one interface, through the patched npm `cap` binding
 * (patches/cap+0.2.1.patch). The binding runs in batch mode: when the capture socket is readable
 * it copies every available packet into one reused Buffer as records and calls back once per
 * buffer, so there is one native→JS crossing per batch instead of per packet.
 *
 * Record layout (little-endian u32, written by the binding):
 *   [0] ts_sec  [4] ts_usec  [8] caplen  [12] wirelen (pcap orig_len)  [16] caplen bytes, padded to 4
 *
 * Errors after open (interface set down or deleted) stop the capture and are reported through
 * `onError`; nothing is thrown from the poll path. close() is always safe afterwards.
 */
import type { PacketCallback } from './packet-callback';

/** Statistics of one pcap handle (pcap_stats(3PCAP)); they restart at 0 on every open. */
export interface PcapStats {
  /** Packets that passed the kernel filter. */
  received: number;
  /** Packets dropped because the capture ring was full. */
  dropped: number;
  /** Packets dropped by the interface or its driver. */
  ifDropped: number;
}

/** The subset of the patched `cap` binding that netmon uses. */
export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer, options: CapOpenOptions): string;
  close(): boolean;
  stats(): PcapStats;
  linkType(): number;
}

export interface CapOpenOptions {
  snaplen: number;
  promiscuous: boolean;
  immediate: boolean;
  timeoutMs: number;
  onBatch: (count: number, bytes: number) => void;
  onError: (err: Error) => void;
}

export interface CapDevice {
  name: string;
  description?: string;
  addresses: { addr?: string; netmask?: string }[];
  loopback: boolean;
  up: boolean;
  running: boolean;
}

export interface CapBinding {
  Cap: new () => CapHandle;
  deviceList(): CapDevice[];
  checkFilter(filter: string, linkType?: number, snaplen?: number): void;
  libVersion(): string;
}

let binding: CapBinding | undefined;

/** The native binding, loaded on first use so that file replay works without libpcap. */
export function capBinding(): CapBinding {
  if (binding === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('cap') as Partial<CapBinding>;
    if (typeof mod.checkFilter !== 'function') {
      // Stock cap 0.2.1 would abort the process when an interface goes away.
      throw new Error('the npm package "cap" is not patched: run "npm ci" (postinstall applies patches/cap+0.2.1.patch)');
    }
    binding = mod as CapBinding;
  }
  return binding;
}

export interface LiveCaptureOptions {
  /** Bytes kept of each frame (pcap snaplen). */
  snaplen: number;
  /** Kernel ring size in bytes (pcap_set_buffer_size). */
  bufferSize: number;
  promiscuous: boolean;
  /** Deliver each packet at once (TPACKET_V2, one snaplen slot per packet) instead of batching. */
  immediate: boolean;
  /** With immediate off: longest time a packet waits in the ring (TPACKET_V3 block retire timeout). */
  timeoutMs: number;
  /** Kernel BPF filter, tcpdump syntax; empty for all packets. */
  filter: string;
}

/** Default netmon capture settings (the config file can change all of them). */
export const DEFAULT_LIVE_OPTIONS: LiveCaptureOptions = {
  snaplen: 256,
  bufferSize: 64 * 1024 * 1024,
  promiscuous: true,
  immediate: false,
  timeoutMs: 100,
  filter: '',
};

/** Size of the JS batch buffer; it holds at least 64 records of the largest size. */
function batchBufferSize(snaplen: number): number {
  return Math.max(1 << 20, 64 * (16 + snaplen + 3));
}

export class LiveCapture {
  readonly linkType: number;
  private readonly handle: CapHandle;
  private readonly buf: Buffer;
  private closed = false;
  private failed = false;

  /**
   * Opens `device` and starts delivering packets to `onPacket`. Throws (synchronously) if the
   * interface cannot be opened or the filter is invalid. `onError` is called at most once, when
   * the capture stops by itself; the handle stays open for stats() until close().
   */
  constructor(
    readonly device: string,
    opts: LiveCaptureOptions,
    onPacket: PacketCallback,
    onError: (err: Error) => void,
  ) {
    const cap = capBinding();
    this.handle = new cap.Cap();
    this.buf = Buffer.alloc(batchBufferSize(opts.snaplen));
    const buf = this.buf;
    let linkType = 1;
    const onBatch = (count: number): void => {
      // The hot loop: reads record headers in place, no allocation per packet.
      let off = 0;
      for (let i = 0; i < count; i++) {
        const sec = buf.readUInt32LE(off);
        const usec = buf.readUInt32LE(off + 4);
        const capLen = buf.readUInt32LE(off + 8);
        const wireLen = buf.readUInt32LE(off + 12);
        onPacket(buf, off + 16, capLen, wireLen, sec + usec / 1e6, linkType);
        off += 16 + ((capLen + 3) & ~3);
      }
    };
    const fail = (err: Error): void => {
      if (this.closed || this.failed) return;
      this.failed = true;
      onError(err);
    };
    this.handle.open(device, opts.filter, opts.bufferSize, this.buf, {
      snaplen: opts.snaplen,
      promiscuous: opts.promiscuous,
      immediate: opts.immediate,
      timeoutMs: opts.timeoutMs,
      onBatch,
      onError: fail,
    });
    linkType = this.handle.linkType();
    this.linkType = linkType;
  }

  /** True once the capture stopped by itself (onError was called). */
  get stopped(): boolean {
    return this.failed || this.closed;
  }

  /** pcap_stats of this handle; undefined after close() or if the OS cannot tell (interface gone). */
  stats(): PcapStats | undefined {
    if (this.closed) return undefined;
    try {
      return this.handle.stats();
    } catch {
      return undefined;
    }
  }

  /** Stops capturing and frees the handle; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
  }
}
