/**
 * Bounds how many handlers run at once. Work beyond the bound waits in a queue of bounded
 * length; when that is full too, `tryRun` refuses and the caller leaves the message for the
 * gateway to redeliver (go's approach), which is backpressure without loss.
 *
 * @example
 * ```ts
 * const limit = new Limiter(2, 100);
 * limit.tryRun(async () => { await work(); });
 * ```
 */
export class Limiter {
  /** Handlers running now. */
  active = 0;
  /** Closed (the client stopped): nothing new runs, nothing waits. */
  closed = false;
  readonly #queue: Array<{ start: () => void; cancel?: () => void; size: number }> = [];
  /** The summed `size` of the waiting tasks (their frames' length). */
  #queuedSize = 0;
  readonly #maxQueueSize: number;
  readonly #concurrency: number;
  readonly #maxQueue: number;
  /** At most `concurrency` running; at most `maxQueue` tasks, and `maxQueueSize` of their summed sizes, waiting. */
  constructor(concurrency: number, maxQueue: number, maxQueueSize = Infinity) {
    this.#concurrency = concurrency;
    this.#maxQueue = maxQueue;
    this.#maxQueueSize = maxQueueSize;
  }

  /**
   * Starts `task` now or when a slot frees; `false` when even the queue is full or the limiter
   * is closed. `cancel` is called instead if the task is dropped from the queue by {@link close}.
   */
  tryRun(task: () => Promise<void>, cancel?: () => void, size = 0): boolean {
    if (this.closed) return false;
    if (this.active < this.#concurrency) {
      this.#start(task);
      return true;
    }
    if (this.#queue.length >= this.#maxQueue || this.#queuedSize + size > this.#maxQueueSize) return false;
    this.#queuedSize += size;
    this.#queue.push({ start: () => this.#start(task), cancel, size });
    return true;
  }

  /** Drops every waiting task (each `cancel` is called) and refuses new ones until `closed` is reset. */
  close(): void {
    this.closed = true;
    this.#queuedSize = 0;
    for (const waiting of this.#queue.splice(0)) waiting.cancel?.();
  }

  get queued(): number {
    return this.#queue.length;
  }

  #start(task: () => Promise<void>): void {
    this.active++;
    const done = () => {
      this.active--;
      const next = this.#queue.shift();
      if (!next) return;
      this.#queuedSize -= next.size;
      next.start();
    };
    task().then(done, done);
  }
}
