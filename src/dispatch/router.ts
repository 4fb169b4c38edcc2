import { ClientStoppedError, FrameError, HandlerError, type DingTalkStreamError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ackFrame, type Outcome } from '../protocol/acks.js';
import type { ParseResult } from '../protocol/frames.js';
import { Dedup } from './dedup.js';
import { Message, type Registration } from './message.js';
import { decide, dedupKey, isStale, type Verdict } from './policy.js';
import { Scheduler, type AckTarget, type Job, type Limits } from './scheduler.js';
import type { DedupStore } from './store.js';

/** Counters reported by `client.status()`. @example `const { acked, duplicates, stale } = client.status().counters;` */
export interface ClientCounters {
  received: number;
  acked: number;
  /** Redeliveries recognised by their business id (or messageId) and not handed to a handler. */ duplicates: number;
  malformed: number;
  handlerErrors: number;
  handlerTimeouts: number;
  overflow: number;
  unknownTopic: number;
  /** Chatbot messages older than `staleAfterMs`: acked and skipped. */ stale: number;
}
/** The router's settings, from the client's. */
export type RouterSettings = Limits & Record<'staleAfterMs' | 'maxFrameSize' | 'dedupTtlMs' | 'dedupMaxEntries', number>;
/** The counter each verdict adds to (poison and unknown topics are counted before a delivery has a job). */
const COUNTED: Partial<Record<Verdict, keyof ClientCounters>> = { duplicate: 'duplicates', inFlight: 'duplicates', doneElsewhere: 'duplicates', pendingElsewhere: 'duplicates', threw: 'handlerErrors', timedOut: 'handlerTimeouts', overflow: 'overflow', stale: 'stale' };
/** An ack that carries the handler's answer should leave well before the gateway's ~2 s redelivery. */
const SLOW_ACK_MS = 1_500;
/**
 * The dispatch pipeline, for every door (a socket's frames today): route (type/topic) → key → dedup (this process's window, then the shared store) → schedule
 * (sequence, limit, deadline) → handler; at each step the policy (policy.ts) chooses the ack and the dedup effect, and {@link Router.apply} carries them out:
 * the only place an ack is sent.
 */
