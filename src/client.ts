import { defer, type Deferred } from './connection/abort.js';
import { openConnection, type Subscription } from './connection/gateway.js';
import { Supervisor, type SupervisorHooks, type SupervisorSettings } from './connection/supervisor.js';
import type { StreamConnection } from './connection/connection.js';
import { assertSecureUrl } from './connection/transport.js';
import { ClientStoppedError, ConfigError, DingTalkStreamError } from './errors.js';
import { createLogger, Redactor, type Logger, type LogLevel } from './logger.js';
import { globalPlatform, type Platform } from './platform.js';
import { DedupWindow } from './dispatch/dedup.js';
import type { DedupStore } from './dispatch/store.js';
import { Limiter } from './dispatch/limiter.js';
import { Router, type StreamMessage, type CallbackHandler, type EventHandler, type HandlerOptions, type RouterCounters, type RouterHooks, type AckMode } from './dispatch/router.js';
import type { TopicPayloads } from './protocol/payloads.js';
import { VERSION } from './version.js';

/**
 * App credentials: the AppKey/AppSecret (or SuiteKey/SuiteSecret) from the developer
 * console. The secret is hidden from `JSON.stringify` and `console.log`.
 *
 * @example
 * ```ts
 * const client = new DingTalkStreamClient(new Credential(config.clientId, config.clientSecret));
 * ```
 */
export class Credential {
  readonly clientId: string;
  readonly #clientSecret: string;
  constructor(clientId: string, clientSecret: string) {
    this.clientId = clientId;
    this.#clientSecret = clientSecret;
  }
  /** A prototype getter over a #private field: not an own property, so never serialised or printed. */
  get clientSecret(): string {
    return this.#clientSecret;
  }
}

/**
 * Options of {@link DingTalkStreamClient}. Only `clientId` and `clientSecret` are required;
 * the defaults suit production (see {@link DEFAULTS}).
 *
 * @example
 * ```ts
 * const options: ClientOptions = { clientId, clientSecret, openApiHost: 'https://api.dingtalk.io', logLevel: 'debug' };
 * ```
 */
export interface ClientOptions extends Tunables {
  clientId: string;
  clientSecret: string;
  /** Where to open connections; `https://api.dingtalk.io` overseas. */
  openApiHost?: string | undefined;
  /** Console-shaped logger (default `console`; `null` for none); it never receives a secret or ticket. */
  logger?: Logger | null | undefined;
  logLevel?: LogLevel | undefined;
  /** Aborting it stops the client, like `stop()`. */
  signal?: AbortSignal | undefined;
  /** Runtime glue; adapters set it, tests may override it. */
  platform?: Platform | undefined;
  /** Appended to the `ua` sent to the gateway, e.g. `my-bot/1.2`. */
  ua?: string | undefined;
  /**
   * Dedup shared by every process of the bot (e.g. `RedisDedupStore` from
   * `dingtalk-stream-universal/redis`): a redelivery landing on another process is not
   * handled twice. Default: this process's own window only. See docs/scaling.md.
   */
  dedupStore?: DedupStore | undefined;
}

