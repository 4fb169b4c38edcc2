/**
 * Cloudflare adapter: the core on workerd's globals, plus {@link DingTalkStreamDurableObject},
 * a Durable Object that holds the outbound Stream connection, revives it from an alarm after
 * an eviction or restart, keeps its dedup window and counters in Durable Object storage, and
 * answers `start` / `stop` / `status` only to callers with the control token.
 *
 * Glue only: the protocol lives in the core. Types of the Workers runtime are declared here
 * structurally, so neither this module nor its `.d.ts` needs `@cloudflare/workers-types`.
 *
 * @example
 * ```ts
 * import { DingTalkStreamDurableObject, TOPIC_ROBOT, routeControl } from 'dingtalk-stream-universal/cloudflare';
 * export class Bot extends DingTalkStreamDurableObject {
 *   protected override register(client) {
 *     client.registerCallbackHandler(TOPIC_ROBOT, async (msg) => null);
 *   }
 * }
 * export default { fetch: (req: Request, env: { BOT: DurableObjectNamespaceLike }) => routeControl(req, env.BOT) };
 * ```
 * @module
 */
import { DingTalkStreamClient as CoreClient, type ClientOptions, type ClientStatus } from '../src/client.js';
import type { DedupWindow } from '../src/dispatch/dedup.js';
import type { CallbackHandler, EventHandler, HandlerOptions, RouterCounters } from '../src/dispatch/router.js';
import { DingTalkStreamError } from '../src/errors.js';
import { globalPlatform } from '../src/platform.js';

export * from '../src/index.js';

/** What the Durable Object wires into a client it runs (see {@link DingTalkStreamDurableObject}). */
interface DurableHooks {
  /** Called synchronously when an outcome is remembered under a dedup key, before its ack is sent. */
  remembered(key: string, outcome: string): void;
  /** Handler work the runtime must let finish (acks may already be out). */
  track(work: Promise<unknown>): void;
}

// Per-client internals reachable only from this module: the object restores the dedup window
// and hooks itself in without any of it becoming public API of the client.
const internals = new WeakMap<object, { dedup: DedupWindow; hooks?: DurableHooks }>();

/**
 * {@link CoreClient} on workerd's globals (`WebSocket`, `fetch`), named `workerd` in the `ua`.
 * Inside a {@link DingTalkStreamDurableObject} its remembered messages are also written to
 * Durable Object storage and its handlers are kept alive with `ctx.waitUntil`.
 *
 * @example
 * ```ts
 * const client = new DingTalkStreamClient({ clientId: env.DINGTALK_CLIENT_ID, clientSecret: env.DINGTALK_CLIENT_SECRET });
 * ```
 */
export class DingTalkStreamClient extends CoreClient {
  constructor(options: ClientOptions) {
    super({ ...options, clientId: options.clientId, clientSecret: options.clientSecret, platform: options.platform ?? globalPlatform('workerd') });
    const inner: { dedup: DedupWindow; hooks?: DurableHooks } = { dedup: this.dedup };
    internals.set(this, inner);
    // Remembered outcomes are reported just before their ack is sent, so a storage write
    // started here is ahead of the ack (workerd's output gate holds outgoing messages until
    // writes land).
    this.dedup.onRemember = (key, outcome) => inner.hooks?.remembered(key, outcome);
  }

  override registerCallbackHandler<T = any>(topic: string, handler: CallbackHandler<T>, options?: HandlerOptions): this {
    return super.registerCallbackHandler<T>(topic, (message) => this.tracked(() => handler(message)), options);
  }

  override registerAllEventHandler<T = any>(handler: EventHandler<T>, options?: HandlerOptions): this {
    return super.registerAllEventHandler<T>((message) => this.tracked(() => handler(message)) as ReturnType<EventHandler<T>>, options);
  }

  private tracked<R>(run: () => R): Promise<Awaited<R>> {
    const work = Promise.resolve().then(run) as Promise<Awaited<R>>;
    internals.get(this)?.hooks?.track(work.catch(() => {}));
    return work;
  }
}

/**
 * The Durable Object storage calls this adapter makes (a structural subset of
 * `DurableObjectStorage`, so the real one fits).
 *
 * @example
 * ```ts
 * const storage: DurableObjectStorageLike = ctx.storage;
 * ```
 */
