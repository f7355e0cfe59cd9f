/**
 * Options of the detectors and their defaults. The configuration layer (src/config/schema.ts, the
 * `detect:` section) validates user input; resolveDetectOptions() re-checks the values so that
 * Detectors built directly (tests, benchmarks) cannot be put in an inconsistent state.
 */
export interface DetectOptions {
  /** Length of the sliding window, seconds. */
  window: number;
  /** Series per detector gauge at most (the top N keys). */
  topN: number;
  /** Scans: (source, destination, protocol, port) contacts tracked at most. */
  maxContacts: number;
  /** SYN floods: destinations tracked at most (and as many (destination, port) keys). */
  maxTargets: number;
  /** Resets: RST sources tracked at most. */
  maxSources: number;
  /** Failing DNS query names tracked at most; 0 (the default): none, the names are never looked at. */
  maxDnsNames: number;
}

export const DEFAULT_DETECT_OPTIONS: Readonly<DetectOptions> = {
  window: 60,
  topN: 10,
  maxContacts: 65_536,
  maxTargets: 16_384,
  maxSources: 16_384,
  maxDnsNames: 0,
};

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`detectors: ${name} must be an integer in [${min}, ${max}], got ${v}`);
}

export function resolveDetectOptions(partial: Partial<DetectOptions> = {}): DetectOptions {
  const o: DetectOptions = { ...DEFAULT_DETECT_OPTIONS, ...partial };
  if (!(o.window > 0) || !Number.isFinite(o.window)) throw new RangeError(`detectors: window must be > 0 s, got ${o.window}`);
  checkInt('topN', o.topN, 1, 10_000);
  checkInt('maxContacts', o.maxContacts, 16, 1 << 24);
  checkInt('maxTargets', o.maxTargets, 16, 1 << 24);
  checkInt('maxSources', o.maxSources, 16, 1 << 24);
  checkInt('maxDnsNames', o.maxDnsNames, 0, 1 << 20);
  return o;
}