export class Router {
  readonly counters: ClientCounters = { received: 0, acked: 0, duplicates: 0, malformed: 0, handlerErrors: 0, handlerTimeouts: 0, overflow: 0, unknownTopic: 0, stale: 0 };
  readonly #callbacks = new Map<string, Registration>();
  #events: Registration | undefined;
  readonly #dedup: Dedup;
  readonly #scheduler: Scheduler;
  constructor(
    private readonly settings: RouterSettings,
    store: DedupStore | undefined,
    private readonly logger: Logger,
    private readonly onError: (error: DingTalkStreamError) => void,
  ) {
    this.#dedup = new Dedup(settings.dedupTtlMs, settings.dedupMaxEntries, store);
    this.#scheduler = new Scheduler(settings, (job, verdict, value) => this.apply(job, verdict, value));
  }
  /** The registration of `topic` (`undefined`: the events). */
  get(topic: string | undefined): Registration | undefined {
    return topic === undefined ? this.#events : this.#callbacks.get(topic);
  }
  /** Sets (or with `undefined` removes) the handler of `topic` (`undefined`: the events). */
  set(topic: string | undefined, reg: Registration | undefined): void {
    if (topic === undefined) this.#events = reg;
    else if (reg) this.#callbacks.set(topic, reg);
    else this.#callbacks.delete(topic);
  }
  /** The topics with a handler, and whether events have one. */
  topics(): { callbacks: string[]; events: boolean } {
    return { callbacks: [...this.#callbacks.keys()], events: !!this.#events };
  }
  /** Handlers running and deliveries waiting for a slot. */
  load(): { inFlight: number; queued: number } {
    return { inFlight: this.#scheduler.active, queued: this.#scheduler.queued };
  }
  /** Stops taking work: waiting deliveries are dropped with their keys forgotten, running handlers see their `signal` abort. */
  close(): void {
    this.#scheduler.close(new ClientStoppedError());
  }
  /** Takes work again (the client starts again). */
  open(): void {
    this.#scheduler.open();
  }
  /** A delivery from a door (`size`: its length in characters). Never throws. */
  handle(target: AckTarget, parsed: ParseResult, size: number): void {
    this.counters.received++;
    if (!parsed.ok) {
      this.counters.malformed++;
      const error = new FrameError(parsed.reason, parsed.messageId);
      this.logger.warn(error.message);
      this.onError(error);
      // acked, so that the gateway does not redeliver a poison message forever
      if (parsed.messageId) this.#send(target, parsed.messageId, decide(parsed.type === 'SYSTEM' ? 'SYSTEM' : 'CALLBACK', 'after', 'poison').ack);
      return;
    }
    const { type, headers, data } = parsed.frame;
    if (type === 'SYSTEM') return;
    const reg = this.get(type === 'EVENT' ? undefined : headers.topic);
    if (!reg) {
      this.counters.unknownTopic++;
      this.logger.warn(`no handler for ${headers.topic}: acked 404`);
      return this.#send(target, headers.messageId!, decide(type, 'after', 'unknownTopic').ack);
    }
    const key = dedupKey(parsed.frame, reg.chatbot, reg.ack);
    const job: Job = { target, message: new Message(type, headers.topic, headers.messageId!, headers, data), key, reg, size, own: true, order: undefined, deadline: 0 };
    const seen = this.#dedup.get(key);
    if (typeof seen === 'string') return this.apply(job, 'duplicate', seen);
    if (seen) {
      // a bounded number wait for the first delivery's ack; beyond that a copy goes unacked and comes again
      if (seen.waiters.length < 16) seen.waiters.push((ack) => this.#send(target, headers.messageId!, ack));
      return this.apply(job, 'inFlight');
    }
    if (reg.chatbot && isStale(parsed.frame, this.settings.staleAfterMs)) return this.apply(job, 'stale');
    const store = this.#dedup.store;
    // acked on receipt with no store to ask: the key is remembered in this same call
    if (reg.ack === 'after' || store) this.#dedup.begin(key);
    if (!store) return this.#admit(job);
    // a store shared with other processes: the one that claims the key handles it
    void this.#dedup.claim(key, reg.timeoutMs + 15_000).then((claim) => {
      if (claim.state === 'claimed') return this.#admit(job);
      job.own = false;
      this.apply(job, claim.state === 'done' ? 'doneElsewhere' : 'pendingElsewhere', claim.state === 'done' ? claim.outcome : undefined);
    });
  }
  #admit(job: Job): void {
    const refused = this.#scheduler.submit(job);
    this.apply(job, refused ?? 'received');
    const { onBusy } = job.reg;
    if (refused === 'busy' && onBusy) void Promise.resolve().then(() => onBusy(job.message)).catch((err: unknown) => this.logger.error(`onBusy failed for ${job.message.messageId}`, err));
  }
  /** Carries out the policy's decision for `job`: what is logged and reported, the dedup effect, the ack. */
  apply(job: Job, verdict: Verdict, value?: unknown): void {
    const { message, reg } = job;
    const { topic, messageId } = message;
    const decision = decide(message.type, reg.ack, verdict, value, this.settings.maxFrameSize);
    const counter = COUNTED[verdict];
    if (counter) this.counters[counter]++;
    if (verdict === 'threw' || decision.invalid) {
      if (decision.invalid) this.counters.handlerErrors++;
      const error = new HandlerError('HANDLER_FAILED', topic, messageId, decision.invalid ? new TypeError(`its answer was not sent: ${decision.invalid}`) : value);
      // with the stack (of what it threw, or of why its answer was not sent) and what comes next: after an
      // ack on receipt, nothing (this line and the `error` event are all that is left); after its handler, again
      this.logger.error(error.message + (reg.ack === 'immediate' ? " (acked on receipt: only registerChatbotHandler's onError can tell the user)" : ` (acked ${message.type === 'EVENT' ? 'LATER' : 500}: the gateway redelivers it and it runs again)`), error.cause);
      this.onError(error);
    } else if (verdict === 'timedOut') {
      const error = new HandlerError('HANDLER_TIMEOUT', topic, messageId);
      message.abort(error);
      this.logger.warn(error.message);
      this.onError(error);
    } else if (verdict === 'busy') this.logger.warn(`${messageId} refused: its sequence is busy`);
    else if (verdict === 'overflow') this.logger.warn(`queue full: ${messageId} left for redelivery`);
    else if (verdict === 'stale') this.logger.debug(`stale chatbot message ${messageId}: acked, not handled`);
    else if (verdict !== 'received' && verdict !== 'handled' && verdict !== 'stopped') this.logger.debug(`duplicate ${messageId} (${verdict}): not handled again`);
    else if (verdict === 'handled' && message.type === 'CALLBACK' && job.deadline && reg.ack === 'after') {
      const took = performance.now() - job.deadline + reg.timeoutMs;
      if (took > SLOW_ACK_MS) this.logger.warn(`${topic} handler took ${Math.round(took)} ms: answer in under 2 s (the gateway redelivers), update the card later`);
    }
    this.#dedup.settle(job.key, decision.ack, decision.dedup, job.own);
    this.#send(job.target, messageId, decision.ack);
  }
  #send(target: AckTarget, messageId: string, ack: Outcome | undefined): void {
    // a connection that is gone sends nothing: the gateway redelivers
    if (ack !== undefined && target.send(ackFrame(messageId, ack))) this.counters.acked++;
  }
}
