/**
 * Bounds how many handlers run at once. Work beyond the bound waits in a queue of bounded
 * length; when that is full too, the caller leaves the message for the gateway to redeliver
 * (go's approach), which is backpressure without loss. A slot is taken with {@link acquire}
 * or handed to a queued task, and given back with {@link release}: no promise or closure per
 * task on the path where a slot is free.
 *
 * @example
 * ```ts
 * const limit = new Limiter(2, 100);
 * if (limit.acquire()) work().finally(() => limit.release());
 * else limit.enqueue(() => work().finally(() => limit.release()));
 * ```
 */
export class Limiter {
  /** Handlers running now. */
  active = 0;
  /** Closed (the client stopped): nothing new runs, nothing waits. */
  closed = false;
  readonly #queue: Array<{ start: () => void; cancel: (() => void) | undefined; size: number }> = [];
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

  /** Takes a slot if one is free (and the limiter is open); the caller must {@link release} it. */
  acquire(): boolean {
    if (this.closed || this.active >= this.#concurrency) return false;
    this.active++;
    return true;
  }

  /**
   * Queues `start` for the next free slot, which it then holds (and must {@link release});
   * `false` when the queue is full or the limiter closed. `cancel` is called instead if the
   * task is dropped from the queue by {@link close}.
   */
  enqueue(start: () => void, cancel?: () => void, size = 0): boolean {
    if (this.closed || this.#queue.length >= this.#maxQueue || this.#queuedSize + size > this.#maxQueueSize) return false;
    this.#queuedSize += size;
    this.#queue.push({ start, cancel, size });
    return true;
  }

  /** Gives a slot back: the oldest queued task takes it over. */
  release(): void {
    const next = this.#queue.shift();
    if (!next) return void this.active--;
    this.#queuedSize -= next.size;
    next.start();
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
}