/**
 * Production defaults, in one place.
 * - `openTimeoutMs` 10 s: the open call is a small POST; py uses 10 s, go 5 s.
 * - `handshakeTimeoutMs` 10 s: a TLS WebSocket handshake well within the ticket's 90 s life.
 * - `idleTimeoutMs` 90 s: above the 60–120 s the Java/Go SDKs allow a silent socket. Where
 *   the socket can ping (`ws`, Bun) a quiet socket is pinged and kept if the pong comes back
 *   within 5 s; elsewhere a false alarm costs one make-before-break rotation.
 * - `drainTimeoutMs` 15 s: the server closes a `disconnect`ed socket after ~10 s.
 * - backoff 1 s base, 60 s cap, full jitter; the counter resets after 30 s of stable uptime.
 * - `handlerTimeoutMs` 45 s: how long a handler may hold its concurrency slot; an ack that
 *   waits for its handler goes out by then at the latest (chatbot messages are acked on receipt).
 * - dedup 10 min / 10 000 ids: the gateway redelivers an unacked frame under a new messageId
 *   after ~2 s and again later (user logs show 16 s and ~60 s; protocol.md §10.1); the DingTalk
 *   team's channel SDK keeps 5 min.
 * - `maxFrameSize` 1 Mi characters: far above any frame DingTalk sends (chatbot messages and
 *   card callbacks are a few KB); a larger one is refused before it is parsed.
 * - `maxQueueSize` 32 Mi characters: the frames waiting for a slot, summed, besides `maxQueue`.
 * - `staleAfterMs` 30 min: a chatbot message whose `createAt` is older (a backlog after a
 *   reconnect storm) is acked and skipped, as the channel SDK does; 0 turns it off.
 *
 * @example
 * ```ts
 * new DingTalkStreamClient({ clientId, clientSecret, idleTimeoutMs: DEFAULTS.idleTimeoutMs * 2 });
 * ```
 */
export const DEFAULTS = {
  openApiHost: 'https://api.dingtalk.com',
  openTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 90_000,
  drainTimeoutMs: 15_000,
  clockJumpMs: 60_000,
  connectionTtlMs: 0,
  connections: 1,
  backoffBaseMs: 1_000,
  backoffCapMs: 60_000,
  stableAfterMs: 30_000,
  maxConcurrency: 64,
  maxQueue: 2_048,
  maxQueueSize: 33_554_432,
  maxFrameSize: 1_048_576,
  handlerTimeoutMs: 45_000,
  dedupTtlMs: 600_000,
  dedupMaxEntries: 10_000,
  staleAfterMs: 1_800_000,
} as const satisfies Record<string, number | string>;

declare global {
  interface SymbolConstructor {
    /**
     * `Symbol.asyncDispose` (explicit resource management), declared for TypeScript setups
     * whose `lib` predates `esnext.disposable`, so that the client's `await using` support
     * type-checks everywhere; it merges with the lib's own declaration where there is one.
     */
    readonly asyncDispose: unique symbol;
  }
}

/** The longest delay a timer takes (2^31 − 1 ms, ~24.8 days); a longer one fires at once. */
const MAX_DELAY = 2_147_483_647;

/**
 * A numeric setting checked: a number ≥ 0, or a CONFIG error. A duration beyond what a timer
 * can wait (Infinity included) means "no limit": clamped to the timer maximum, except where 0
 * already means off (`connectionTtlMs`, `staleAfterMs`).
 */
function number(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0)) throw new ConfigError(`${name} must be a number >= 0, not ${String(value)}`);
  if (!name.endsWith('Ms') || value <= MAX_DELAY) return value;
  return name === 'connectionTtlMs' || name === 'staleAfterMs' ? 0 : MAX_DELAY;
}

/** Every option the core knows; an adapter takes its own (Node's `proxy`) out first. */
const OPTIONS = [...Object.keys(DEFAULTS), 'clientId', 'clientSecret', 'logger', 'logLevel', 'signal', 'platform', 'ua', 'dedupStore'];

/** What a client without a running `messages()` loop holds: one empty array for all of them, never changed. */
const NO_ITERATORS: ReadonlyArray<() => void> = [];

/** Edit distance: how far a mistyped option is from a real one (`clientID` → 1, `openApiHots` → 2). */
function distance(a: string, b: string): number {
  let row = [...Array(b.length + 1).keys()];
  for (const c of a) {
    const next = [row[0]! + 1];
    for (let j = 0; j < b.length; j++) next.push(Math.min(row[j + 1]! + 1, next[j]! + 1, row[j]! + +(c !== b[j])));
    row = next;
  }
  return row[b.length]!;
}

/**
 * The tunable numbers and the host, with the types of {@link DEFAULTS} widened.
 *
 * @example
 * ```ts
 * const s: Settings = { ...DEFAULTS, idleTimeoutMs: 120_000 };
 * ```
 */
