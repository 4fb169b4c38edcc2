import { FrameError, HandlerError, type DingTalkStreamError } from '../errors.js';
import type { Logger } from '../logger.js';
import { callbackAck, eventAck, ackFrame, pingAck, type EventStatus } from '../protocol/acks.js';
import { parseFrame, type Frame } from '../protocol/frames.js';
import type { DedupWindow } from './dedup.js';
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
export type CallbackHandler<T = any> = (message: StreamMessage<T>) => unknown;

/**
 * Handles one EVENT. Return `'LATER'` (or throw) to have the gateway redeliver it;
 * anything else acks `SUCCESS`.
 *
 * @example
 * ```ts
 * const onEvent: EventHandler = async (event) => (event.headers.eventType === 'user_add_org' ? 'SUCCESS' : 'LATER');
 * ```
 */
export type EventHandler<T = any> = (event: StreamMessage<T>) => EventResult | Promise<EventResult>;

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
 * When a message is acked: `'after'` the handler returns (its result is the ack; default),
 * or `'immediate'`ly on receipt, before the handler runs (for handlers slower than the
 * gateway's ~60 s redelivery window; a callback's response is then `null`).
 *
 * @example
 * ```ts
 * client.registerCallbackHandler(TOPIC_ROBOT, handler, { ack: 'immediate' });
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
  ack?: AckMode;
  /** How long to wait for the handler before acking anyway (default: the client's `handlerTimeoutMs`). */
  timeoutMs?: number;
}

interface Registration {
  handler: (message: StreamMessage) => unknown;
  ack: AckMode;
  timeoutMs: number;
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
 * const { acked, duplicates } = client.status().counters;
 * ```
 */
export interface RouterCounters {
  received: number;
  acked: number;
  duplicates: number;
  malformed: number;
  handlerErrors: number;
  handlerTimeouts: number;
  overflow: number;
  unknownTopic: number;
}

/** What the router needs from its owner. */
export interface RouterHooks {
  onDisconnect(target: AckTarget): void;
  onError(error: DingTalkStreamError): void;
}

const TIMEOUT = Symbol('timeout');

/**
 * The path of a frame: parse → validate → route (type/topic) → dedup → limit → handler →
 * ack on the socket the frame came in on. Acks are built here from the handler's result,
 * never by user code, so every message is acked exactly once.
 */
export class Router {
  readonly callbacks = new Map<string, Registration>();
  event: Registration | undefined;
  readonly counters: RouterCounters = { received: 0, acked: 0, duplicates: 0, malformed: 0, handlerErrors: 0, handlerTimeouts: 0, overflow: 0, unknownTopic: 0 };

  readonly #dedup: DedupWindow;
  readonly #limiter: Limiter;
  readonly #logger: Logger;
  readonly #hooks: RouterHooks;
  readonly #defaultTimeoutMs: number;
  constructor(dedup: DedupWindow, limiter: Limiter, logger: Logger, hooks: RouterHooks, defaultTimeoutMs: number) {
    this.#dedup = dedup;
    this.#limiter = limiter;
    this.#logger = logger;
    this.#hooks = hooks;
    this.#defaultTimeoutMs = defaultTimeoutMs;
  }

