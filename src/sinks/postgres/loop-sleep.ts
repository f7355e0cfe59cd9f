/**
 * How a writer's loop sleeps: until a timeout, or until it is woken. Two kinds of sleep, because
 * new rows must wake a loop that waits for work but never cut a retry backoff short (that would
 * hammer a database that is down); close and abort wake either, and a wake that comes while the
 * loop is busy makes its next sleep return at once, so it is never lost.
 */
export class LoopSleep {
  private wake: (() => void) | null = null;
  private idle = false;
  private pending = false;

  /** Sleeps `ms` or until woken; `idle`: waiting for work (wakeIdle() ends it), else a backoff. */
  sleep(ms: number, idle: boolean): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    this.idle = idle;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        this.idle = false;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.idle = false;
        resolve();
      };
    });
  }

  /** Ends any sleep now, or the next one at once. */
  wakeNow(): void {
    const w = this.wake;
    this.wake = null;
    if (w === null) this.pending = true;
    else w();
  }

  /** Ends a sleep for lack of work; nothing otherwise. */
  wakeIdle(): void {
    if (this.idle) this.wakeNow();
  }
}
