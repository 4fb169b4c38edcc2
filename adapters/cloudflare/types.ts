import type { ClientStatus } from '../../src/client.js';

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
  // the id that idFromName returned, whatever the runtime's type for it
  get(id: ReturnType<this['idFromName']>): { fetch(request: Request): Promise<Response> };
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