export type Settings = { [K in keyof typeof DEFAULTS]: (typeof DEFAULTS)[K] extends number ? number : string };

/**
 * {@link Settings} as options: each may be left out, or `undefined` (e.g. from an unset
 * environment variable, also under `exactOptionalPropertyTypes`) for its default.
 *
 * @example
 * ```ts
 * const tunables: Tunables = { idleTimeoutMs: 120_000, connectionTtlMs: undefined };
 * ```
 */
export type Tunables = { [K in keyof Settings]?: Settings[K] | undefined };

/**
 * Where the client is in its life:
 * `idle` → `connecting` → `open` ⇄ `reconnecting` → `stopping` → `stopped`, or `failed`
 * after an error retrying cannot fix (bad credentials).
 */
export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'stopping' | 'stopped' | 'failed';

/**
 * A snapshot from {@link DingTalkStreamClient.status}.
 *
 * @example
 * ```ts
 * const { state, connections, counters } = client.status();
 * ```
 */
export interface ClientStatus {
  state: ClientState;
  /** Wall-clock ms of the latest successful open, or `null`. */
  connectedAt: number | null;
  reconnectAttempts: number;
  connections: { open: number; draining: number; peak: number };
  inFlight: number;
  queued: number;
  counters: RouterCounters;
  lastError: { code: string; message: string } | null;
}

/**
 * The client's events, each a `CustomEvent` whose `detail` says more. `slot` is the
 * connection slot (0 … `connections` − 1); `attempt` counts retries since the last stable
 * connection.
 *
 * @example
 * ```ts
 * client.addEventListener('reconnecting', (e) => console.warn(`retry ${e.detail.attempt} in ${e.detail.delay} ms`, e.detail.error?.message));
 * ```
 */
export interface ClientEventMap {
  /** An open call and handshake begin. */
  connecting: CustomEvent<{ slot: number; attempt: number }>;
  /** A connection is open (one per connection, also for a make-before-break replacement). */
  open: CustomEvent<{ slot: number; connectionId: number }>;
  /** The slot waits `delay` ms before it tries again, after `error` or a dropped connection. */
  reconnecting: CustomEvent<{ slot: number; attempt: number; delay: number; error: DingTalkStreamError | undefined }>;
  /** A connection closed (`code` and `reason` as the socket reported them). */
  close: CustomEvent<{ connectionId: number; code: number; reason: string }>;
  /** Something went wrong: a connect failure, a malformed frame, a handler that threw or timed out. */
  error: CustomEvent<DingTalkStreamError>;
}

/**
 * The names of the client's events: `connecting`, `open`, `reconnecting`, `close`, `error`.
 *
 * @example
 * ```ts
 * const names: ClientEventName[] = ['open', 'close'];
 * ```
 */
export type ClientEventName = keyof ClientEventMap;

/**
 * A listener of one client event, as a function or an object with `handleEvent`.
 *
 * @example
 * ```ts
 * const onError: ClientEventListener<'error'> = (e) => console.error(e.detail.code);
 * ```
 */
export type ClientEventListener<K extends ClientEventName> = ((event: ClientEventMap[K]) => void) | { handleEvent(event: ClientEventMap[K]): void };

// Typed listeners: `addEventListener('eror', …)` does not compile and `detail` needs no cast.
// Declarations only (merged into the class below), so they cost no bytes.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface DingTalkStreamClient {
  addEventListener<K extends ClientEventName>(type: K, listener: ClientEventListener<K> | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends ClientEventName>(type: K, listener: ClientEventListener<K> | null, options?: boolean | EventListenerOptions): void;
}

/**
 * The DingTalk Stream Mode client. Register handlers, `start()`, and it keeps one (or
 * `connections`) live WebSocket to the gateway, acks every message from its handler's
 * result, dedups redeliveries and reconnects until `stop()`.
 *
 * @example
 * ```ts
 * import { DingTalkStreamClient, TOPIC_ROBOT } from 'dingtalk-stream-universal';
 * const client = new DingTalkStreamClient({ clientId, clientSecret });
 * client.registerCallbackHandler(TOPIC_ROBOT, async (msg) => { console.log(msg.data); });
 * await client.start();
 * ```
 */
