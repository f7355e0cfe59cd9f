/**
 * Coded start-up errors. Each one stops netmon with a single message and exit code 2; the code is
 * stable and greppable (NETMON_ERR_*), the message names the file, key or position at fault.
 */
export type NetmonErrorCode =
  | 'NETMON_ERR_USAGE'
  | 'NETMON_ERR_CONFIG_INVALID'
  | 'NETMON_ERR_CONFIG_UNREADABLE'
  | 'NETMON_ERR_FILTER_INVALID'
  | 'NETMON_ERR_INTERFACE'
  | 'NETMON_ERR_CAPTURE_FILE'
  | 'NETMON_ERR_LISTEN';

export class NetmonError extends Error {
  readonly code: NetmonErrorCode;
  readonly exitCode: number;

  constructor(code: NetmonErrorCode, message: string, exitCode = 2) {
    super(message);
    this.name = 'NetmonError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

export function usageError(message: string): NetmonError {
  return new NetmonError('NETMON_ERR_USAGE', message);
}
