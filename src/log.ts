import pino from 'pino';

/** The logging surface netmon's modules use (pino-compatible, so tests can pass a stub). */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Structured JSON logs on stderr (stdout carries replay output). Synchronous so nothing is lost at exit. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { name: 'netmon' } }, pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