export class DingTalkStreamClient extends EventTarget {
  readonly clientId: string;
  /** The app credential; its secret is hidden from `JSON.stringify` and `console.log`. */
  readonly credential: Credential;
  readonly settings: Readonly<Settings>;
  /** Logger with secrets scrubbed, for helpers built on this client. */
  readonly logger: Logger;
  /** Scrubs known secrets from text; helpers register tokens here. */
  readonly redactor = new Redactor();
  readonly platform: Platform;
  protected readonly dedup: DedupWindow;
  /**
   * How to end each running `messages()` loop: an array replaced on change, so clients with
   * none share one empty array (a Set costs ~150 bytes per client even when empty).
   */
  #iterators: ReadonlyArray<() => void> = NO_ITERATORS;
  readonly #router: Router;
  readonly #limiter: Limiter;
  readonly #supervisor: Supervisor;
  /** The life phase; `status().state` refines `running` from the live connections. */
  #phase: 'idle' | 'running' | 'stopping' | 'stopped' | 'failed' = 'idle';
  #connectedAt: number | null = null;
  #lastError: DingTalkStreamError | null = null;
  /** The supervisor's `stop()` of the current run, once it was stopped (or failed). */
  #stopping: Promise<void> | undefined;
  /** Settles when the first connection of the current run opens (or the run fails/stops first); dropped once settled. */
  #opened: Deferred | undefined;
  /** Settles when the current run ends: resolved by stop(), rejected by a fatal error. Made by `startForever()` or by that end, whichever comes first. */
  #ended: Deferred | undefined;

