import { ClientStoppedError, FrameError, HandlerError, type DingTalkStreamError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ackFrame, callbackOutcome, eventOutcome, outcome, type EventStatus, type Outcome } from '../protocol/acks.js';
import { parseFrame, type Frame } from '../protocol/frames.js';
import { TOPIC_ROBOT, TOPIC_ROBOT_DELEGATE } from '../protocol/topics.js';
import { payloadKey, type DedupWindow } from './dedup.js';
import { Sequencer } from './sequencer.js';
import type { DedupStore } from './store.js';
import type { Limiter } from './limiter.js';

/**
 * A message handed to a handler: the frame's headers and its `data`, already parsed.
 *
 * @example
 * ```ts
 * client.registerCallbackHandler(TOPIC_ROBOT, async (msg: StreamMessage) => {
 *   console.log(msg.messageId, msg.topic, msg.data);
 * });
 * ```
 */
export interface StreamMessage<T = unknown> {
  type: 'EVENT' | 'CALLBACK';
  topic: string;
  messageId: string;
  headers: Readonly<Record<string, string>>;
  data: T;
  /**
   * Aborted when the handler's time is up (`handlerTimeoutMs`): the message has been acked
   * by policy and its concurrency slot given to others, so stop working on it.
   */
  readonly signal: AbortSignal;
}

/**
 * Handles one CALLBACK; what it returns (JSON-serialisable) is sent back as the ack's
 * `response` (card callbacks and graph API calls use it; chatbot messages ignore it).
 *
 * @example
 * ```ts
 * const onCard: CallbackHandler = async (msg) => ({ cardData: { cardParamMap: { clicked: 'yes' } } });
 * ```
 */
export type CallbackHandler<T = unknown> = (message: StreamMessage<T>) => unknown;

/**
 * Handles one EVENT. Return `'LATER'` (or throw) to have the gateway redeliver it;
 * anything else acks `SUCCESS`.
 *
 * @example
 * ```ts
 * const onEvent: EventHandler = async (event) => (event.headers.eventType === 'user_add_org' ? 'SUCCESS' : 'LATER');
 * ```
 */
export type EventHandler<T = unknown> = (event: StreamMessage<T>) => EventResult | Promise<EventResult>;

/**
 * What an EVENT handler may return; anything but `'LATER'` (or `{ status: 'LATER' }`) acks SUCCESS.
 *
 * @example
 * ```ts
 * const r: EventResult = { status: 'LATER', message: 'database down' };
 * ```
 */
export type EventResult = EventStatus | void | null | undefined | { status: EventStatus; message?: string };

/**
 * When a message is acked: `'immediate'`ly on receipt, before the handler runs, or `'after'`
 * the handler returns, with its result in the ack.
 *
 * The default depends on the topic, because the gateway redelivers anything not acked within
 * ~2 s under a new messageId (protocol.md §10.1):
 * - chatbot messages (`TOPIC_ROBOT`, `TOPIC_ROBOT_DELEGATE`): `'immediate'`, since the gateway
 *   ignores their response. `'after'` is possible, but a handler slower than ~2 s then sees
 *   redeliveries (the two-layer dedup still runs it once per `msgId`).
 * - card callbacks, graph API calls and other callbacks: `'after'`, since the ack carries the
 *   handler's answer; a handler slower than 1.5 s is logged as a warning.
 * - events: `'after'`, so a handler can answer `LATER`.
 *
 * @example
 * ```ts
 * client.registerCallbackHandler(TOPIC_ROBOT, handler, { ack: 'after' }); // opt out of ack-on-receipt
 * ```
 */
export type AckMode = 'after' | 'immediate';

/**
 * Per-registration options.
 *
 * @example
 * ```ts
 * const opts: HandlerOptions = { ack: 'immediate', timeoutMs: 120_000 };
 * ```
 */
export interface HandlerOptions {
  /** When to ack (default by topic: see {@link AckMode}). */
  ack?: AckMode;
  /** How long to wait for the handler before acking anyway (default: the client's `handlerTimeoutMs`). */
  timeoutMs?: number;
  /** Replace the topic's handler; without it, registering a second handler for a topic is a `ConfigError`. */
  replace?: boolean;
  /**
   * Handle messages with the same key one at a time, in arrival order (e.g. the chatbot
   * `conversationId`); other keys run side by side within `maxConcurrency`. `undefined` from
   * the function: no ordering for that message. Per process: see docs/scaling.md.
   */
  sequential?: (message: StreamMessage) => string | undefined;
  /** Messages that may wait behind a busy key (default 10); beyond it `onBusy` is called instead of the handler. */
  maxWaiting?: number;
  /** Told about a message refused because its key's queue was full (it was acked as the topic's policy says, and not handled). */
  onBusy?: (message: StreamMessage) => unknown;
}

