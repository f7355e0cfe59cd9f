import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CaptureFileReader } from './capture-file';
import type { PacketCallback } from './packet-callback';

/** Feeds every packet of a capture file to `onPacket` as fast as possible, synchronously. */
export function replayAllSync(reader: CaptureFileReader, onPacket: PacketCallback): void {
  reader.readPackets(onPacket, Infinity);
}

export interface PacedReplayOptions {
  /** Follow the packets' own timestamps (like tcpreplay without --topspeed) instead of full speed. */
  readonly originalSpeed: boolean;
  /** Packets processed between yields to the event loop, so /metrics stays responsive during a replay. */
  readonly batch: number;
  /**
   * Awaited between batches instead of a plain yield: the outputs' backpressure (a sink that must
   * not drop records in a replay makes the replay wait for its queue).
   */
  readonly between?: () => Promise<void>;
}

/**
 * Feeds a capture file to `onPacket` without monopolising the event loop: yields every `batch` packets
 * and, at original speed, sleeps until each packet is due. Packet timestamps are the flow clock either
 * way, so results do not depend on the pacing.
 */
export async function replayPaced(reader: CaptureFileReader, onPacket: PacketCallback, opts: PacedReplayOptions): Promise<void> {
  const between = opts.between ?? (() => yieldToEventLoop());
  if (!opts.originalSpeed) {
    while (reader.readPackets(onPacket, opts.batch) === opts.batch) await between();
    return;
  }
  let firstTs = NaN;
  let startMs = 0;
  for (;;) {
    for (let n = 0; n < opts.batch; n++) {
      if (!reader.next()) return;
      if (Number.isNaN(firstTs)) {
        firstTs = reader.ts;
        startMs = performance.now();
      }
      const waitMs = (reader.ts - firstTs) * 1000 - (performance.now() - startMs);
      // The reader's current packet stays valid until the next call to next(), so sleeping here is safe.
      if (waitMs > 1) await sleep(waitMs);
      onPacket(reader.buf, reader.offset, reader.capLen, reader.wireLen, reader.ts, reader.linkType);
    }
    await between();
  }
}