  constructor(options: ClientOptions | Credential) {
    super();
    const opts = options as ClientOptions;
    for (const key of Object.keys(opts)) {
      const near = OPTIONS.find((known) => distance(key, known) < 3);
      if (!OPTIONS.includes(key)) throw new ConfigError(`Unknown option ${key}${near ? ` (did you mean ${near}?)` : ''}`);
    }
    if (!opts.clientId || !opts.clientSecret) throw new ConfigError('clientId and clientSecret (AppKey/AppSecret) are required');
    this.clientId = opts.clientId;
    this.credential = new Credential(opts.clientId, opts.clientSecret);
    const settings = { ...DEFAULTS } as Settings;
    for (const key of Object.keys(DEFAULTS) as Array<keyof Settings>) {
      if (opts[key] !== undefined) (settings as Record<string, unknown>)[key] = key === 'openApiHost' ? opts[key] : number(key, opts[key]);
    }
    this.settings = settings;
    assertSecureUrl(this.settings.openApiHost);
    this.redactor.add(opts.clientSecret, true);
    this.logger = createLogger(opts.logger === undefined ? console : (opts.logger ?? undefined), opts.logLevel ?? 'info', this.redactor);
    this.platform = opts.platform ?? globalPlatform();
    const suffix = opts.ua; // the ua is built at each open call: a string kept per client costs ~60 bytes
    this.dedup = new DedupWindow(this.settings.dedupTtlMs, this.settings.dedupMaxEntries);
    this.#limiter = new Limiter(this.settings.maxConcurrency, this.settings.maxQueue, this.settings.maxQueueSize);
    // one object holds the hooks of both the router and the supervisor (its errors come as
    // states): a client holds a closure per hook, and a process may host thousands of clients
    const hooks: RouterHooks & SupervisorHooks = {
      getEndpoint: (signal) =>
        openConnection(this.platform, {
          openApiHost: this.settings.openApiHost,
          clientId: this.clientId,
          clientSecret: this.credential.clientSecret,
          subscriptions: this.subscriptions(),
          ua: `dingtalk-stream-universal/${VERSION}${this.platform.name ? ` (${this.platform.name})` : ''}${suffix ? ` ${suffix}` : ''}`,
        }, this.settings.openTimeoutMs, signal),
      onState: (event: ClientEventName | 'fatal', detail: unknown) => this.#onSupervisorState(event, detail),
      onDisconnect: (target) => this.#supervisor.retire(target as StreamConnection, 'disconnect'),
      onError: (error) => this.#emit('error', error),
    };
    this.#router = new Router(this.dedup, opts.dedupStore, this.#limiter, this.logger, hooks, this.settings);
    this.#supervisor = new Supervisor(this.platform, this.settings as SupervisorSettings, hooks, this.#router, this.logger, this.redactor);
    opts.signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /**
   * Handles CALLBACK frames of `topic` (e.g. {@link TOPIC_ROBOT}). The handler's return
   * value becomes the ack's `response`. Registering while running re-subscribes without a gap.
   * For the known topics `msg.data` is typed ({@link TopicPayloads}); for others it is
   * `unknown` unless you name its type.
   *
   * @example
   * ```ts
   * client.registerCallbackHandler(TOPIC_CARD, async (msg) => ({ cardData: { cardParamMap: { status: 'done' } } }));
   * client.registerCallbackHandler<{ orderId: string }>('/v1.0/my/topic', (msg) => console.log(msg.data.orderId));
   * ```
   */
  registerCallbackHandler<K extends keyof TopicPayloads>(topic: K, handler: CallbackHandler<TopicPayloads[K]>, options?: HandlerOptions): this;
  registerCallbackHandler<T = unknown>(topic: string, handler: CallbackHandler<T>, options?: HandlerOptions): this;
  registerCallbackHandler(topic: string, handler: CallbackHandler<any>, options?: HandlerOptions): this {
    if (typeof topic !== 'string' || !topic) throw new ConfigError(`Invalid topic ${topic}: use a topic string such as TOPIC_ROBOT`);
    return this.#register(topic, handler as CallbackHandler, options);
  }

  /**
   * Handles every EVENT (the event kinds are chosen in the developer console). Return
   * `'LATER'` or throw to have the gateway redeliver.
   *
   * @example
   * ```ts
   * client.registerAllEventHandler(async (event) => { console.log(event.headers.eventType); return 'SUCCESS'; });
   * ```
   */
  registerAllEventHandler<T = unknown>(handler: EventHandler<T>, options?: HandlerOptions): this {
    return this.#register(undefined, handler as EventHandler, options);
  }

  /** One handler per topic (`undefined`: the events): a second one is a mistake unless it says `replace`. */
  #register(topic: string | undefined, handler: (message: StreamMessage) => unknown, options?: HandlerOptions): this {
    const name = topic ?? 'events';
    if (typeof handler !== 'function') throw new ConfigError(`The handler for ${name} must be a function`);
    if ((topic === undefined ? this.#router.event : this.#router.callbacks.get(topic)) && !options?.replace) {
      throw new ConfigError(`${name} already has a handler: pass { replace: true } to replace it`);
    }
    this.#router.register(topic, handler, options?.timeoutMs === undefined ? options : { ...options, timeoutMs: number('timeoutMs', options.timeoutMs) });
    if (this.#phase === 'running') this.#supervisor.rotateAll('resubscribe'); // re-subscribe without a gap
    return this;
  }

  /**
   * The CALLBACKs of `topic` as an async iterator, for scripts. It subscribes when the loop
   * starts. Ack semantics follow the topic (see {@link AckMode}): chatbot messages are acked
   * on receipt, so messages still buffered when the loop ends are lost to it (each is logged
   * as an error). Other topics are acked when your loop asks for the next message (so its
   * body ran to completion), or after `handlerTimeoutMs`; leaving the loop acks the current
   * message, and buffered ones are answered with code 500 so the gateway redelivers them.
   * The loop ends when the client stops.
   *
   * @example
   * ```ts
   * for await (const msg of client.messages(TOPIC_ROBOT)) {
   *   console.log(msg.data.text?.content);
   * }
   * ```
   */
  messages<K extends keyof TopicPayloads>(topic: K, options?: HandlerOptions): AsyncGenerator<StreamMessage<TopicPayloads[K]>, void, undefined>;
  messages<T = unknown>(topic: string, options?: HandlerOptions): AsyncGenerator<StreamMessage<T>, void, undefined>;
  async *messages<T>(topic: string, options?: HandlerOptions): AsyncGenerator<StreamMessage<T>, void, undefined> {
    type Item = { message: StreamMessage<T>; settle: (read: boolean) => void };
    const queue: Item[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    const close = () => {
      closed = true;
      wake?.();
    };
    this.#iterators = this.#iterators.concat(close);
    this.registerCallbackHandler<T>(topic, (message) =>
      new Promise((resolve, reject) => {
        if (closed) return reject(new Error('iterator closed'));
        queue.push({ message, settle: (read) => (read ? resolve(null) : reject(new Error('iterator closed before this message was read'))) });
        wake?.();
      }), options);
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
      this.#iterators = this.#iterators.filter((c) => c !== close);
      this.#router.unregister(topic);
      for (const item of queue.splice(0)) item.settle(false);
    }
  }

  /**
   * Connects, and resolves once the first connection is open. It keeps reconnecting until
   * {@link stop}; it rejects if the credentials are refused or the client is stopped first.
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
   * Like Python's `start_forever()`: starts and resolves only when the client is stopped
   * (by `stop()` or the `signal`); rejects on an unrecoverable error such as bad credentials.
   *
   * @example
   * ```ts
   * await client.startForever();
   * ```
   */
  async startForever(): Promise<void> {
    await this.start();
    await (this.#ended ??= defer()).promise;
  }

  /**
   * Stops for good: aborts every wait, closes every socket, clears every timer. Resolves
   * when all of that is done, so a Node process can then exit by itself.
   *
   * @example
   * ```ts
   * process.on('SIGINT', () => client.stop());
   * ```
   */
  async stop(): Promise<void> {
    if (this.#phase === 'idle') return;
    if (this.#phase === 'running') {
      this.#phase = 'stopping';
      this.#router.close(); // final for queued work too: nothing runs after stop() resolves
      this.#stopping = this.#supervisor.stop();
      this.#opened?.reject(new ClientStoppedError());
    }
    await this.#stopping;
    for (const close of this.#iterators) close();
    if (this.#phase !== 'failed') {
      this.#phase = 'stopped';
      (this.#ended ??= defer()).resolve();
    }
  }

  /**
   * `await using client = new DingTalkStreamClient(…)`: {@link stop} when the scope ends.
   *
   * @example
   * ```ts
   * await using client = new DingTalkStreamClient({ clientId, clientSecret });
   * await client.start();
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /**
   * A snapshot of the client: state, connections, counters. Contains no secret.
   *
   * @example
   * ```ts
   * setInterval(() => console.log(client.status()), 60_000);
   * ```
   */
  status(): ClientStatus {
    return {
      state: this.#phase !== 'running' ? this.#phase : this.#supervisor.connections.open ? 'open' : this.#connectedAt ? 'reconnecting' : 'connecting',
      connectedAt: this.#connectedAt,
      reconnectAttempts: this.#supervisor.reconnectAttempts,
      connections: this.#supervisor.connections,
      inFlight: this.#limiter.active,
      queued: this.#limiter.queued,
      counters: { ...this.#router.counters },
      lastError: this.#lastError && { code: this.#lastError.code, message: this.#lastError.message },
    };
  }

  /** The subscriptions sent with every open call, derived from the registrations. */
  subscriptions(): Subscription[] {
    const subs: Subscription[] = [];
    if (this.#router.event) subs.push({ type: 'EVENT', topic: '*' });
    for (const topic of this.#router.callbacks.keys()) subs.push({ type: 'CALLBACK', topic });
    return subs;
  }

  #onSupervisorState(event: ClientEventName | 'fatal', detail: unknown): void {
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
    for (const close of this.#iterators) close();
  }

  #emit(type: ClientEventName, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
