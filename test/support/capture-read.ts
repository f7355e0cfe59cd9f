import { strict as assert } from 'node:assert';
import { openCaptureFile } from '../../src/capture/capture-file';
import type { CaptureFileReader } from '../../src/capture/capture-file';

/** One packet as a reader handed it out, bytes copied. */
export interface ReadPacket {
  data: Buffer;
  capLen: number;
  wireLen: number;
  ts: number;
  linkType: number;
  /** Interface index (pcapng); next() only: readPackets() does not report it. */
  iface: number;
}

type Drain = (r: CaptureFileReader, add: (buf: Buffer, offset: number, capLen: number, wireLen: number, ts: number, linkType: number, iface: number) => void) => void;

function readWith(path: string, bufferSize: number | undefined, drain: Drain): { pkts: ReadPacket[]; err?: unknown; position?: number } {
  const pkts: ReadPacket[] = [];
  let r: CaptureFileReader;
  try {
    r = openCaptureFile(path, { bufferSize });
  } catch (err) {
    return { pkts, err };
  }
  try {
    drain(r, (buf, offset, capLen, wireLen, ts, linkType, iface) => {
      pkts.push({ data: Buffer.from(buf.subarray(offset, offset + capLen)), capLen, wireLen, ts, linkType, iface });
    });
    return { pkts, position: r.position };
  } catch (err) {
    return { pkts, err, position: r.position };
  } finally {
    r.close();
  }
}

const pull: Drain = (r, add) => {
  while (r.next()) add(r.buf, r.offset, r.capLen, r.wireLen, r.ts, r.linkType, r.interfaceIndex);
};
const pushAll: Drain = (r, add) => {
  r.readPackets((buf, offset, capLen, wireLen, ts, linkType) => add(buf, offset, capLen, wireLen, ts, linkType, -1), Infinity);
};
/** Batches of 2: a batch boundary falls inside the fast loop and between next() and it. */
const pushBatches: Drain = (r, add) => {
  while (r.readPackets((buf, offset, capLen, wireLen, ts, linkType) => add(buf, offset, capLen, wireLen, ts, linkType, -1), 2) === 2);
};

/**
 * Reads every packet with next() and returns them with the error that stopped reading, if any;
 * first checks that readPackets() (all at once and in batches) hands out exactly the same packets
 * and stops with the same error at the same place.
 */
export function readAllPackets(path: string, bufferSize?: number): { pkts: ReadPacket[]; err?: unknown } {
  const ref = readWith(path, bufferSize, pull);
  const expected = ref.pkts.map((p) => ({ ...p, iface: -1 }));
  for (const [name, drain] of [['readPackets(Infinity)', pushAll], ['readPackets(2)', pushBatches]] as const) {
    const got = readWith(path, bufferSize, drain);
    assert.deepEqual(got.pkts, expected, `${name} hands out the packets next() does`);
    assert.equal(String(got.err), String(ref.err), `${name} stops with next()'s error`);
    assert.equal(got.position, ref.position, `${name} ends at next()'s position`);
  }
  return { pkts: ref.pkts, err: ref.err };
}
