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
 *   redeliveries (dedup by `msgId` still runs it once per message).
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
  /** A sequenced message: moves its key's queue on once the handler is done (or the message dropped). */
  done: (() => void) | undefined;
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
 * The path of a frame: parse → validate → route (type/topic) → dedup (the business id, else
 * the messageId) → ack now (chatbot) → limit → handler → ack after (events, card callbacks,
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
  /**
   * Handlers to start, four slots each (target, message, key, registration), run in one
   * microtask: after every frame of the socket read is acked, and with no task per message.
   */
  #ready: unknown[] = [];
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
    // the dedup key: the business id, what a redelivery under a new messageId keeps (see
    // dedup.ts), or the messageId when there is none; a repeat of one delivery has both
    let key = messageId;
    let createAt: unknown;
    if (frame.type === 'EVENT') key = frame.headers.eventId ? `evt:${frame.headers.eventId}` : key;
    else if (reg.chatbot) {
      const data = frame.data as { msgId?: unknown; createAt?: unknown } | null;
      if (typeof data?.msgId === 'string' && data.msgId) key = `msg:${data.msgId}`;
      createAt = data?.createAt;
    } else if (reg.ack === 'after') key = payloadKey(frame.headers.topic, frame.rawData);
    const seen = this.#dedup.get(key);
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
    const message = new Message(frame.type as 'EVENT' | 'CALLBACK', frame.headers.topic, messageId, frame.headers, frame.data);
    const store = this.#store;
    // acked on receipt with no store to ask: the outcome is recorded below, in this same call
    if (reg.ack === 'after' || store) this.#dedup.begin(key);
    if (!store) return this.#dispatch(target, message, key, reg, size);
    // a store shared with other processes: the one that claims the business id handles it
    Promise.resolve(store.claim(key, reg.timeoutMs + 15_000)).then(
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
  #dispatch(target: AckTarget, message: Message, key: string, reg: Registration, size: number): void {
    const { messageId } = message;
    const order = reg.sequential?.(message);
    const accepted =
      order === undefined
        ? this.#admit(target, message, key, reg, size)
        : this.#sequencer.run(order, reg.maxWaiting ?? 10, () => new Promise<void>((done) => {
            message.done = done;
            // dropped by stop() while queued: the key's queue must move on, or it stays busy for good
            if (this.#limiter.closed) return this.#drop(message, key);
            if (!this.#admit(target, message, key, reg, size)) {
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

  /** Takes a free slot (the handler starts in this turn's batch) or a place in the queue; `false`: neither. */
  #admit(target: AckTarget, message: Message, key: string, reg: Registration, size: number): boolean {
    if (this.#limiter.acquire()) return this.#start(target, message, key, reg), true;
    return this.#limiter.enqueue(() => this.#start(target, message, key, reg), () => this.#drop(message, key), size);
  }

  /** Dropped from the queue by stop(): forgotten, so that a redelivery is handled afresh. */
  #drop(message: Message, key: string): void {
    this.#finish(undefined, message.messageId, key, undefined, false);
    message.done?.();
  }

  #start(target: AckTarget, message: Message, key: string, reg: Registration): void {
    // the handler never runs inside handle(): the acks of the whole socket read go out first
    if (!this.#ready.length) queueMicrotask(this.#startReady);
    this.#ready.push(target, message, key, reg);
  }

  readonly #startReady = (): void => {
    const ready = this.#ready;
    this.#ready = [];
    for (let i = 0; i < ready.length; i += 4) this.#run(ready[i] as AckTarget, ready[i + 1] as Message, ready[i + 2] as string, ready[i + 3] as Registration);
  };

  /** No slot and no room in the queue: an event is answered LATER, a callback left unacked, and the gateway redelivers both. */
  #overflow(target: AckTarget, message: Message, key: string): void {
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

  /** Runs the handler, holding a limiter slot; a promise it returns is awaited until its deadline. */
  #run(target: AckTarget, message: Message, key: string, reg: Registration): void {
    this.#running.add(message);
    let value: unknown;
    try {
      value = reg.handler(message);
    } catch (err) {
      return this.#done(target, message, key, reg, err, true);
    }
    // only a promise needs a deadline: a plain value costs no sweep entry
    if (typeof (value as PromiseLike<unknown> | null)?.then !== 'function') return this.#done(target, message, key, reg, value, false);
    const settle = (result: unknown, failed = false) => this.#done(target, message, key, reg, result, failed);
    const deadline = (message.deadline = performance.now() + reg.timeoutMs);
    message.expire = settle;
    if (deadline < this.#sweepAt) this.#arm(deadline);
    (value as PromiseLike<unknown>).then(settle, (err: unknown) => settle(err, true));
  }

  /** The handler returned, threw (`failed`) or ran out of time (TIMEOUT): its slot is freed and the outcome acked. Once per message. */
  #done(target: AckTarget, message: Message, key: string, reg: Registration, value: unknown, failed: boolean): void {
    if (!this.#running.delete(message)) return; // it timed out before, and was acked then
    const { messageId, deadline } = message;
    message.expire = undefined;
    let result: Outcome;
    let remember = true;
    if (failed) {
      this.counters.handlerErrors++;
      const error = new HandlerError('HANDLER_FAILED', message.topic, messageId, value);
      // with the stack: after an early ack this line and the `error` event are all that is left
      this.#logger.error(`${error.message}${reg.ack === 'immediate' ? ' (acked on receipt)' : ''}`, value);
      this.#hooks.onError(error);
      result = message.type === 'EVENT' ? eventOutcome('LATER') : callbackOutcome(null, 500);
      remember = false;
    } else if (value === TIMEOUT) {
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
    // a timed-out handler was just told to stop: its slot is given back once its abort listeners
    // and cleanup have run, so the bound holds for handlers that honour their signal
    if (value === TIMEOUT) queueMicrotask(() => this.#release(message));
    else this.#release(message);
    if (reg.ack === 'immediate') return; // acked on receipt
    // a handler that returned a promise: it started timeoutMs before its deadline
    const elapsed = deadline ? performance.now() - deadline + reg.timeoutMs : 0;
    if (message.type === 'CALLBACK' && elapsed > SLOW_ACK_MS) {
      this.#logger.warn(`${message.topic} handler took ${Math.round(elapsed)} ms: answer in under 2 s (the gateway redelivers), update the card later`);
    }
    this.#finish(target, messageId, key, result, remember);
  }

  #release(message: Message): void {
    this.#limiter.release();
    message.done?.();
    if (this.#closed) this.#idle();
  }

  /**
   * Records the outcome under its dedup key, in the shared store too when this process owns the
   * claim (`own`), and acks it. The store is written before the ack is sent.
   */
  #finish(target: AckTarget | undefined, messageId: string, key: string, result: Outcome | undefined, remember: boolean, own = true): void {
    this.#dedup.finish(key, result, remember);
    if (own && this.#store) void Promise.resolve(this.#store.settle(key, remember ? result : undefined, this.#settings.dedupTtlMs)).catch(() => {});
    if (target && result !== undefined) this.#send(target, messageId, result);
  }

  #send(target: AckTarget, messageId: string, result: Outcome): void {
    if (target.send(ackFrame(messageId, result))) this.counters.acked++; // else its connection is gone: the gateway redelivers
  }
}
