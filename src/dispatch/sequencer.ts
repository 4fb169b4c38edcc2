/**
 * Runs tasks one at a time per key, in arrival order (messages of one conversation), while
 * tasks of different keys run side by side. It sits in front of the concurrency limiter: a
 * task waiting for its key holds no slot. Each key's queue is bounded; a task beyond the
 * bound is refused so the caller can tell the user instead of piling up work.
 *
 * @example
 * ```ts
 * const seq = new Sequencer();
 * seq.run('cid-1', 10, async () => answer(first));
 * seq.run('cid-1', 10, async () => answer(second)); // starts when the first one is done
 * ```
 */
export class Sequencer {
  /** Keys with a task running, each with the tasks waiting behind it. */
  readonly #busy = new Map<string, Array<() => void>>();

  /** Runs `task` after the earlier tasks of `key`; `false` when `limit` tasks already wait. */
  run(key: string, limit: number, task: () => Promise<void>): boolean {
    const waiting = this.#busy.get(key);
    if (!waiting) {
      this.#busy.set(key, []);
      this.#start(key, task);
    } else if (waiting.length < limit) waiting.push(() => this.#start(key, task));
    else return false;
    return true;
  }

  #start(key: string, task: () => Promise<void>): void {
    const next = () => {
      const waiting = this.#busy.get(key)!;
      const following = waiting.shift();
      if (following) following();
      else this.#busy.delete(key);
    };
    task().then(next, next);
  }
}
