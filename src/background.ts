/**
 * Ordered queue for deferred work (access bookkeeping, Hebbian updates, extraction): the caller's
 * turn never waits for it, and a failure is contained and counted instead of reaching the host.
 * It holds at most `capacity` tasks: past that, `enqueue` refuses, so a producer that outruns the
 * queue cannot grow it without bound; the caller decides what a refusal means.
 */
export class BackgroundQueue {
  private tail: Promise<void> = Promise.resolve();
  private pendingCount = 0;
  failures = 0;
  lastError: Error | null = null;

  constructor(
    private readonly onError: (error: Error, label: string) => void = () => undefined,
    private readonly capacity = Number.POSITIVE_INFINITY,
  ) {}

  get pending(): number {
    return this.pendingCount;
  }

  /** Queues `task`; false (and nothing queued) when the queue is full. */
  enqueue(label: string, task: () => Promise<void>): boolean {
    if (this.pendingCount >= this.capacity) return false;
    this.pendingCount++;
    this.tail = this.tail
      .then(task)
      .catch((err: unknown) => this.contain(err, label))
      .finally(() => {
        this.pendingCount--;
      });
    return true;
  }

  /** Counts and reports a failure of deferred work, also one that ran outside the queue. */
  contain(err: unknown, label: string): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.failures++;
    this.lastError = error;
    try {
      this.onError(error, label);
    } catch {
      // A throwing listener must not reject the chain: every later task would be skipped.
    }
  }

  /** Resolves once everything queued so far has run. */
  flush(): Promise<void> {
    return this.tail;
  }
}

/** Runs tasks one at a time, in call order; a failed task rejects its own caller and does not stop the next. */
export class Lane {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * Shared / exclusive access in arrival order: shared holders overlap each other, an exclusive
 * holder runs alone, and nobody overtakes a waiter (so neither side starves).
 */
export class SharedExclusive {
  private shared = 0;
  private exclusive = false;
  private readonly waiting: Array<{ exclusive: boolean; start: () => void }> = [];

  runShared<T>(task: () => Promise<T>): Promise<T> {
    return this.enter(false, task);
  }

  runExclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.enter(true, task);
  }

  private async enter<T>(exclusive: boolean, task: () => Promise<T>): Promise<T> {
    if (this.waiting.length > 0 || this.exclusive || (exclusive && this.shared > 0)) {
      await new Promise<void>((start) => this.waiting.push({ exclusive, start }));
    } else if (exclusive) this.exclusive = true;
    else this.shared++;
    try {
      return await task();
    } finally {
      if (exclusive) this.exclusive = false;
      else this.shared--;
      this.admit();
    }
  }

  /** Lets the waiters at the head in: one exclusive, or every shared one up to the next exclusive. */
  private admit(): void {
    while (this.waiting.length > 0 && !this.exclusive) {
      const next = this.waiting[0]!;
      if (next.exclusive && this.shared > 0) return;
      this.waiting.shift();
      if (next.exclusive) this.exclusive = true;
      else this.shared++;
      next.start();
    }
  }
}
