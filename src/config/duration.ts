import type { Rule } from './validate';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/**
 * Parses a duration as Prometheus users write them ("90s", "5m", "1h", "7d", "250ms") or a plain number of
 * seconds. Returns seconds, or undefined when the text is not a duration.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = DURATION.exec(value.trim());
  if (m === null) return undefined;
  return Number(m[1]) * UNIT_SECONDS[m[2]!]!;
}

/** The config rule for a duration key: seconds, with a problem naming the key when malformed. */
export const duration: Rule<number> = (v, path, problems) => {
  const seconds = parseDuration(v);
  if (seconds === undefined) {
    problems.push({ path, message: `expected a duration such as 60, "90s", "5m" or "1h", got ${JSON.stringify(v)}` });
    return 0;
  }
  return seconds;
};
