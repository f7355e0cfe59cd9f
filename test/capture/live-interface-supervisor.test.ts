/**
 * InterfaceSupervisor with a fake capture and mocked timers: retry schedule, down/up transitions,
 * cumulative monotonic statistics. The live behaviour is in test/integration/live-capture.test.ts.
 */
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, InterfaceSupervisor } from '../../src/capture/interface-supervisor';
import type { SupervisedCapture, SupervisorDeps } from '../../src/capture/interface-supervisor';
import type { LiveCaptureOptions, PcapStats } from '../../src/capture/live-capture';

const OPTS: LiveCaptureOptions = { snaplen: 256, bufferSize: 1 << 20, promiscuous: true, immediate: false, timeoutMs: 100, filter: '' };

class FakeCapture implements SupervisedCapture {
  closed = false;
  current: PcapStats | undefined = { received: 0, dropped: 0, ifDropped: 0 };
  constructor(readonly fail: (err: Error) => void) {}
  stats(): PcapStats | undefined {
    return this.current === undefined ? undefined : { ...this.current };
  }
  close(): void {
    this.closed = true;
  }
}

class World implements SupervisorDeps {
  present = true;
  openError: string | undefined;
  attempts: number[] = [];
  captures: FakeCapture[] = [];
  t = 0;
  exists(): boolean {
    this.attempts.push(this.t);
    return this.present;
  }
  open(_d: string, _o: LiveCaptureOptions, _p: unknown, onError: (err: Error) => void): SupervisedCapture {
    if (this.openError !== undefined) throw new Error(this.openError);
    const c = new FakeCapture(onError);
    this.captures.push(c);
    return c;
  }
  last(): FakeCapture {
    return this.captures[this.captures.length - 1]!;
  }
}

const logs: string[] = [];
const log = { info: (_: object, m: string) => logs.push(m), warn: (_: object, m: string) => logs.push(m), error: (_: object, m: string) => logs.push(m) };

describe('InterfaceSupervisor', () => {
  let w: World;
  const advance = (ms: number): void => {
    for (let i = 0; i < ms; i += 50) {
      w.t += 50;
      mock.timers.tick(50);
    }
  };
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    w = new World();
    logs.length = 0;
  });
  afterEach(() => mock.timers.reset());

  it('retries a missing interface at 0.5 s doubling to a 10 s cap', () => {
    assert.equal(BACKOFF_INITIAL_MS, 500);
    assert.equal(BACKOFF_MAX_MS, 10_000);
    w.present = false;
    const s = new InterfaceSupervisor('eth9', OPTS, () => {}, log, w);
    s.start();
    advance(60_000);
    s.stop();
    // attempts at 0, then after 0.5, 1, 2, 4, 8, 10, 10, ... seconds
    const expected = [0];
    for (let t = 0, d = 500; ; d = Math.min(d * 2, 10_000)) {
      t += d;
      if (t > 60_000) break;
      expected.push(t);
    }
    assert.deepEqual(w.attempts, expected);
    assert.equal(s.up, false);
    assert.equal(logs.filter((m) => m === 'capture down, will retry').length, 1, 'one warning per outage');
  });

  it('goes down on a capture error, resumes, and keeps statistics cumulative and monotonic', () => {
    const s = new InterfaceSupervisor('eth9', OPTS, () => {}, log, w);
    s.start();
    assert.equal(s.up, true);
    w.last().current = { received: 100, dropped: 3, ifDropped: 1 };
    assert.deepEqual(s.stats(), { received: 100, droppedKernel: 3, droppedInterface: 1 });

    w.last().current = { received: 120, dropped: 4, ifDropped: 1 };
    w.present = false;
    w.last().fail(new Error('The interface disappeared'));
    assert.equal(s.up, false);
    assert.equal(w.captures[0]!.closed, true);
    assert.deepEqual(s.stats(), { received: 120, droppedKernel: 4, droppedInterface: 1 });

    advance(500 + 1000); // two failed retries: next one is 2 s later
    assert.equal(s.up, false);
    w.present = true;
    advance(1950);
    assert.equal(s.up, false, 'not before the 2 s backoff');
    advance(50);
    assert.equal(s.up, true);
    assert.equal(w.captures.length, 2);
    // pcap_stats restart at 0 on the new handle
    w.last().current = { received: 5, dropped: 0, ifDropped: 0 };
    assert.deepEqual(s.stats(), { received: 125, droppedKernel: 4, droppedInterface: 1 });
    // a handle that can no longer report keeps the last figures
    w.last().current = undefined;
    assert.deepEqual(s.stats(), { received: 125, droppedKernel: 4, droppedInterface: 1 });
    assert.ok(logs.includes('capture resumed'));

    // backoff was reset by the successful open
    w.last().fail(new Error('The interface went down'));
    w.attempts.length = 0;
    advance(500);
    assert.deepEqual(w.attempts, [w.t]);
    s.stop();
  });

  it('retries when opening fails, and stop() cancels the retry and closes the capture', () => {
    w.openError = 'nmt0: That device is not up';
    const s = new InterfaceSupervisor('eth9', OPTS, () => {}, log, w);
    s.start();
    assert.equal(s.up, false);
    w.openError = undefined;
    advance(500);
    assert.equal(s.up, true);
    const c = w.last();
    s.stop();
    assert.equal(c.closed, true);
    assert.equal(s.up, false);
    const n = w.attempts.length;
    advance(30_000);
    assert.equal(w.attempts.length, n, 'no attempt after stop()');
    // a late error from the closed handle changes nothing
    c.fail(new Error('late'));
    assert.equal(s.up, false);
    advance(30_000);
    assert.equal(w.attempts.length, n);
  });
});
