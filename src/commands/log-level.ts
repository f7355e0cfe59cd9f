import { LOG_LEVELS } from '../config/schema';
import { usageError } from '../errors';

const LEVELS: readonly string[] = LOG_LEVELS;

/** The --log-level flag when given (validated), else the configured level. */
export function resolveLogLevel(flag: string | undefined, configured: string): string {
  if (flag === undefined) return configured;
  if (!LEVELS.includes(flag)) throw usageError(`--log-level: expected one of ${LEVELS.join(', ')}, got "${flag}"`);
  return flag;
}
