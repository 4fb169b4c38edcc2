import { defer, type Deferred } from './connection/abort.js';
import type { StreamConnection } from './connection/connection.js';
import { openConnection, type Subscription } from './connection/gateway.js';
import { Supervisor, type SupervisorHooks } from './connection/supervisor.js';
import { assertSecureUrl } from './connection/transport.js';
import { registration, type CallbackHandler, type EventHandler, type HandlerOptions, type StreamMessage } from './dispatch/message.js';
import { Router, type ClientCounters } from './dispatch/router.js';
import type { DedupStore } from './dispatch/store.js';
import { ClientStoppedError, ConfigError, type DingTalkStreamError, type ErrorCode } from './errors.js';
import { createLogger, Redactor, type Logger, type LogLevel } from './logger.js';
import { count, ms, off, opt, readOptions, val, type OptionsOf, type ValuesOf } from './options.js';
import { globalPlatform, type Platform } from './platform.js';
import type { TopicPayloads } from './protocol/payloads.js';
import { VERSION } from './version.js';

/**
 * App credentials: the AppKey/AppSecret (or SuiteKey/SuiteSecret) from the developer console. The secret is hidden from `JSON.stringify` and `console.log`.
 * @example `const client = new DingTalkStreamClient(new Credential(config.clientId, config.clientSecret));`
 */