interface Registration extends HandlerOptions {
  handler: (message: StreamMessage) => unknown;
  ack: AckMode;
  timeoutMs: number;
  /** A chatbot topic: business id `data.msgId`, stale check on `createAt`. */
  chatbot: boolean;
}

/** A connection as the router sees it: somewhere to send the ack. */
export interface AckTarget {
  send(text: string): boolean;
}

/**
 * Counters reported by `client.status()`.
 *
 * @example
 * ```ts
 * const { acked, duplicates, stale } = client.status().counters;
 * ```
 */
export interface RouterCounters {
  received: number;
  acked: number;
  /** Redeliveries recognised by messageId or business id and not handed to a handler. */
  duplicates: number;
  malformed: number;
  handlerErrors: number;
  handlerTimeouts: number;
  overflow: number;
  unknownTopic: number;
  /** Chatbot messages older than `staleAfterMs`: acked and skipped. */
  stale: number;
}

/** What the router needs from its owner. */
export interface RouterHooks {
  onDisconnect(target: AckTarget): void;
  onError(error: DingTalkStreamError): void;
}

/** Router knobs from the client's settings. */
export interface RouterSettings {
  handlerTimeoutMs: number;
  staleAfterMs: number;
  dedupTtlMs: number;
  maxFrameSize: number;
}

const TIMEOUT = Symbol('timeout');
/** An ack that carries the handler's answer should leave well before the gateway's ~2 s redelivery. */
const SLOW_ACK_MS = 1_500;
const isChatbotTopic = (topic: string | undefined) => topic === TOPIC_ROBOT || topic === TOPIC_ROBOT_DELEGATE;

/** The message a handler gets; `abort` (not part of {@link StreamMessage}) ends its `signal`. */
class Message implements StreamMessage {
  #controller: AbortController | undefined; // created only if the handler reads `signal`
  /** While its handler's promise is awaited: when the deadline sweep gives up on it, and how. */
  deadline = 0;
  expire: ((value: typeof TIMEOUT) => void) | undefined;
  constructor(
    readonly type: 'EVENT' | 'CALLBACK',
    readonly topic: string,
    readonly messageId: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly data: unknown,
  ) {}
  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }
  abort(reason: unknown): void {
    this.#controller?.abort(reason);
  }
}

/**
 * The path of a frame: parse → validate → route (type/topic) → dedup (messageId, then the
 * business id) → ack now (chatbot) → limit → handler → ack after (events, card callbacks,
 * graph calls) on the socket the frame came in on. Acks are built here from the handler's
 * result, never by user code, so every delivery is acked exactly once.
 */
export class Router {
  readonly callbacks = new Map<string, Registration>();
  event: Registration | undefined;
  readonly counters: RouterCounters = { received: 0, acked: 0, duplicates: 0, malformed: 0, handlerErrors: 0, handlerTimeouts: 0, overflow: 0, unknownTopic: 0, stale: 0 };

  readonly #dedup: DedupWindow;
  readonly #store: DedupStore | undefined;
  readonly #limiter: Limiter;
  readonly #sequencer = new Sequencer();
  /** Messages whose handler is running, so that stopping can abort them and the sweep can time them out. */
  readonly #running = new Set<Message>();
  /**
   * One timer for every handler deadline (none per message): armed at the earliest deadline
   * when a handler returns a promise, it times out what is due and re-arms for the next. With
   * one `timeoutMs` deadlines come in order, so a flood arms it once per `timeoutMs`.
   */
  #sweep: ReturnType<typeof setTimeout> | undefined;
  #sweepAt = Infinity;
  #closed = false;
  readonly #logger: Logger;
  readonly #hooks: RouterHooks;
  readonly #settings: RouterSettings;
  /**
   * `dedup` is this process's window (in-flight duplicates wait on it); `store`, when given,
   * is shared with other processes and claimed before a handler runs.
   */
  constructor(dedup: DedupWindow, store: DedupStore | undefined, limiter: Limiter, logger: Logger, hooks: RouterHooks, settings: RouterSettings) {
    this.#dedup = dedup;
    this.#store = store;
    this.#limiter = limiter;
    this.#logger = logger;
    this.#hooks = hooks;
    this.#settings = settings;
  }

