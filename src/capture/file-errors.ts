import { NetmonError } from '../errors';

/**
 * Errors of the capture-file readers. All three are NetmonErrors with code NETMON_ERR_CAPTURE_FILE,
 * and their messages are ready to print as they are (they start with the file name).
 *
 * They live in their own module (re-exported by capture-file.ts) so that the format readers can
 * throw them without an import cycle through openCaptureFile.
 */

/** The file is a capture but is damaged (bad record/block, truncated) at `byteOffset`. */
export class CaptureFileError extends NetmonError {
  readonly path: string;
  /** Offset in the file of the record or block at fault. */
  readonly byteOffset: number;
  /** What is wrong, without the file name and offset. */
  readonly reason: string;

  constructor(path: string, byteOffset: number, reason: string) {
    super('NETMON_ERR_CAPTURE_FILE', `${path}: damaged capture at byte ${byteOffset}: ${reason}`);
    this.name = 'CaptureFileError';
    this.path = path;
    this.byteOffset = byteOffset;
    this.reason = reason;
  }
}

/** The file is empty or does not start with a pcap or pcapng magic number. */
export class NotACaptureFileError extends NetmonError {
  readonly path: string;

  constructor(path: string, message: string) {
    super('NETMON_ERR_CAPTURE_FILE', `${path}: ${message}`);
    this.name = 'NotACaptureFileError';
    this.path = path;
  }
}

/** The file cannot be opened or read at all (missing, permission, a directory, I/O error). */
export class CaptureFileOpenError extends NetmonError {
  readonly path: string;
  /** errno code such as 'ENOENT', or '' when unknown. */
  readonly errno: string;

  constructor(path: string, errno: string, detail: string) {
    super('NETMON_ERR_CAPTURE_FILE', `${path}: cannot read capture file: ${detail}`);
    this.name = 'CaptureFileOpenError';
    this.path = path;
    this.errno = errno;
  }
}

/** Turns an fs exception into a one-line description ("no such file or directory (ENOENT)"). */
export function describeFsError(err: unknown): { errno: string; detail: string } {
  const e = err as NodeJS.ErrnoException;
  const errno = typeof e?.code === 'string' ? e.code : '';
  const known: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'is a directory',
    EIO: 'input/output error',
    ELOOP: 'too many symbolic links',
    ENAMETOOLONG: 'file name too long',
    ENOTDIR: 'a path component is not a directory',
  };
  const text = known[errno] ?? (e instanceof Error ? e.message : String(err));
  return { errno, detail: errno !== '' ? `${text} (${errno})` : text };
}