export class Credential {
  readonly clientId: string;
  readonly #clientSecret: string;
  constructor(clientId: string, clientSecret: string) {
    this.clientId = clientId;
    this.#clientSecret = clientSecret;
  }
  /** A prototype getter over a #private field: never serialised or printed. */
  get clientSecret(): string { return this.#clientSecret; }
}
/** The client's options, one row each: how it is checked, its default, and its documentation. */
const CLIENT_OPTIONS = {
  /** The AppKey (or SuiteKey) from the developer console. Required. */ clientId: opt<string>('string'),
  /** The AppSecret (or SuiteSecret). Required; it never appears in a log line or an error. */ clientSecret: opt<string>('string'),
  /** Where to open connections (default `https://api.dingtalk.com`; `https://api.dingtalk.io` overseas). */ openApiHost: val('string', 'https://api.dingtalk.com'),
  /** Console-shaped logger (default `console`, `null` for none); it never receives a secret or ticket. */ logger: opt<Logger | null>('object'),
  /** Default `'info'`. */ logLevel: opt<LogLevel>(['debug', 'info', 'warn', 'error', 'silent']),
  /** Aborting it stops the client, like `stop()`. */ signal: opt<AbortSignal>('object'),
  /** Runtime glue; adapters set it, tests may override it. */ platform: opt<Platform>('object'),
  /** Appended to the `ua` sent to the gateway, e.g. `my-bot/1.2`. */ ua: opt<string>('string'),
  /** Dedup shared by every process of the bot (e.g. `RedisDedupStore`); default this process's own window (docs/scaling.md). */ dedupStore: opt<DedupStore>('object'),
  /** The open-connection call's deadline (default 10 s: py 10 s, go 5 s). */ openTimeoutMs: ms(10_000),
  /** The WebSocket handshake's deadline (default 10 s, well within the ticket's 90 s). */ handshakeTimeoutMs: ms(10_000),
  /** No frame for this long (default 90 s): the socket is pinged where it can be (`ws`, Bun), else replaced make-before-break. */ idleTimeoutMs: ms(90_000),
  /** How long a replaced socket keeps acking (default 15 s; the server closes it after ~10 s). */ drainTimeoutMs: ms(15_000),
  /** A wall-clock jump this large (sleep/wake) replaces the connection (default 60 s). */ clockJumpMs: ms(60_000),
  /** Replace each connection after this long (default 0: never). */ connectionTtlMs: off(0),
  /** Parallel connections (default 1); the gateway spreads pushes over them. */ connections: count(1),
  /** Reconnect backoff: exponential from this base (default 1 s), full jitter. */ backoffBaseMs: ms(1_000),
  /** The longest backoff (default 60 s). */ backoffCapMs: ms(60_000),
  /** Uptime after which the retry counter resets (default 30 s). */ stableAfterMs: ms(30_000),
  /** Handlers running at once (default 64). */ maxConcurrency: count(64),
  /** Deliveries waiting for a slot (default 2,048); beyond it they are left for redelivery. */ maxQueue: count(2_048),
  /** Characters of the frames waiting for a slot, summed (default 32 Mi). */ maxQueueSize: count(33_554_432),
  /** The largest frame accepted and answer sent (default 1 Mi characters, far above any DingTalk sends). */ maxFrameSize: count(1_048_576),
  /** How long a handler may hold its slot (default 45 s); an ack that waits for it goes out by then. */ handlerTimeoutMs: ms(45_000),
  /** How long a message is remembered for dedup (default 10 min; the gateway redelivers after ~2 s, 16 s, ~60 s). */ dedupTtlMs: ms(600_000),
  /** How many messages are remembered at most (default 10,000). */ dedupMaxEntries: count(10_000),
  /** A chatbot message older than this (default 30 min: a backlog) is acked and skipped; 0 turns it off. */ staleAfterMs: off(1_800_000),
};
/**
 * Options of {@link DingTalkStreamClient}: `clientId` and `clientSecret`; the defaults suit production, and `undefined` (an unset environment variable) takes
 * the default.
 * @example `const options: ClientOptions = { clientId, clientSecret, openApiHost: 'https://api.dingtalk.io', logLevel: 'debug' };`
 */
export interface ClientOptions extends OptionsOf<typeof CLIENT_OPTIONS> {
  clientId: string;
  clientSecret: string;
}
/** The client's settings: every option with its default filled in. @example `client.settings.openApiHost; // 'https://api.dingtalk.com'` */
export type ClientSettings = Omit<ValuesOf<typeof CLIENT_OPTIONS>, 'clientSecret'>;
declare global {
  interface SymbolConstructor {
    /** Declared for a `lib` that predates `esnext.disposable` (merges with the lib's own). */ readonly asyncDispose: unique symbol;
  }
}
/**
 * Where the client is in its life: `idle` → `connecting` → `open` ⇄ `reconnecting` → `stopping` → `stopped`, or `failed` after an error retrying cannot fix
 * (bad credentials).
 * @example `if (client.status().state === 'failed') process.exit(1);`
 */
export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'stopping' | 'stopped' | 'failed';
/**
 * A snapshot from {@link DingTalkStreamClient.status}.
 * @example `const { state, connections, counters } = client.status();`
 */
export interface ClientStatus {
  state: ClientState;
  /** Wall-clock ms of the latest successful open, or `null`. */ connectedAt: number | null;
  reconnectAttempts: number;
  connections: { open: number; draining: number; peak: number };
  inFlight: number;
  queued: number;
  counters: ClientCounters;
  lastError: { code: ErrorCode; message: string } | null;
}
/**
 * The client's events, each a `CustomEvent` whose `detail` says more (`slot`: 0 … `connections` − 1; `attempt`: retries since the last stable connection).
 *
 * @example
 * ```ts
 * client.addEventListener('reconnecting', (e) => console.warn(`retry ${e.detail.attempt} in ${e.detail.delay} ms`, e.detail.error?.message));
 * ```
 */
export interface ClientEventMap {
  /** An open call and handshake begin. */ connecting: CustomEvent<{ slot: number; attempt: number }>;
  /** A connection is open (one per connection, also for a make-before-break replacement). */ open: CustomEvent<{ slot: number; connectionId: number }>;
  /** The slot waits `delay` ms before it tries again, after `error` or a dropped connection. */
  reconnecting: CustomEvent<{ slot: number; attempt: number; delay: number; error: DingTalkStreamError | undefined }>;
  /** A connection closed (`code` and `reason` as the socket reported them). */ close: CustomEvent<{ connectionId: number; code: number; reason: string }>;
  /** Something went wrong: a connect failure, a malformed frame, a handler that threw or timed out. */ error: CustomEvent<DingTalkStreamError>;
}
/** The names of the client's events: `connecting`, `open`, `reconnecting`, `close`, `error`. @example `const names: ClientEventName[] = ['open', 'close'];` */
export type ClientEventName = keyof ClientEventMap;
/** A listener of one client event, as a function or an object with `handleEvent`. @example `const onError: ClientEventListener<'error'> = (e) => console.error(e.detail.code);` */
export type ClientEventListener<K extends ClientEventName> = ((event: ClientEventMap[K]) => void) | { handleEvent(event: ClientEventMap[K]): void };
/** The options of the client's `addEventListener`, declared here: DOM's `AddEventListenerOptions` is in no `lib` but DOM's. @example `client.addEventListener('open', onOpen, { once: true });` */
export type ClientListenerOptions = boolean | { once?: boolean; passive?: boolean; signal?: AbortSignal; capture?: boolean };
/**
 * The client's events, typed (`addEventListener('eror', …)` does not compile, `detail` needs no cast): its own declaration, since the runtimes' `EventTarget`
 * types differ (DOM, `@types/node`, and workers-types' generic one, which typed overloads cannot extend).
 */
interface ClientEvents {
  addEventListener<K extends ClientEventName>(type: K, listener: ClientEventListener<K> | null, options?: ClientListenerOptions): void;
  removeEventListener<K extends ClientEventName>(type: K, listener: ClientEventListener<K> | null, options?: boolean | { capture?: boolean }): void;
  dispatchEvent(event: Event): boolean;
}
/** What a client without a running `messages()` loop holds: one empty array for all of them. */
const NO_LOOPS: ReadonlyArray<() => void> = [];
/**
 * The DingTalk Stream Mode client. Register handlers, `start()`, and it keeps one (or `connections`) live WebSocket to the gateway, acks every message by the
 * policy of its topic, dedups redeliveries and reconnects until `stop()`.
 *
 * @example
 * ```ts
 * import { DingTalkStreamClient, TOPIC_ROBOT } from 'dingtalk-stream-universal';
 * const client = new DingTalkStreamClient({ clientId, clientSecret });
 * client.registerCallbackHandler(TOPIC_ROBOT, async (msg) => { console.log(msg.data); });
 * await client.start();
 * ```
 */
export class DingTalkStreamClient extends (EventTarget as unknown as new () => ClientEvents) {
  readonly clientId: string;
  /** The app credential; its secret is hidden from `JSON.stringify` and `console.log`. */ readonly credential: Credential;
  readonly settings: Readonly<ClientSettings>;
  /** Logger with secrets scrubbed, for helpers built on this client. */ readonly logger: Logger;
  /** Scrubs known secrets from text; helpers register tokens here. */ readonly redactor = new Redactor();
  readonly platform: Platform;
  /** How to end each running `messages()` loop (replaced on change, shared while empty). */ #loops: ReadonlyArray<() => void> = NO_LOOPS;
  readonly #router: Router;
  readonly #supervisor: Supervisor;
  /** The life phase; `status().state` refines `running` from the live connections. */ #phase: 'idle' | 'running' | 'stopping' | 'stopped' | 'failed' = 'idle';
  #connectedAt: number | null = null;
  #lastError: DingTalkStreamError | null = null;
  /** The supervisor's `stop()` of the current run, once it was stopped (or failed). */ #stopping: Promise<void> | undefined;
  /** Settles when the first connection of the current run opens (or the run ends first). */ #opened: Deferred | undefined;
  /** Settles when the current run ends: resolved by stop(), rejected by a fatal error. */ #ended: Deferred | undefined;
  constructor(options: ClientOptions | Credential) {
    super();
    const { clientSecret, ...settings } = readOptions('DingTalkStreamClient', CLIENT_OPTIONS, options);
    if (!settings.clientId || !clientSecret) throw new ConfigError('clientId and clientSecret (AppKey/AppSecret) are required');
    assertSecureUrl(settings.openApiHost);
    this.clientId = settings.clientId;
    this.credential = new Credential(settings.clientId, clientSecret);
    this.settings = settings;
    this.redactor.add(clientSecret, true);
    this.logger = createLogger(settings.logger === undefined ? console : (settings.logger ?? undefined), settings.logLevel ?? 'info', this.redactor);
    this.platform = settings.platform ?? globalPlatform();
    this.#router = new Router(settings, settings.dedupStore, this.logger, (error) => this.#emit('error', error));
    const hooks: SupervisorHooks = {
      getEndpoint: (signal) =>
        openConnection(this.platform, {
          openApiHost: settings.openApiHost,
          clientId: this.clientId,
          clientSecret: this.credential.clientSecret,
          subscriptions: this.subscriptions(),
          ua: `dingtalk-stream-universal/${VERSION}${this.platform.name ? ` (${this.platform.name})` : ''}${settings.ua ? ` ${settings.ua}` : ''}`,
        }, settings.openTimeoutMs, signal),
      onState: (event: ClientEventName | 'fatal', detail: unknown) => this.#onState(event, detail),
    };
    this.#supervisor = new Supervisor(this.platform, settings, hooks, this.#router, this.logger, this.redactor);
    settings.signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }
  /**
   * Handles CALLBACK frames of `topic` (e.g. {@link TOPIC_ROBOT}). The handler's return value becomes the ack's `response`. Registering while running
   * re-subscribes without a gap. For the known topics `msg.data` is typed ({@link TopicPayloads}); for others it is `unknown` unless you name its type.
   *
   * @example
   * ```ts
   * client.registerCallbackHandler(TOPIC_CARD, async (msg) => ({ cardData: { cardParamMap: { status: 'done' } } }));
   * client.registerCallbackHandler<{ orderId: string }>('/v1.0/my/topic', (msg) => console.log(msg.data.orderId));
   * ```
   */
  registerCallbackHandler<K extends keyof TopicPayloads>(topic: K, handler: CallbackHandler<TopicPayloads[K]>, options?: HandlerOptions<StreamMessage<TopicPayloads[K]>>): this;
  registerCallbackHandler<T = unknown>(topic: string, handler: CallbackHandler<T>, options?: HandlerOptions<StreamMessage<T>>): this;
  registerCallbackHandler(topic: string, handler: CallbackHandler<any>, options?: HandlerOptions<any>): this {
    if (typeof topic !== 'string' || !topic) throw new ConfigError(`Invalid topic ${String(topic)}: use a topic string such as TOPIC_ROBOT`);
    return this.#register(topic, handler, options);
  }
  /**
   * Handles every EVENT (the event kinds are chosen in the developer console). Return `'LATER'` or throw to have the gateway redeliver.
   * @example `client.registerAllEventHandler(async (event) => { console.log(event.headers.eventType); return 'SUCCESS'; });`
   */
  registerAllEventHandler<T = unknown>(handler: EventHandler<T>, options?: HandlerOptions<StreamMessage<T>>): this {
    return this.#register(undefined, handler, options);
  }
  /** The one registration path (`undefined` topic: the events; `undefined` handler: removes it), re-subscribing without a gap while running. */
  #register(topic: string | undefined, handler: unknown, options?: HandlerOptions<any>): this {
    const reg = handler === undefined ? undefined : registration(topic === undefined ? 'registerAllEventHandler' : 'registerCallbackHandler', topic, handler, options, this.settings.handlerTimeoutMs);
    if (reg && this.#router.get(topic) && !options?.replace) throw new ConfigError(`${topic ?? 'events'} already has a handler: pass { replace: true } to replace it`);
    this.#router.set(topic, reg);
    if (this.#phase === 'running') this.#supervisor.rotateAll('resubscribe');
    return this;
  }
  /**
   * The CALLBACKs of `topic` as an async iterator, for scripts: a handler registered (and subscribed) when the loop starts, removed (and unsubscribed) when it
   * ends. Acks follow the topic's policy ({@link AckMode}): chatbot messages are acked on receipt, so messages still buffered when the loop ends are lost to it
   * (each is logged as an error); other topics are acked when the loop asks for the next message, or after `timeoutMs`, and buffered ones are answered with
   * code 500 so the gateway redelivers them. The loop ends when the client stops.
   * @example `for await (const msg of client.messages(TOPIC_ROBOT)) console.log(msg.data.text?.content);`
   */
  messages<K extends keyof TopicPayloads>(topic: K, options?: HandlerOptions<StreamMessage<TopicPayloads[K]>>): AsyncGenerator<StreamMessage<TopicPayloads[K]>, void, undefined>;
  messages<T = unknown>(topic: string, options?: HandlerOptions<StreamMessage<T>>): AsyncGenerator<StreamMessage<T>, void, undefined>;
  async *messages<T>(topic: string, options?: HandlerOptions<any>): AsyncGenerator<StreamMessage<T>, void, undefined> {
    const queue: Array<{ message: StreamMessage<T>; settle: (read: boolean) => void }> = [];
    let wake: (() => void) | undefined;
    let closed = false;
    const close = () => {
      closed = true;
      wake?.();
    };
    const handler = (message: StreamMessage<T>) =>
      new Promise((resolve, reject) => {
        if (closed) return reject(new Error('iterator closed'));
        queue.push({ message, settle: (read) => (read ? resolve(null) : reject(new Error('iterator closed before this message was read'))) });
        wake?.();
      });
    this.registerCallbackHandler<T>(topic, handler, options);
    this.#loops = this.#loops.concat(close);
    try {
      for (;;) {
        const item = queue.shift();
        if (item) {
          try {
            yield item.message; // resumes when the loop asks for the next message
          } finally {
            item.settle(true);
          }
        } else if (closed) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      closed = true;
      this.#loops = this.#loops.filter((c) => c !== close);
      this.#register(topic, undefined);
      for (const item of queue.splice(0)) item.settle(false);
    }
  }
  /**
   * Connects, and resolves once the first connection is open. It keeps reconnecting until {@link stop}; it rejects if the credentials are refused or the client
   * is stopped first.
   *
   * @example
   * ```ts
   * await client.start();
   * console.log(client.status().state); // 'open'
   * ```
   */
  start(): Promise<void> {
    if (this.#phase === 'running') return this.#opened?.promise ?? Promise.resolve();
    this.#router.open();
    this.#lastError = null;
    this.#phase = 'running';
    this.#connectedAt = null;
    this.#ended = undefined;
    const opened = (this.#opened = defer());
    this.#supervisor.start();
    return opened.promise;
  }
  /**
   * Like Python's `start_forever()`: starts and resolves only when the client is stopped (by `stop()` or the `signal`); rejects on an unrecoverable error such
   * as bad credentials.
   * @example `await client.startForever();`
   */
  async startForever(): Promise<void> {
    await this.start();
    await (this.#ended ??= defer()).promise;
  }
  /**
   * Stops for good: aborts every wait and running handler's `signal`, closes every socket, clears every timer. Resolves when all of that is done, so a Node
   * process can then exit.
   * @example `process.on('SIGINT', () => client.stop());`
   */
  async stop(): Promise<void> {
    if (this.#phase === 'idle') return;
    if (this.#phase === 'running') {
      this.#phase = 'stopping';
      this.#router.close();
      this.#stopping = this.#supervisor.stop();
      this.#opened?.reject(new ClientStoppedError());
    }
    await this.#stopping;
    for (const close of this.#loops) close();
    if (this.#phase !== 'failed') {
      this.#phase = 'stopped';
      (this.#ended ??= defer()).resolve();
    }
  }
  /**
   * `await using client = new DingTalkStreamClient(…)`: {@link stop} when the scope ends.
   * @example `await using client = new DingTalkStreamClient({ clientId, clientSecret });`
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
  /** A snapshot of the client: state, connections, counters. Contains no secret. @example `setInterval(() => console.log(client.status()), 60_000);` */
  status(): ClientStatus {
    return {
      state: this.#phase !== 'running' ? this.#phase : this.#supervisor.connections.open ? 'open' : this.#connectedAt ? 'reconnecting' : 'connecting',
      connectedAt: this.#connectedAt,
      reconnectAttempts: this.#supervisor.reconnectAttempts,
      connections: this.#supervisor.connections,
      ...this.#router.load(),
      counters: { ...this.#router.counters },
      lastError: this.#lastError && { code: this.#lastError.code, message: this.#lastError.message },
    };
  }
  /**
   * The subscriptions sent with every open call, derived from the registrations.
   * @example `client.subscriptions(); // [{ type: 'CALLBACK', topic: '/v1.0/im/bot/messages/get' }]`
   */
  subscriptions(): Subscription[] {
    const { callbacks, events } = this.#router.topics();
    const subs: Subscription[] = events ? [{ type: 'EVENT', topic: '*' }] : [];
    for (const topic of callbacks) subs.push({ type: 'CALLBACK', topic });
    return subs;
  }
  #onState(event: ClientEventName | 'fatal', detail: unknown): void {
    if (event === 'fatal') return this.#fail(detail as DingTalkStreamError);
    if (event === 'error') this.#lastError = detail as DingTalkStreamError;
    if (event === 'open') {
      this.#connectedAt = Date.now();
      this.#opened?.resolve();
      this.#opened = undefined;
      this.logger.info(`connected (connection #${(detail as { connectionId: number }).connectionId})`);
    }
    this.#emit(event, detail);
  }
  #fail(error: DingTalkStreamError): void {
    this.#lastError = error;
    this.#phase = 'failed';
    this.#router.close();
    this.logger.error(error.message);
    this.#emit('error', error);
    this.#opened?.reject(error);
    (this.#ended ??= defer()).reject(error);
    this.#stopping = this.#supervisor.stop();
    for (const close of this.#loops) close();
  }
  #emit(type: ClientEventName, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
