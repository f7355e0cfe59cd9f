/**
 * Options of the flow table and their defaults. The configuration layer (src/config/schema.ts)
 * validates user input; resolveFlowOptions() re-checks the values so that a FlowTable built directly
 * (tests, benchmarks, embedders) cannot be put in an inconsistent state.
 */

/** Fields of the flow key that can become labels of the netmon_flow_* families. */
export type FlowLabel = 'src_ip' | 'dst_ip' | 'proto' | 'src_port' | 'dst_port';

/** Canonical label order: series always carry their labels in this order. */
export const FLOW_LABEL_ORDER: readonly FlowLabel[] = ['src_ip', 'dst_ip', 'proto', 'src_port', 'dst_port'];

/** Prefix lengths an address is truncated to (32 / 128 mean "the whole address"). */
export interface PrefixLengths {
  ipv4?: number;
  ipv6?: number;
}

export interface FlowAggregate {
  src_ip?: PrefixLengths;
  dst_ip?: PrefixLengths;
}

export interface FlowTableOptions {
  /** Seconds without a packet after which a flow ends with reason "idle". */
  idleTimeout: number;
  /** Seconds after a record's first packet at which it is cut (reason "active"), as NetFlow/IPFIX do. */
  activeTimeout: number;
  /** Memory budget: flows tracked at once. */
  maxFlows: number;
  /** Series budget: flows exported as their own netmon_flow_* series (the overflow series excluded). */
  maxSeries: number;
  /** Fields that become labels; the others are aggregated away at the flow-key level. */
  labels: readonly FlowLabel[];
  /** Prefix aggregation of the address fields, also applied at the flow-key level. */
  aggregate: FlowAggregate;
}

/**
 * Default memory budget. A flow slot costs about 170 bytes of typed arrays (see FlowTable), so
 * 500 000 flows are ~85 MB, touched only as slots are used: a 1M random-source SYN flood through a
 * full table keeps the whole test process at ~140 MB RSS (test/flow/flow-flood.test.ts).
 */
export const DEFAULT_MAX_FLOWS = 500_000;

export const DEFAULT_FLOW_OPTIONS: Readonly<FlowTableOptions> = {
  idleTimeout: 60,
  activeTimeout: 300,
  maxFlows: DEFAULT_MAX_FLOWS,
  maxSeries: 5000,
  labels: FLOW_LABEL_ORDER,
  aggregate: {},
};

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`flow table: ${name} must be an integer in [${min}, ${max}], got ${v}`);
}

/** Fills defaults and validates; throws RangeError on a value the table cannot honour. */
export function resolveFlowOptions(partial: Partial<FlowTableOptions> = {}): FlowTableOptions {
  const o: FlowTableOptions = { ...DEFAULT_FLOW_OPTIONS, ...partial };
  if (!(o.idleTimeout > 0) || !Number.isFinite(o.idleTimeout)) throw new RangeError(`flow table: idleTimeout must be > 0 s, got ${o.idleTimeout}`);
  if (!(o.activeTimeout > 0) || !Number.isFinite(o.activeTimeout)) throw new RangeError(`flow table: activeTimeout must be > 0 s, got ${o.activeTimeout}`);
  // 2^28 slots would already need ~40 GB; the bound keeps hash-table sizes within Int32 indices.
  checkInt('maxFlows', o.maxFlows, 1, 1 << 28);
  checkInt('maxSeries', o.maxSeries, 0, 1 << 28);
  if (o.labels.length === 0) {
    // With no label every flow has the same (empty) label set, which would collide with the
    // overflow series; netmon_packets_total already gives the total.
    throw new RangeError('flow table: labels must name at least one field');
  }
  for (const l of o.labels) {
    if (!FLOW_LABEL_ORDER.includes(l)) throw new RangeError(`flow table: unknown label ${JSON.stringify(l)}`);
  }
  for (const side of ['src_ip', 'dst_ip'] as const) {
    const p = o.aggregate[side];
    if (p?.ipv4 !== undefined) checkInt(`aggregate.${side}.ipv4`, p.ipv4, 0, 32);
    if (p?.ipv6 !== undefined) checkInt(`aggregate.${side}.ipv6`, p.ipv6, 0, 128);
  }
  return o;
}
