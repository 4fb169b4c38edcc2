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
  readonly #queue: Array<() => void> = [];
  readonly #concurrency: number;
  readonly #maxQueue: number;
  constructor(concurrency: number, maxQueue: number) {
    this.#concurrency = concurrency;
    this.#maxQueue = maxQueue;
  }

  /** Starts `task` now or when a slot frees; `false` when even the queue is full. */
  tryRun(task: () => Promise<void>): boolean {
    if (this.active < this.#concurrency) {
      this.#start(task);
      return true;
    }
    if (this.#queue.length >= this.#maxQueue) return false;
    this.#queue.push(() => this.#start(task));
    return true;
  }

  get queued(): number {
    return this.#queue.length;
  }

  #start(task: () => Promise<void>): void {
    this.active++;
    const done = () => {
      this.active--;
      this.#queue.shift()?.();
    };
    task().then(done, done);
  }
}