export interface DurableObjectStorageLike {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T>(entries: Record<string, T>): Promise<void>;
  delete(keys: string[]): Promise<number>;
  list<T = unknown>(options: { prefix: string }): Promise<Map<string, T>>;
  setAlarm(scheduledTime: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/**
 * The `ctx` a Durable Object constructor receives (structural subset of `DurableObjectState`).
 *
 * @example
 * ```ts
 * constructor(ctx: DurableObjectStateLike, env: Env) { super(ctx, env); }
 * ```
 */
export interface DurableObjectStateLike {
  readonly storage: DurableObjectStorageLike;
  waitUntil?(promise: Promise<unknown>): void;
}

/**
 * A Durable Object namespace binding, as {@link routeControl} uses it.
 *
 * @example
 * ```ts
 * interface Env extends DingTalkStreamEnv { DINGTALK_BOT: DurableObjectNamespaceLike }
 * ```
 */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: any): { fetch(request: Request): Promise<Response> };
}

/**
 * The Worker bindings the object reads. Put the three secrets with `wrangler secret put`;
 * never in code or `wrangler.toml`.
 *
 * @example
 * ```ts
 * interface Env extends DingTalkStreamEnv { DINGTALK_BOT: DurableObjectNamespaceLike }
 * ```
 */
export interface DingTalkStreamEnv {
  /** The app's AppKey (secret or var). */
  DINGTALK_CLIENT_ID?: string;
  /** The app's AppSecret (secret). */
  DINGTALK_CLIENT_SECRET?: string;
  /** Bearer token for the control routes (secret). Unset: every control request is refused. */
  DINGTALK_CONTROL_TOKEN?: string;
  /** Gateway host; defaults to `https://api.dingtalk.com` (loopback `http:` for a local gateway). */
  DINGTALK_OPENAPI_HOST?: string;
  /** Watchdog alarm period in ms (default 30 000). */
  DINGTALK_WATCHDOG_MS?: string;
}

/**
 * What `GET /status` returns (and `start` / `stop` after acting). Contains no secret.
 *
 * @example
 * ```ts
 * const status: BotStatus = await (await stub.fetch('https://bot/status', { headers })).json();
 * ```
 */
export interface BotStatus extends ClientStatus {
  /** `start` was called and `stop` was not: the alarm keeps the connection up. */
  running: boolean;
  /** Random per object instance: it changes when the object was evicted or restarted. */
  instance: string;
  /** Messages remembered in storage for dedup across evictions. */
  dedupStored: number;
}

/** Storage keys. Dedup entries are one key each, so no value outgrows the per-value limit. */
const RUNNING = 'dingtalk:running';
const COUNTERS = 'dingtalk:counters';
const DEDUP = 'dingtalk:dedup:';
/** Keys per `storage.delete` call (the API's limit). */
const DELETE_BATCH = 128;
const ACTIVE: ReadonlyArray<ClientStatus['state']> = ['connecting', 'open', 'reconnecting'];
const ZERO: RouterCounters = { received: 0, acked: 0, duplicates: 0, malformed: 0, handlerErrors: 0, handlerTimeouts: 0, overflow: 0, unknownTopic: 0, stale: 0 };

/**
 * A Durable Object that runs a DingTalk Stream bot. Extend it, register handlers in
 * {@link register} (or build the whole client in {@link createClient}), bind it in
 * `wrangler.toml`, and forward the control routes with {@link routeControl}:
 * - `POST /start` connects and arms a watchdog alarm; `POST /stop` disconnects and disarms it;
 *   `GET /status` reports {@link BotStatus}. All three need `Authorization: Bearer
 *   <DINGTALK_CONTROL_TOKEN>`; without a configured token every control request is refused.
 * - Outbound sockets cannot hibernate, so the object keeps itself alive: the alarm fires every
 *   `DINGTALK_WATCHDOG_MS` (30 s), and each time it restores the connection if this instance
 *   lost it (an eviction, a restart, a deploy) — no request needs to arrive.
 * - Remembered messageIds (with their acks) and the counters live in storage, so a redelivery
 *   reaching a new instance is acked again rather than handled twice.
 *
 * @example
 * ```ts
 * export class CalculatorBot extends DingTalkStreamDurableObject {
 *   protected override register(client: DingTalkStreamClient) {
 *     client.registerCallbackHandler(TOPIC_ROBOT, async (msg) => {
 *       await fetch(msg.data.sessionWebhook, { method: 'POST', body: JSON.stringify({ msgtype: 'text', text: { content: 'hi' } }) });
 *       return null;
 *     });
 *   }
 * }
 * ```
 */
