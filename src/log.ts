import type pino from 'pino';

/** The logging surface netmon's modules use (pino-compatible, so tests can pass a stub). */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const LEVEL_VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * Structured JSON logs (pino) on stderr; stdout carries replay output. Synchronous, so nothing is lost
 * at exit. pino is loaded on the first line actually logged: a replay that logs nothing starts faster.
 */
export function createLogger(level: string): Logger {
  const threshold = LEVEL_VALUES[level] ?? LEVEL_VALUES['info']!;
  let real: pino.Logger | undefined;
  const get = (): pino.Logger => {
    if (real === undefined) {
      const create = require('pino') as typeof pino;
      real = create({ level, base: { name: 'netmon' } }, create.destination({ dest: 2, sync: true }));
    }
    return real;
  };
  return {
    debug: (obj, msg) => threshold <= 20 && get().debug(obj, msg),
    info: (obj, msg) => threshold <= 30 && get().info(obj, msg),
    warn: (obj, msg) => threshold <= 40 && get().warn(obj, msg),
    error: (obj, msg) => threshold <= 50 && get().error(obj, msg),
  };
}