  register(topic: string | undefined, handler: (message: StreamMessage) => unknown, options: HandlerOptions = {}): void {
    const reg: Registration = { handler, ack: options.ack ?? 'after', timeoutMs: options.timeoutMs ?? this.#defaultTimeoutMs };
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
    const parsed = parseFrame(text);
    if (!parsed.ok) {
      this.counters.malformed++;
      const error = new FrameError(parsed.reason, parsed.messageId);
      this.#logger.warn(error.message);
      this.#hooks.onError(error);
      // ack a poison message (anything but SYSTEM) so the gateway does not redeliver it forever
      if (parsed.messageId && parsed.type !== 'SYSTEM') {
        this.#send(target, ackFrame(parsed.messageId, 400, 'bad frame', '{}'));
      }
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'SYSTEM') return this.#system(target, frame);
    const reg = frame.type === 'EVENT' ? this.event : this.callbacks.get(frame.headers.topic);
    const messageId = frame.headers.messageId as string;
    if (!reg) {
      this.counters.unknownTopic++;
      this.#logger.warn(`no handler for ${frame.headers.topic}: acked 404`);
      this.#send(target, ackFrame(messageId, 404, 'no handler', '{}'));
      return;
    }
    const seen = this.#dedup.get(messageId);
    if (seen) {
      this.counters.duplicates++;
      this.#logger.debug(`duplicate ${messageId} acked again`);
      if (seen.state === 'done') this.#send(target, seen.ack);
      else seen.waiters.push((ack) => ack !== undefined && this.#send(target, ack));
      return;
    }
    this.#dedup.begin(messageId);
    const accepted = this.#limiter.tryRun(() => this.#run(target, frame, messageId, reg));
    if (!accepted) {
      this.counters.overflow++;
      this.#dedup.finish(messageId, undefined, false);
      this.#logger.warn(`queue full: ${messageId} left for redelivery`);
      if (frame.type === 'EVENT') this.#send(target, eventAck(messageId, 'LATER'));
      return;
    }
    if (reg.ack === 'immediate') {
      const ack = frame.type === 'EVENT' ? eventAck(messageId, 'SUCCESS') : callbackAck(messageId, null);
      this.#dedup.finish(messageId, ack, true);
      this.#send(target, ack);
    }
  }

  #system(target: AckTarget, frame: Frame): void {
    const { topic, messageId } = frame.headers;
    if (topic === 'ping') {
      if (messageId) this.#send(target, pingAck(messageId, frame.rawData));
      return;
    }
    if (messageId) this.#send(target, ackFrame(messageId, 200, 'OK', frame.rawData));
    if (topic === 'disconnect') {
      const reason = (frame.data as { reason?: unknown } | null)?.reason;
      this.#logger.info(`gateway asked to reconnect${typeof reason === 'string' ? ` (${reason})` : ''}`);
      this.#hooks.onDisconnect(target);
    } else {
      this.#logger.debug(`SYSTEM ${topic}`);
    }
  }

  async #run(target: AckTarget, frame: Frame, messageId: string, reg: Registration): Promise<void> {
    let controller: AbortController | undefined; // created only if the handler reads `signal`
    const message: StreamMessage = {
      type: frame.type as 'EVENT' | 'CALLBACK',
      topic: frame.headers.topic,
      messageId,
      headers: frame.headers,
      data: frame.data,
      get signal() {
        return (controller ??= new AbortController()).signal;
      },
    };
    let ack: string;
    let remember = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await undefined; // the handler never runs inside handle(): an immediate ack goes out first
      let result = reg.handler(message);
      // only a pending promise needs the timeout race: a plain value costs no timer
      if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
        result = await Promise.race([result, new Promise<typeof TIMEOUT>((resolve) => (timer = setTimeout(resolve, reg.timeoutMs, TIMEOUT)))]);
      }
      if (result === TIMEOUT) {
        this.counters.handlerTimeouts++;
        const error = new HandlerError('HANDLER_TIMEOUT', message.topic, messageId);
        controller?.abort(error);
        this.#hooks.onError(error);
        this.#logger.warn(error.message);
        // events: let the gateway retry; callbacks: ack now so it does not redeliver a duplicate
        if (frame.type === 'EVENT') {
          ack = eventAck(messageId, 'LATER');
          remember = false;
        } else ack = callbackAck(messageId, null);
      } else if (frame.type === 'EVENT') {
        const status: { status?: unknown; message?: string } = typeof result === 'object' && result !== null ? (result as { status?: unknown; message?: string }) : { status: result };
        const later = status.status === 'LATER';
        ack = eventAck(messageId, later ? 'LATER' : 'SUCCESS', status.message);
        remember = !later;
      } else {
        ack = callbackAck(messageId, result);
      }
    } catch (err) {
      this.counters.handlerErrors++;
      const error = new HandlerError('HANDLER_FAILED', message.topic, messageId, err);
      this.#logger.error(error.message, err);
      this.#hooks.onError(error);
      ack = frame.type === 'EVENT' ? eventAck(messageId, 'LATER') : callbackAck(messageId, null, 500);
      remember = false;
    } finally {
      clearTimeout(timer);
    }
    if (reg.ack === 'immediate') return; // acked on receipt
    this.#dedup.finish(messageId, ack, remember);
    this.#send(target, ack);
  }

  #send(target: AckTarget, ack: string): void {
    if (target.send(ack)) this.counters.acked++; // else its connection is gone: the gateway redelivers
  }
}
