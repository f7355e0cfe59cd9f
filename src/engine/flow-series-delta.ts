/**
 * The per-flow series across the process boundary: the capture process sends ids and values each
 * scrape and label text only when a series is new (FlowSeriesSender); the HTTP process keeps
 * id → label text and renders the two flow families from it (FlowSeriesMirror), with the same writer
 * the flow table uses for replay. Label strings are built once per admitted series in the capture
 * process and once per received series here, never per scrape.
 */
import { ExpositionWriter, FLOW_BYTES_FAMILY, FLOW_BYTES_HELP, FLOW_PACKETS_FAMILY, FLOW_PACKETS_HELP, writeCounterFamily } from '../flow/flow-exposition';
import type { FlowSeriesExport } from '../flow/flow-table';
import type { FlowSeriesView } from '../metrics/otel-metric-data';
import type { FlowSeriesDelta } from './engine-snapshot';

/** Capture-process side: turns each FlowTable.exportFlowSeries() into a delta against the previous one. */
export class FlowSeriesSender {
  /** Label text the receiver holds, by id ('' or undefined: none). */
  private readonly sent: string[] = [];
  private prevIds = new Int32Array(0);
  /** mark[id] === epoch: id is exported in the current snapshot. */
  private mark = new Int32Array(0);
  private epoch = 0;

  delta(x: FlowSeriesExport): FlowSeriesDelta {
    const n = x.count;
    const ids = x.ids.slice(0, n);
    const addedIds: number[] = [];
    const addedLabels: string[] = [];
    const epoch = ++this.epoch;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (id >= this.mark.length) this.growMark(id);
      this.mark[id] = epoch;
      const text = x.labelText[id]!;
      // Equal text (the same string, or the same flow back in its old slot) needs no resend.
      if (this.sent[id] !== text) {
        this.sent[id] = text;
        addedIds.push(id);
        addedLabels.push(text);
      }
    }
    const removed: number[] = [];
    for (const id of this.prevIds) {
      if (this.mark[id] !== epoch) {
        removed.push(id);
        this.sent[id] = '';
      }
    }
    this.prevIds = ids;
    return {
      ids,
      packets: x.packets.slice(0, n),
      bytes: x.bytes.slice(0, n),
      addedIds: Int32Array.from(addedIds),
      addedLabels,
      removedIds: Int32Array.from(removed),
      overflowLabels: x.overflowLabels,
    };
  }

  private growMark(id: number): void {
    let size = Math.max(1024, this.mark.length);
    while (size <= id) size *= 2;
    const m = new Int32Array(size);
    m.set(this.mark);
    this.mark = m;
  }
}

/** HTTP-process side: applies deltas in the order sent and renders the flow families. */
export class FlowSeriesMirror {
  private readonly labels: string[] = [];
  private last: FlowSeriesDelta | undefined;
  private overflowPackets = 0;
  private overflowBytes = 0;
  private readonly writer = new ExpositionWriter();

  /** Must see every delta the sender produced, in order (each one is relative to the previous). */
  apply(d: FlowSeriesDelta, overflowPackets: number, overflowBytes: number): void {
    for (const id of d.removedIds) this.labels[id] = '';
    for (let i = 0; i < d.addedIds.length; i++) this.labels[d.addedIds[i]!] = d.addedLabels[i]!;
    this.last = d;
    this.overflowPackets = overflowPackets;
    this.overflowBytes = overflowBytes;
  }

  /** The series of the last delta, for the OpenTelemetry data (undefined before the first). Valid until the next apply(). */
  view(): FlowSeriesView | undefined {
    const d = this.last;
    if (d === undefined) return undefined;
    return { count: d.ids.length, ids: d.ids, packets: d.packets, bytes: d.bytes, labelText: this.labels, overflowLabels: d.overflowLabels, overflowPackets: this.overflowPackets, overflowBytes: this.overflowBytes };
  }

  /** netmon_flow_packets_total and netmon_flow_bytes_total of the last delta, as exposition bytes owned by the caller. */
  render(): Buffer {
    const d = this.last;
    if (d === undefined) return Buffer.alloc(0);
    const w = this.writer;
    w.reset();
    const n = d.ids.length;
    writeCounterFamily(w, FLOW_PACKETS_FAMILY, FLOW_PACKETS_HELP, this.labels, d.packets, d.ids, n, d.overflowLabels, this.overflowPackets);
    writeCounterFamily(w, FLOW_BYTES_FAMILY, FLOW_BYTES_HELP, this.labels, d.bytes, d.ids, n, d.overflowLabels, this.overflowBytes);
    return w.take();
  }
}