export class DingTalkStreamDurableObject<Env extends DingTalkStreamEnv = DingTalkStreamEnv> {
  protected readonly ctx: DurableObjectStateLike;
  protected readonly env: Env;
  /** The client of this instance, once started. */
  protected client: DingTalkStreamClient | undefined;
  private readonly instance = crypto.randomUUID();
  private booted: Promise<void> | undefined;
  private running = false;
  /** What status reports while there is no client: `stopped` once `stop` ran. */
  private idleState: ClientStatus['state'] = 'idle';
  /** Counters of earlier instances and earlier clients of this one. */
  private retired: RouterCounters = { ...ZERO };
  /** Stored dedup entries: messageId → wall-clock ms when remembered. */
  private readonly stored = new Map<string, number>();
  private restore: Array<[string, string]> = [];

  constructor(ctx: DurableObjectStateLike, env: Env) {
    this.ctx = ctx;
    this.env = env;
  }

  /**
   * Registers the bot's handlers on a fresh client (called for every client this object
   * builds, so after an eviction too). Override it; the default registers nothing.
   *
   * @example
   * ```ts
   * protected override register(client: DingTalkStreamClient) {
   *   client.registerAllEventHandler(() => 'SUCCESS');
   * }
   * ```
   */
  protected register(client: DingTalkStreamClient): void {
    void client;
  }

  /**
   * Client options besides the credentials and host, which always come from `env`.
   *
   * @example
   * ```ts
   * protected override clientOptions() { return { logLevel: 'debug' as const }; }
   * ```
   */
  protected clientOptions(): Partial<ClientOptions> {
    return {};
  }

  /**
   * Builds the client: credentials from `env` secrets, then {@link register}. Override it to
   * build the client elsewhere; return a {@link DingTalkStreamClient} of this module so that
   * dedup state is persisted.
   *
   * @example
   * ```ts
   * protected override createClient() { return createMyBot(DingTalkStreamClient, this.env); }
   * ```
   */
  protected createClient(): DingTalkStreamClient {
    const client = new DingTalkStreamClient({
      ...this.clientOptions(),
      clientId: this.env.DINGTALK_CLIENT_ID ?? '',
      clientSecret: this.env.DINGTALK_CLIENT_SECRET ?? '',
      ...(this.env.DINGTALK_OPENAPI_HOST ? { openApiHost: this.env.DINGTALK_OPENAPI_HOST } : {}),
    });
    this.register(client);
    return client;
  }

  /**
   * The Durable Object's request handler: the control routes (any path ending in `/start`,
   * `/stop` or `/status`).
   *
   * @example
   * ```ts
   * await stub.fetch('https://bot/status', { headers: { authorization: `Bearer ${token}` } });
   * ```
   */
  async fetch(request: Request): Promise<Response> {
    const action = new URL(request.url).pathname.split('/').pop();
    if (action !== 'start' && action !== 'stop' && action !== 'status') return json(404, { error: { code: 'NOT_FOUND', message: 'routes: POST /start, POST /stop, GET /status' } });
    const refused = await authorize(request, this.env.DINGTALK_CONTROL_TOKEN);
    if (refused) return refused;
    const method = action === 'status' ? 'GET' : 'POST';
    if (request.method !== method) return json(405, { error: { code: 'METHOD_NOT_ALLOWED', message: `use ${method} /${action}` } }, { allow: method });
    try {
      if (action === 'start') return json(200, await this.startBot());
      if (action === 'stop') return json(200, await this.stopBot());
      await this.boot();
      return json(200, this.botStatus());
    } catch (err) {
      const error = err instanceof DingTalkStreamError ? err : new DingTalkStreamError('INTERNAL', 'the bot could not act; see the object log');
      if (!(err instanceof DingTalkStreamError)) console.error('dingtalk-stream: control request failed', err);
      return json(500, { error: { code: error.code, message: error.message } });
    }
  }

  /**
   * The watchdog: re-arms itself first, then restores the connection if this instance has
   * none (a fresh instance after an eviction, or a client that failed), prunes expired dedup
   * entries and saves the counters.
   *
   * @example
   * ```ts
   * // called by the runtime; tests may call it: await runDurableObjectAlarm(stub)
   * ```
   */
  async alarm(): Promise<void> {
    await this.boot();
    if (!this.running) return;
    await this.armWatchdog();
    await this.prune();
    await this.ctx.storage.put({ [COUNTERS]: this.counters() });
    this.revive().catch(() => {}); // logged in revive; the next alarm retries
  }

