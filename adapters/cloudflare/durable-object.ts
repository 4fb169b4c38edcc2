import type { ClientOptions, ClientStatus } from '../../src/client.js';
import type { ClientCounters } from '../../src/dispatch/router.js';
import { DingTalkStreamError } from '../../src/errors.js';
import { buildingWith, DingTalkStreamClient, internals } from './client.js';
import { serveControl } from './control.js';
import { DurableObjectDedupStore } from './dedup-store.js';
import type { BotStatus, DingTalkStreamEnv, DurableObjectStateLike } from './types.js';

/** Storage keys (the dedup store keeps its own under `dingtalk:dedup:`). */
const RUNNING = 'dingtalk:running';
const COUNTERS = 'dingtalk:counters';
const ACTIVE: ReadonlyArray<ClientStatus['state']> = ['connecting', 'open', 'reconnecting'];
const ZERO: ClientCounters = { received: 0, acked: 0, duplicates: 0, malformed: 0, handlerErrors: 0, handlerTimeouts: 0, overflow: 0, unknownTopic: 0, stale: 0 };

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
 * - Its dedup store ({@link DurableObjectDedupStore}) and the counters live in storage, so a
 *   redelivery reaching a new instance (by `msgId` / `eventId`) is acked again rather than
 *   handled twice.
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
  private retired: ClientCounters = { ...ZERO };
  /** Dedup in this object's storage, shared by every client it builds; give it to a client you build yourself. */
  protected readonly dedupStore: DurableObjectDedupStore;

  constructor(ctx: DurableObjectStateLike, env: Env) {
    this.ctx = ctx;
    this.env = env;
    // the counters ride along with every stored outcome, so status stays cumulative
    this.dedupStore = new DurableObjectDedupStore(ctx.storage, () => ({ [COUNTERS]: this.counters() }));
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
   * build the client elsewhere; a {@link DingTalkStreamClient} of this module constructed
   * while it runs dedups through the object's storage ({@link dedupStore}), so dedup
   * survives an eviction.
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
    return serveControl(request, this.env.DINGTALK_CONTROL_TOKEN, {
      start: () => this.startBot(),
      stop: () => this.stopBot(),
      status: async () => {
        await this.boot();
        return this.botStatus();
      },
    });
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
    // with no client (its createClient failed) there is nothing to prune by
    if (this.client) await this.dedupStore.prune(this.client.settings.dedupTtlMs, this.client.settings.dedupMaxEntries);
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
    return { ...status, counters: this.counters(), running: this.running, instance: this.instance, dedupStored: this.dedupStore.size };
  }

  /** Loads the stored state once per instance; a fresh instance of a running bot reconnects. */
  private boot(): Promise<void> {
    this.booted ??= (async () => {
      const storage = this.ctx.storage;
      this.running = (await storage.get<boolean>(RUNNING)) === true;
      this.retired = { ...ZERO, ...(await storage.get<ClientCounters>(COUNTERS)) };
      await this.dedupStore.load();
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
      client = buildingWith(this.dedupStore, () => this.createClient());
    } catch (err) {
      if (rethrow) throw err;
      console.error(`dingtalk-stream: cannot build the client: ${err instanceof DingTalkStreamError ? `${err.code} ${err.message}` : 'see the error'}`);
      return Promise.reject(err);
    }
    const inner = internals.get(client);
    if (inner) inner.track = (work) => this.ctx.waitUntil?.(work);
    if (inner?.store !== this.dedupStore) {
      console.warn("dingtalk-stream: createClient() returned a client that does not dedup through the object's storage; dedup will not survive an eviction");
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

  /** Detaches `client`, keeping its counters for the next one. */
  private carryOver(client: DingTalkStreamClient): void {
    this.retired = this.counters();
    this.client = undefined;
    const inner = internals.get(client);
    if (inner) inner.track = undefined;
  }

  private armWatchdog(): Promise<void> {
    const ms = Number(this.env.DINGTALK_WATCHDOG_MS);
    return this.ctx.storage.setAlarm(Date.now() + (Number.isFinite(ms) && ms > 0 ? ms : 30_000));
  }

  private counters(): ClientCounters {
    const now = this.client?.status().counters ?? ZERO;
    const sum = { ...ZERO };
    for (const key of Object.keys(sum) as Array<keyof ClientCounters>) sum[key] = (this.retired[key] ?? 0) + now[key];
    return sum;
  }
}
