import type { Message, Registration } from './message.js';
import type { Verdict } from './policy.js';

/** Where a delivery's ack goes: the connection it came in on. */
export interface AckTarget {
  send(text: string): boolean;
}
/**
 * One delivery on its way through the pipeline, with the bookkeeping kept off the handler's message: `size` (the frame's length, against `maxQueueSize`), `own`
 * (this process holds the key's claim in the shared store), `order` (its sequence key while it holds or waits for its place there), `deadline` (when an awaited
 * handler's time is up; 0: not awaited).
 */
export interface Job {
  readonly target: AckTarget;
  readonly message: Message;
  readonly key: string;
  readonly reg: Registration;
  readonly size: number;
  own: boolean;
  order: string | undefined;
  deadline: number;
}
/** Bounds of {@link Scheduler}. */
export type Limits = Record<'maxConcurrency' | 'maxQueue' | 'maxQueueSize', number>;
/**
 * Runs handlers: one at a time per sequence key (a conversation's messages in order; waiting there holds no slot), at most `maxConcurrency` at once, at most
 * `maxQueue` frames (and `maxQueueSize` characters) waiting for a slot, each awaited until its deadline. Every job ends exactly once in `finish`, and its slot
 * is given back in a `finally`, whatever `finish` does.
 */
export class Scheduler {
  /** Handlers running now. */ active = 0;
  #closed = false;
  readonly #waiting: Job[] = [];
  #waitingSize = 0;
  /** Sequence keys with a job running, each with the jobs queued behind it. */ readonly #sequences = new Map<string, Job[]>();
  readonly #running = new Set<Job>();
  /** Jobs that got a slot in this turn: started together in one microtask, after the socket read's acks went out. */ #ready: Job[] = [];
  /** One timer for every deadline: armed at the earliest, it times out what is due and re-arms. */ #sweep: ReturnType<typeof setTimeout> | undefined;
  #sweepAt = Infinity;
  constructor(
    private readonly limits: Limits,
    private readonly finish: (job: Job, verdict: Verdict, value?: unknown) => void,
  ) {}
  get queued(): number {
    return this.#waiting.length;
  }
  /** Admits a job: `undefined` when it runs or waits for a slot, else why not (nothing was started). */
  submit(job: Job): 'busy' | 'overflow' | 'stopped' | undefined {
    if (this.#closed) return 'stopped';
    const order = job.reg.sequential?.(job.message);
    if (order !== undefined) {
      const queue = this.#sequences.get(order);
      job.order = order;
      if (queue) return queue.length < job.reg.maxWaiting ? void queue.push(job) : ((job.order = undefined), 'busy');
      this.#sequences.set(order, []);
    }
    if (this.#admit(job)) return;
    this.#next(job);
    return 'overflow';
  }
  /** Stops for good (until {@link open}): waiting jobs end `stopped`, running ones are aborted and end `stopped` now. */
  close(reason: unknown): void {
    this.#closed = true;
    this.#waitingSize = 0;
    const dropped = [...this.#waiting.splice(0), ...[...this.#sequences.values()].flat(), ...this.#running];
    this.#sequences.clear();
    for (const job of dropped) {
      job.message.abort(reason);
      this.#end(job, 'stopped');
    }
    clearTimeout(this.#sweep);
    this.#sweepAt = Infinity;
  }
  open(): void {
    this.#closed = false;
  }
  /** A slot now (started in this turn's batch), or a place in the bounded queue. */
  #admit(job: Job): boolean {
    if (this.active < this.limits.maxConcurrency) {
      this.active++;
      if (!this.#ready.length) queueMicrotask(this.#startReady);
      this.#ready.push(job);
      return true;
    }
    if (this.#waiting.length >= this.limits.maxQueue || this.#waitingSize + job.size > this.limits.maxQueueSize) return false;
    this.#waitingSize += job.size;
    this.#waiting.push(job);
    return true;
  }
  readonly #startReady = (): void => {
    const ready = this.#ready;
    this.#ready = [];
    for (const job of ready) this.#run(job);
  };
  #run(job: Job): void {
    this.#running.add(job);
    if (this.#closed) return this.#end(job, 'stopped'); // stopped while it waited for the microtask
    try {
      const value = job.reg.handler(job.message);
      // only a promise needs a deadline: a plain value costs no sweep entry
      if (typeof (value as PromiseLike<unknown> | null)?.then !== 'function') return this.#end(job, 'handled', value);
      job.deadline = performance.now() + job.reg.timeoutMs;
      if (job.deadline < this.#sweepAt) this.#arm(job.deadline);
      (value as PromiseLike<unknown>).then((v) => this.#end(job, 'handled', v), (err: unknown) => this.#end(job, 'threw', err));
    } catch (err) {
      this.#end(job, 'threw', err);
    }
  }
  /** A job's one end: `finish` decides its ack, and its slot is given back whatever happens. */
  #end(job: Job, verdict: Verdict, value?: unknown): void {
    const running = this.#running.delete(job);
    if (!running && verdict !== 'stopped') return; // it timed out or was stopped before
    try {
      this.finish(job, verdict, value);
    } finally {
      // a timed-out handler was just told to stop: its slot is given back once its abort
      // listeners have run, so the bound holds for handlers that honour their signal
      if (verdict === 'timedOut') queueMicrotask(() => this.#release(job));
      else if (running) this.#release(job);
    }
  }
  /** Gives a job's slot to the oldest waiting job, and moves its sequence on. */
  #release(job: Job): void {
    const next = this.#waiting.shift();
    if (next) {
      this.#waitingSize -= next.size;
      if (!this.#ready.length) queueMicrotask(this.#startReady);
      this.#ready.push(next);
    } else this.active--;
    this.#next(job);
  }
  /** The job's sequence moves on: the next job of its key gets a slot or a place, or overflows. */
  #next(job: Job): void {
    const order = job.order;
    if (order === undefined) return;
    job.order = undefined;
    const queue = this.#sequences.get(order);
    const following = queue?.shift();
    if (!following) return void this.#sequences.delete(order);
    if (!this.#admit(following)) {
      this.finish(following, 'overflow');
      this.#next(following);
    }
  }
  #arm(at: number): void {
    clearTimeout(this.#sweep);
    this.#sweepAt = at;
    this.#sweep = setTimeout(this.#sweepNow, Math.max(0, at - performance.now()));
  }
  readonly #sweepNow = (): void => {
    this.#sweep = undefined;
    this.#sweepAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const job of this.#running) {
      if (!job.deadline) continue;
      if (job.deadline <= now) this.#end(job, 'timedOut');
      else if (job.deadline < next) next = job.deadline;
    }
    if (next !== Infinity) this.#arm(next);
  };
}