  /**
   * Starts the bot: builds the client, records `running` in storage, arms the watchdog and
   * waits up to `waitMs` for the first open connection (it keeps trying after that).
   *
   * @example
   * ```ts
   * const status = await this.startBot(); // status.state === 'open'
   * ```
   */
  async startBot(waitMs = 5_000): Promise<BotStatus> {
    await this.boot();
    const opened = this.revive(true);
    if (!this.running) {
      this.running = true;
      await this.ctx.storage.put({ [RUNNING]: true });
    }
    await this.armWatchdog();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([opened.catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    return this.botStatus();
  }

  /**
   * Stops the bot: clears `running` and the alarm, closes the socket, saves the counters.
   *
   * @example
   * ```ts
   * await this.stopBot();
   * ```
   */
  async stopBot(): Promise<BotStatus> {
    await this.boot();
    this.running = false;
    this.idleState = 'stopped';
    await this.ctx.storage.put({ [RUNNING]: false });
    await this.ctx.storage.deleteAlarm();
    await this.retire();
    await this.ctx.storage.put({ [COUNTERS]: this.counters() });
    return this.botStatus();
  }

  /**
   * The bot's status; no secret in it.
   *
   * @example
   * ```ts
   * this.botStatus().connections.open; // 1
   * ```
   */
  botStatus(): BotStatus {
    const status: ClientStatus = this.client?.status() ?? {
      state: this.idleState,
      connectedAt: null,
      reconnectAttempts: 0,
      connections: { open: 0, draining: 0, peak: 0 },
      inFlight: 0,
      queued: 0,
      counters: { ...ZERO },
      lastError: null,
    };
    return { ...status, counters: this.counters(), running: this.running, instance: this.instance, dedupStored: this.stored.size };
  }

  /** Loads the stored state once per instance; a fresh instance of a running bot reconnects. */
  private boot(): Promise<void> {
    this.booted ??= (async () => {
      const storage = this.ctx.storage;
      this.running = (await storage.get<boolean>(RUNNING)) === true;
      this.retired = { ...ZERO, ...(await storage.get<RouterCounters>(COUNTERS)) };
      const entries = await storage.list<{ ack: string; at: number }>({ prefix: DEDUP });
      const sorted = [...entries].map(([key, v]) => [key.slice(DEDUP.length), v] as const).sort((a, b) => a[1].at - b[1].at);
      for (const [id, v] of sorted) this.stored.set(id, v.at);
      this.restore = sorted.map(([id, v]) => [id, v.ack]);
      if (this.running) {
        // woken by a request or the alarm after an eviction: reconnect now, and make sure the
        // watchdog is armed even if the alarm that kept us alive was lost
        await this.armWatchdog();
        this.revive().catch(() => {}); // logged in revive; the alarm retries
      }
    })().catch((err: unknown) => {
      this.booted = undefined; // let the next request or alarm retry
      throw err;
    });
    return this.booted;
  }

  /**
   * Makes sure a client is connecting or connected; resolves on its first open. Builds a new
   * client when there is none or the old one failed or stopped. `rethrow`: config errors
   * throw (for `start`), else they are logged (the alarm retries).
   */
  private revive(rethrow = false): Promise<void> {
    const current = this.client;
    if (current && ACTIVE.includes(current.status().state)) return current.start();
    let client: DingTalkStreamClient;
    try {
      if (current) {
        console.warn(`dingtalk-stream: the client is ${current.status().state}; starting a new one`);
        this.carryOver(current);
        void current.stop();
      } else if (!rethrow) {
        console.warn('dingtalk-stream: new object instance of a running bot; reconnecting');
      }
      client = this.createClient();
    } catch (err) {
      if (rethrow) throw err;
      console.error(`dingtalk-stream: cannot build the client: ${err instanceof DingTalkStreamError ? `${err.code} ${err.message}` : 'see the error'}`);
      return Promise.reject(err);
    }
    const inner = internals.get(client);
    if (inner) {
      inner.dedup.restore(this.restore.splice(0));
      inner.hooks = {
        remembered: (messageId, ack) => this.remember(messageId, ack),
        track: (work) => this.ctx.waitUntil?.(work),
      };
    } else {
      console.warn('dingtalk-stream: createClient() did not return the cloudflare DingTalkStreamClient; dedup state will not survive an eviction');
    }
    this.client = client;
    const opened = client.start();
    opened.catch((err: unknown) => {
      if (this.client === client) console.error(`dingtalk-stream: no connection: ${err instanceof DingTalkStreamError ? err.code : 'error'}; the watchdog retries`);
    });
    return opened;
  }

  /** Stops the current client and folds its counters into the retired ones. */
  private async retire(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.carryOver(client);
    await client.stop();
  }

  /** Detaches `client`, keeping its counters and remembered messages for the next one. */
  private carryOver(client: DingTalkStreamClient): void {
    this.retired = this.counters();
    this.client = undefined;
    const inner = internals.get(client);
    if (inner) {
      inner.hooks = undefined;
      this.restore = inner.dedup.snapshot();
    }
  }

  /** Writes a remembered dedup key (a messageId or a business id) with its outcome. Not awaited: the write is ordered ahead of the ack. */
  private remember(messageId: string, ack: string): void {
    const at = Date.now();
    this.stored.delete(messageId);
    this.stored.set(messageId, at);
    this.ctx.storage.put({ [DEDUP + messageId]: { ack, at }, [COUNTERS]: this.counters() }).catch((err: unknown) => {
      console.error('dingtalk-stream: could not store a dedup entry', err);
    });
  }

  /** Deletes stored dedup entries past the client's TTL or beyond its size bound. */
  private async prune(): Promise<void> {
    const settings = this.client?.settings;
    const ttl = settings?.dedupTtlMs ?? 10 * 60_000;
    const max = settings?.dedupMaxEntries ?? 10_000;
    const cutoff = Date.now() - ttl;
    const drop: string[] = [];
    for (const [id, at] of this.stored) {
      if (at > cutoff && this.stored.size - drop.length <= max) break; // oldest first
      drop.push(id);
    }
    for (const id of drop) this.stored.delete(id);
    for (let i = 0; i < drop.length; i += DELETE_BATCH) await this.ctx.storage.delete(drop.slice(i, i + DELETE_BATCH).map((id) => DEDUP + id));
  }

  private armWatchdog(): Promise<void> {
    const ms = Number(this.env.DINGTALK_WATCHDOG_MS);
    return this.ctx.storage.setAlarm(Date.now() + (Number.isFinite(ms) && ms > 0 ? ms : 30_000));
  }

  private counters(): RouterCounters {
    const now = this.client?.status().counters ?? ZERO;
    const sum = { ...ZERO };
    for (const key of Object.keys(sum) as Array<keyof RouterCounters>) sum[key] = (this.retired[key] ?? 0) + now[key];
    return sum;
  }
}

/**
 * A tiny Worker `fetch` handler: forwards `/start`, `/stop` and `/status` to the named bot
 * object (the object checks the token) and answers 404 to anything else.
 *
 * @example
 * ```ts
 * export default { fetch: (request: Request, env: Env) => routeControl(request, env.DINGTALK_BOT) };
 * ```
 */
export async function routeControl(request: Request, namespace: DurableObjectNamespaceLike, name = 'default'): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path !== '/start' && path !== '/stop' && path !== '/status') return json(404, { error: { code: 'NOT_FOUND', message: 'routes: POST /start, POST /stop, GET /status' } });
  return namespace.get(namespace.idFromName(name)).fetch(request);
}

