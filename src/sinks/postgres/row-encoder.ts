import type { CopyBinaryWriter } from './copy-binary';

/**
 * Writes row `i` of a batch of type B as one binary COPY row, and tells its time (which day
 * partition it goes to). One per table; the writer calls it for every queued row of a batch.
 */
export interface RowEncoder<B> {
  readonly columns: readonly string[];
  encode(w: CopyBinaryWriter, batch: B, i: number): void;
  /** The row's partitioning time, seconds since the epoch. */
  time(batch: B, i: number): number;
  /** False when a row cannot be stored (a timestamp outside what PostgreSQL and day partitions take). */
  valid(batch: B, i: number): boolean;
}

/** Timestamps the sink stores: years 1 to 9999 (PostgreSQL takes more, day partition names do not). */
export function storableTime(seconds: number): boolean {
  return seconds >= -62_135_596_800 && seconds < 253_402_300_800;
}

/** UTF-8 bytes of repeated text values (host, interface names, end reasons), made once. */
export class TextCache {
  private readonly cache = new Map<string, Buffer>();

  get(text: string): Buffer {
    let b = this.cache.get(text);
    if (b === undefined) {
      b = Buffer.from(text, 'utf8');
      if (this.cache.size < 4096) this.cache.set(text, b);
    }
    return b;
  }
}
