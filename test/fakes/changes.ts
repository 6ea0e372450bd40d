/**
 * Waiting for something to happen without sleeping: whoever changes state calls `notify()`, and
 * `until(check)` re-checks at each notification. A test built on it takes as long as the events
 * it waits for, on a fast machine or a slow one.
 */
export class Changes {
  private waiters: Array<() => void> = [];

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Resolves once `check()` holds, checked now and after every notification. The process is kept
   * alive meanwhile: what is awaited may hang on an unref'd timer (the poller's pollSoon).
   */
  async until(check: () => boolean): Promise<void> {
    if (check()) return;
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    try {
      while (!check()) await new Promise<void>((resolve) => this.waiters.push(resolve));
    } finally {
      clearInterval(keepAlive);
    }
  }
}