/**
 * Compares two secrets in time independent of where they differ and of their lengths: both
 * are hashed with SHA-256 and the digests compared with no early exit (`timingSafeEqual`
 * where the runtime has it, as workerd does).
 *
 * @example
 * ```ts
 * await constantTimeEqual(given, env.DINGTALK_CONTROL_TOKEN); // true or false
 * ```
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [x, y] = await Promise.all([crypto.subtle.digest('SHA-256', encoder.encode(a)), crypto.subtle.digest('SHA-256', encoder.encode(b))]);
  const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual?: (a: ArrayBuffer, b: ArrayBuffer) => boolean };
  if (typeof subtle.timingSafeEqual === 'function') return subtle.timingSafeEqual(x, y);
  const p = new Uint8Array(x);
  const q = new Uint8Array(y);
  let diff = 0;
  for (let i = 0; i < p.length; i++) diff |= (p[i] as number) ^ (q[i] as number);
  return diff === 0;
}

/** `null` when the request carries the control token, else the refusal to send. */
async function authorize(request: Request, token: string | undefined): Promise<Response | null> {
  if (!token) return json(503, { error: { code: 'CONTROL_TOKEN_UNSET', message: 'set the DINGTALK_CONTROL_TOKEN secret to enable the control routes' } });
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (match && (await constantTimeEqual(match[1] as string, token))) return null;
  return json(401, { error: { code: 'UNAUTHORIZED', message: 'missing or wrong control token' } }, { 'www-authenticate': 'Bearer' });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}
