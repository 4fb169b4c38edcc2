import { ConfigError } from '../errors.js';
import { count, opt, readOptions, type Rule, type ValuesOf } from '../options.js';
import type { EventStatus } from '../protocol/acks.js';
import { TOPIC_ROBOT, TOPIC_ROBOT_DELEGATE } from '../protocol/topics.js';

/** A message handed to a handler: the frame's headers and its parsed `data`. @example `client.registerCallbackHandler(TOPIC_ROBOT, (msg: StreamMessage) => console.log(msg.messageId, msg.data));` */
export interface StreamMessage<T = unknown> {
  type: 'EVENT' | 'CALLBACK';
  topic: string;
  messageId: string;
  headers: Readonly<Record<string, string>>;
  data: T;
  /** Aborted when the handler's time is up (`timeoutMs`) or the client stops: stop working on it. */ readonly signal: AbortSignal;
}
/**
 * Handles one CALLBACK; what it returns is the ack's `response` (card callbacks and graph API calls use it; chatbot messages ignore it). @example `const
 * onCard: CallbackHandler = async (msg) => ({ cardData: { cardParamMap: { clicked: 'yes' } } });`
 */
export type CallbackHandler<T = unknown> = (message: StreamMessage<T>) => unknown;
/**
 * Handles one EVENT. Return `'LATER'` (or throw) to have the gateway redeliver it; anything else acks `SUCCESS`. @example `const onEvent: EventHandler = async
 * (event) => (event.headers.eventType === 'user_add_org' ? 'SUCCESS' : 'LATER');`
 */
export type EventHandler<T = unknown> = (event: StreamMessage<T>) => EventResult | Promise<EventResult>;
/** What an EVENT handler may return; anything but `'LATER'` (or `{ status: 'LATER' }`) acks SUCCESS. @example `const r: EventResult = { status: 'LATER', message: 'database down' };` */
export type EventResult = EventStatus | void | null | undefined | { status: EventStatus; message?: string };
/**
 * When a message is acked: `'immediate'`ly on receipt, before the handler runs, or `'after'` the handler returns, with its result in the ack. The gateway
 * redelivers anything not acked within ~2 s under a new messageId (protocol.md §10.1), so the default depends on the topic: chatbot messages `'immediate'` (the
 * gateway ignores their answer; an LLM takes longer), everything else `'after'` (a card callback's ack carries its answer, an event's its status).
 * @example `client.registerCallbackHandler(TOPIC_ROBOT, handler, { ack: 'after' }); // opt out of ack-on-receipt`
 */
export type AckMode = 'after' | 'immediate';
/** The options of a registration, one row each (documented on {@link HandlerOptions}). */
export const HANDLER_OPTIONS = {
  ack: opt<AckMode>(['after', 'immediate']),
  timeoutMs: opt<number>('ms'),
  replace: opt<boolean>('boolean'),
  sequential: opt<(message: StreamMessage) => string | undefined>('function'),
  maxWaiting: count(10),
  onBusy: opt<(message: StreamMessage) => unknown>('function'),
} satisfies { [K in keyof HandlerOptions]-?: Rule<unknown> };
/** Per-registration options; `sequential` and `onBusy` get the topic's typed message. @example `const opts: HandlerOptions = { ack: 'immediate', timeoutMs: 120_000 };` */
export interface HandlerOptions<M = StreamMessage> {
  /** When to ack (default by topic: see {@link AckMode}). */ ack?: AckMode | undefined;
  /** How long the handler may take before it is acked by policy and its `signal` aborted (default: the client's `handlerTimeoutMs`). */ timeoutMs?: number | undefined;
  /** Replace the topic's handler; without it, a second handler for a topic is a `ConfigError`. */ replace?: boolean | undefined;
  /** Handle messages with the same key one at a time, in arrival order; other keys run side by side. */ sequential?: ((message: M) => string | undefined) | undefined;
  /** Messages that may wait behind a busy key (default 10); beyond it `onBusy` is called instead of the handler. */ maxWaiting?: number | undefined;
  /** Told about a message refused because its key's queue was full (acked as the topic's policy says, and not handled). */ onBusy?: ((message: M) => unknown) | undefined;
}
/** A handler with its options read, as the router keeps it (`chatbot`: business id `data.msgId`, stale check on `createAt`). */
export type Registration = ValuesOf<typeof HANDLER_OPTIONS> & { handler: (message: StreamMessage) => unknown; ack: AckMode; timeoutMs: number; chatbot: boolean };
/** Reads a registration's options (`owner` names the call in errors); `timeoutMs` defaults to `handlerTimeoutMs`. */
export function registration(owner: string, topic: string | undefined, handler: unknown, options: object | undefined, handlerTimeoutMs: number): Registration {
  if (typeof handler !== 'function') throw new ConfigError(`The handler for ${topic ?? 'events'} must be a function`);
  const o = readOptions(owner, HANDLER_OPTIONS, options);
  const chatbot = topic === TOPIC_ROBOT || topic === TOPIC_ROBOT_DELEGATE;
  return { ...o, handler: handler as Registration['handler'], ack: o.ack ?? (chatbot ? 'immediate' : 'after'), timeoutMs: o.timeoutMs ?? handlerTimeoutMs, chatbot };
}
/** The message a handler gets; its `signal` is made only if read. */
export class Message implements StreamMessage {
  #controller: AbortController | undefined;
  constructor(
    readonly type: 'EVENT' | 'CALLBACK',
    readonly topic: string,
    readonly messageId: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly data: unknown,
  ) {}
  get signal(): AbortSignal { return (this.#controller ??= new AbortController()).signal; }
  /** Ends the handler's `signal` (time is up, or the client stopped). */
  abort(reason: unknown): void { (this.#controller ??= new AbortController()).abort(reason); }
}