  register(topic: string | undefined, handler: (message: StreamMessage) => unknown, options: HandlerOptions = {}): void {
    const chatbot = isChatbotTopic(topic);
    const reg: Registration = { ...options, handler, ack: options.ack ?? (chatbot ? 'immediate' : 'after'), timeoutMs: options.timeoutMs ?? this.#settings.handlerTimeoutMs, chatbot };
    if (topic === undefined) this.event = reg;
    else this.callbacks.set(topic, reg);
  }

  unregister(topic: string | undefined): void {
    if (topic === undefined) this.event = undefined;
    else this.callbacks.delete(topic);
  }

  /** Entry point for every downstream frame. Never throws. */
  handle(target: AckTarget, text: unknown): void {
    this.counters.received++;
    // a frame larger than any DingTalk sends is refused before it is parsed (a hostile gateway)
    const size = typeof text === 'string' ? text.length : 0;
    const parsed = size > this.#settings.maxFrameSize ? { ok: false as const, reason: `frame of ${size} characters is over maxFrameSize` } : parseFrame(text);
    if (!parsed.ok) {
      this.counters.malformed++;
      const error = new FrameError(parsed.reason, parsed.messageId);
      this.#logger.warn(error.message);
      this.#hooks.onError(error);
      // ack a poison message (anything but SYSTEM) so the gateway does not redeliver it forever
      if (parsed.messageId && parsed.type !== 'SYSTEM') this.#send(target, parsed.messageId, outcome(400, 'bad frame', '{}'));
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'SYSTEM') return this.#system(target, frame);
    const reg = frame.type === 'EVENT' ? this.event : this.callbacks.get(frame.headers.topic);
    const messageId = frame.headers.messageId as string;
    if (!reg) {
      this.counters.unknownTopic++;
      this.#logger.warn(`no handler for ${frame.headers.topic}: acked 404`);
      this.#send(target, messageId, outcome(404, 'no handler', '{}'));
      return;
    }
    // the business id: what a redelivery under a new messageId keeps (see dedup.ts)
    let key: string | undefined;
    let createAt: unknown;
    if (frame.type === 'EVENT') key = frame.headers.eventId && `evt:${frame.headers.eventId}`;
    else if (reg.chatbot) {
      const data = frame.data as { msgId?: unknown; createAt?: unknown } | null;
      key = typeof data?.msgId === 'string' && data.msgId ? `msg:${data.msgId}` : undefined;
      createAt = data?.createAt;
    } else if (reg.ack === 'after') key = payloadKey(frame.headers.topic, frame.rawData);
    const seen = this.#dedup.get(messageId) ?? (key ? this.#dedup.get(key) : undefined);
    if (seen) {
      this.counters.duplicates++;
      this.#logger.debug(`duplicate ${messageId}: not handled again`);
      // a bounded number wait for the outcome; beyond that a copy goes unacked and comes again
      if (seen.waiters) seen.waiters.length < 16 && seen.waiters.push((result) => result !== undefined && this.#send(target, messageId, result));
      else this.#send(target, messageId, seen.outcome!);
      return;
    }
    const stale = this.#settings.staleAfterMs;
    if (stale > 0 && typeof createAt === 'number' && Date.now() - createAt > stale) {
      this.counters.stale++;
      this.#logger.debug(`stale chatbot message ${messageId}: acked, not handled`);
      return this.#finish(target, messageId, key, callbackOutcome(null), true);
    }
    const entry = this.#dedup.begin(messageId);
    if (key) this.#dedup.begin(key, entry);
    const message = new Message(frame.type as 'EVENT' | 'CALLBACK', frame.headers.topic, messageId, frame.headers, frame.data);
    const store = this.#store;
    if (!store) return this.#dispatch(target, message, key, reg, size);
    // a store shared with other processes: the one that claims the business id handles it
    Promise.resolve(store.claim(key ?? messageId, reg.timeoutMs + 15_000)).then(
      (claim) => {
        if (claim.state === 'claimed') return this.#dispatch(target, message, key, reg, size);
        this.counters.duplicates++;
        this.#logger.debug(`duplicate ${messageId}: ${claim.state} elsewhere`);
        // pending elsewhere: a chatbot message is acked as on receipt; an event is asked for
        // later (a redelivery then finds the outcome); a callback's answer is not known yet
        const result = claim.state === 'done' ? claim.outcome : reg.ack === 'immediate' ? callbackOutcome(null) : message.type === 'EVENT' ? eventOutcome('LATER') : undefined;
        this.#finish(target, messageId, key, result, claim.state === 'done', false);
      },
      () => this.#dispatch(target, message, key, reg, size), // a store must not reject; if it does, this process decides alone
    );
  }

  /**
   * Stops taking work: queued and sequenced messages are dropped with their dedup keys
   * forgotten (a redelivery is handled afresh; chatbot messages were acked on receipt and are
   * lost to this run), and handlers still running see their `signal` abort.
   */
  close(): void {
    this.#closed = true;
    this.#limiter.close();
    for (const message of this.#running) message.abort(new ClientStoppedError());
    this.#idle();
  }

  /** Takes work again (after `close`, when the client starts again). */
  open(): void {
    this.#closed = false;
    this.#limiter.closed = false;
  }

  /** Resolves with the handler's value, or with TIMEOUT once the sweep finds its deadline passed. */
  #within(value: PromiseLike<unknown>, message: Message, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const deadline = (message.deadline = performance.now() + timeoutMs);
      message.expire = resolve;
      if (deadline < this.#sweepAt) this.#arm(deadline);
      value.then(resolve, reject);
    });
  }

  #arm(at: number): void {
    clearTimeout(this.#sweep);
    this.#sweepAt = at;
    this.#sweep = setTimeout(() => this.#sweepNow(), Math.max(0, at - performance.now()));
  }

  #sweepNow(): void {
    this.#sweep = undefined;
    this.#sweepAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const message of this.#running) {
      if (!message.expire) continue;
      if (message.deadline <= now) {
        message.expire(TIMEOUT);
        message.expire = undefined;
      } else if (message.deadline < next) next = message.deadline;
    }
    if (next !== Infinity) this.#arm(next);
  }

  /** After stop, once no handler is awaited, the sweep timer goes: it must not keep a process alive. */
  #idle(): void {
    if (!this.#closed) return;
    for (const message of this.#running) if (message.expire) return;
    clearTimeout(this.#sweep);
    this.#sweep = undefined;
    this.#sweepAt = Infinity;
  }

  /** Hands a message to the limiter (behind its key's queue when sequential) and acks on receipt where the policy says so. */
  #dispatch(target: AckTarget, message: Message, key: string | undefined, reg: Registration, size: number): void {
    const { messageId } = message;
    const run = () => this.#run(target, message, key, reg);
    const drop = () => this.#finish(undefined, messageId, key, undefined, false);
    const order = reg.sequential?.(message);
    const accepted =
      order === undefined
        ? this.#limiter.tryRun(run, drop, size)
        : this.#sequencer.run(order, reg.maxWaiting ?? 10, () => new Promise<void>((done) => {
            // dropped by stop() while queued: the key's queue must move on, or it stays busy for good
            const dropped = () => (drop(), done());
            if (this.#limiter.closed) return dropped();
            if (!this.#limiter.tryRun(() => run().finally(done), dropped, size)) {
              this.#overflow(target, message, key);
              done();
            }
          }));
    if (!accepted) {
      if (order === undefined) return this.#overflow(target, message, key);
      // its conversation's queue is full: acked by policy (a chatbot message: on receipt), not handled
      this.#logger.warn(`${messageId} refused: ${order} is busy`);
      this.#finish(target, messageId, key, message.type === 'EVENT' ? eventOutcome('LATER') : reg.ack === 'immediate' ? callbackOutcome(null) : undefined, reg.ack === 'immediate');
      void Promise.resolve().then(() => reg.onBusy?.(message)).catch((err: unknown) => this.#logger.error(`onBusy failed for ${messageId}`, err));
      return;
    }
    if (reg.ack === 'immediate') this.#finish(target, messageId, key, message.type === 'EVENT' ? eventOutcome('SUCCESS') : callbackOutcome(null), true);
  }

  /** No slot and no room in the queue: an event is answered LATER, a callback left unacked, and the gateway redelivers both. */
  #overflow(target: AckTarget, message: Message, key: string | undefined): void {
    this.counters.overflow++;
    this.#logger.warn(`queue full: ${message.messageId} left for redelivery`);
    this.#finish(target, message.messageId, key, message.type === 'EVENT' ? eventOutcome('LATER') : undefined, false);
  }

  #system(target: AckTarget, frame: Frame): void {
    const { topic, messageId } = frame.headers;
    // ping: the data echoed verbatim; anything else acked the same way
    if (messageId) this.#send(target, messageId, outcome(200, 'OK', frame.rawData));
    if (topic === 'disconnect') {
      const reason = (frame.data as { reason?: unknown } | null)?.reason;
      this.#logger.info(`gateway asked to reconnect${typeof reason === 'string' ? ` (${reason})` : ''}`);
      this.#hooks.onDisconnect(target);
    } else if (topic !== 'ping') {
      this.#logger.debug(`SYSTEM ${topic}`);
    }
  }

  async #run(target: AckTarget, message: Message, key: string | undefined, reg: Registration): Promise<void> {
    const { messageId } = message;
    this.#running.add(message);
    let result: Outcome;
    let remember = true;
    const started = performance.now();
    try {
      await undefined; // the handler never runs inside handle(): an immediate ack goes out first
      let value = reg.handler(message);
      // only a promise needs a deadline: a plain value costs no sweep entry
      if (typeof (value as PromiseLike<unknown> | null)?.then === 'function') value = await this.#within(value as PromiseLike<unknown>, message, reg.timeoutMs);
      if (value === TIMEOUT) {
        this.counters.handlerTimeouts++;
        const error = new HandlerError('HANDLER_TIMEOUT', message.topic, messageId);
        message.abort(error);
        this.#hooks.onError(error);
        this.#logger.warn(error.message);
        // events: let the gateway retry; callbacks: ack now so it does not redeliver a duplicate
        if (message.type === 'EVENT') {
          result = eventOutcome('LATER');
          remember = false;
        } else result = callbackOutcome(null);
      } else if (message.type === 'EVENT') {
        const status: { status?: unknown; message?: string } = typeof value === 'object' && value !== null ? (value as { status?: unknown; message?: string }) : { status: value };
        const later = status.status === 'LATER';
        result = eventOutcome(later ? 'LATER' : 'SUCCESS', status.message);
        remember = !later;
      } else {
        result = callbackOutcome(value);
      }
    } catch (err) {
      this.counters.handlerErrors++;
      const error = new HandlerError('HANDLER_FAILED', message.topic, messageId, err);
      // with the stack: after an early ack this line and the `error` event are all that is left
      this.#logger.error(`${error.message}${reg.ack === 'immediate' ? ' (acked on receipt)' : ''}`, err);
      this.#hooks.onError(error);
      result = message.type === 'EVENT' ? eventOutcome('LATER') : callbackOutcome(null, 500);
      remember = false;
    } finally {
      message.expire = undefined;
      this.#running.delete(message);
      if (this.#closed) this.#idle();
    }
    if (reg.ack === 'immediate') return; // acked on receipt
    const elapsed = performance.now() - started;
    if (message.type === 'CALLBACK' && elapsed > SLOW_ACK_MS) {
      this.#logger.warn(`${message.topic} handler took ${Math.round(elapsed)} ms: answer in under 2 s (the gateway redelivers), update the card later`);
    }
    this.#finish(target, messageId, key, result, remember);
  }

  /**
   * Records the outcome under both keys, in the shared store too when this process owns the
   * claim (`own`), and acks it. The store is written before the ack is sent.
   */
  #finish(target: AckTarget | undefined, messageId: string, key: string | undefined, result: Outcome | undefined, remember: boolean, own = true): void {
    this.#dedup.finish(messageId, result, remember);
    if (key) this.#dedup.finish(key, result, remember);
    if (own && this.#store) void Promise.resolve(this.#store.settle(key ?? messageId, remember ? result : undefined, this.#settings.dedupTtlMs)).catch(() => {});
    if (target && result !== undefined) this.#send(target, messageId, result);
  }

  #send(target: AckTarget, messageId: string, result: Outcome): void {
    if (target.send(ackFrame(messageId, result))) this.counters.acked++; // else its connection is gone: the gateway redelivers
  }
}
