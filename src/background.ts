/**
 * Ordered queue for deferred work (access bookkeeping, Hebbian updates, extraction): the caller's
 * turn never waits for it, and a failure is contained and counted instead of reaching the host.
 */
export class BackgroundQueue {
  private tail: Promise<void> = Promise.resolve();
  private pendingCount = 0;
  failures = 0;
  lastError: Error | null = null;

  constructor(private readonly onError: (error: Error, label: string) => void = () => undefined) {}

  get pending(): number {
    return this.pendingCount;
  }

  enqueue(label: string, task: () => Promise<void>): void {
    this.pendingCount++;
    this.tail = this.tail
      .then(task)
      .catch((err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.failures++;
        this.lastError = error;
        this.onError(error, label);
      })
      .finally(() => {
        this.pendingCount--;
      });
  }

  /** Resolves once everything queued so far has run. */
  flush(): Promise<void> {
    return this.tail;
  }
}
