/**
 * The API streams' own health: clients connected, refused and cut off, and what they were sent and
 * owed. Plain counters, read by the catalog families at scrape time.
 */
import { CATALOG } from '../metrics/catalog';
import type { Family } from '../metrics/family';

export type StreamName = 'flows' | 'packets';
export const STREAM_NAMES: readonly StreamName[] = ['flows', 'packets'];
export type DropReason = 'buffer_full' | 'stalled' | 'max_clients';
export const DROP_REASONS: readonly DropReason[] = ['buffer_full', 'stalled', 'max_clients'];

export class StreamStats {
  readonly clients: Record<StreamName, number> = { flows: 0, packets: 0 };
  readonly sent: Record<StreamName, number> = { flows: 0, packets: 0 };
  readonly lost: Record<StreamName, number> = { flows: 0, packets: 0 };
  readonly dropped: Record<StreamName, Record<DropReason, number>> = {
    flows: { buffer_full: 0, stalled: 0, max_clients: 0 },
    packets: { buffer_full: 0, stalled: 0, max_clients: 0 },
  };

  get totalClients(): number {
    return this.clients.flows + this.clients.packets;
  }

  families(): Family[] {
    const per = (read: (s: StreamName) => number) => () => STREAM_NAMES.map((stream) => ({ labels: { stream }, value: read(stream) }));
    return [
      { def: CATALOG.streamClients, collect: per((s) => this.clients[s]) },
      {
        def: CATALOG.streamClientsDropped,
        collect: () => STREAM_NAMES.flatMap((stream) => DROP_REASONS.map((reason) => ({ labels: { stream, reason }, value: this.dropped[stream][reason] }))),
      },
      { def: CATALOG.streamSent, collect: per((s) => this.sent[s]) },
      { def: CATALOG.streamLost, collect: per((s) => this.lost[s]) },
    ];
  }
}
