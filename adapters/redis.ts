/**
 * `dingtalk-stream-universal/redis`: a {@link DedupStore} on Redis or Valkey, so that every
 * process of one bot shares its dedup keys. Uses Redis's official Node client (`redis`, an
 * optional peer dependency: install it yourself, `npm install redis`), or any client you
 * pass that has `sendCommand`.
 *
 * @example
 * ```ts
 * import { DingTalkStreamClient } from 'dingtalk-stream-universal';
 * import { RedisDedupStore } from 'dingtalk-stream-universal/redis';
 * const dedupStore = new RedisDedupStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
 * const client = new DingTalkStreamClient({ clientId, clientSecret, dedupStore });
 * ```
 * @module
 */
import type { Claim, DedupStore } from '../src/dispatch/store.js';
import type { Logger } from '../src/logger.js';
import { ms, opt, readOptions, val, type OptionsOf } from '../src/options.js';
import type { Outcome } from '../src/protocol/acks.js';

/**
 * The one method the store needs from a Redis client (node-redis has it; so can a wrapper
 * around another client).
 *
 * @example
 * ```ts
 * const client: RedisCommander = createClient({ url }); await client.connect();
 * ```
 */
export interface RedisCommander {
  sendCommand(args: string[]): Promise<unknown>;
}

// the options table: kind and default of each (see `readOptions`)
const REDIS = {
  /** Where Redis is (`redis://…`, `rediss://…`): the store makes the client, and closes it in {@link RedisDedupStore.close}. */
  url: opt<string>('string'),
  /** A client you made and connected instead (you close it). */
  client: opt<RedisCommander>('object'),
  /** Prepended to every key (default `dingtalk:dedup:`); give each bot its own when they share a Redis. */
  prefix: val('string', 'dingtalk:dedup:'),
  /** How long one command may take before this process decides alone (default 500 ms). */
  timeoutMs: ms(500),
  /** Where the "Redis unreachable" warning and the "back" line go (default `console`; `null` for none). */
  logger: val<Pick<Logger, 'warn' | 'info'> | null>('object', console),
};

/**
 * Options of {@link RedisDedupStore}: a `url` (the store makes and owns its client) or a
 * `client` you made and connected (you close it). An unknown key is a `CONFIG` error naming
 * the option it probably meant.
 *
 * @example
 * ```ts
 * const options: RedisDedupStoreOptions = { url: 'redis://:password@redis.internal:6379/0', prefix: 'calc-bot:' };
 * ```
 */
export type RedisDedupStoreOptions = OptionsOf<typeof REDIS>;

// Atomic claim: the stored outcome if there is one, '' while another process holds the lease,
// nil (and the lease taken) when nobody had it.
const CLAIM = "local v = redis.call('GET', KEYS[1]) if v then return v end redis.call('SET', KEYS[1], '', 'PX', ARGV[1]) return false";

/**
 * Dedup keys in Redis or Valkey. A claim is one atomic script (GET, else SET with a lease),
 * outcomes are stored with `PX` so every key expires, and keys carry a prefix. When Redis
 * cannot be reached, each call answers `claimed` within `timeoutMs` (the process falls back
 * to its own in-memory window), the first failure is logged once, and the store recovers by
 * itself when Redis answers again: an ack never waits for Redis longer than `timeoutMs`.
 *
 * @example
 * ```ts
 * const store = new RedisDedupStore({ url: 'redis://127.0.0.1:6379' });
 * const client = new DingTalkStreamClient({ clientId, clientSecret, dedupStore: store });
 * process.once('SIGTERM', async () => { await client.stop(); await store.close(); });
 * ```
 */
export class RedisDedupStore implements DedupStore {
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #logger: Pick<Logger, 'warn' | 'info'> | undefined;
  readonly #url: string | undefined;
  #client: Promise<RedisCommander & { destroy?(): void }> | undefined;
  #down = false;

  constructor(options: RedisDedupStoreOptions) {
    const o = readOptions('RedisDedupStore', REDIS, options);
    if (!o.url && !o.client) throw new TypeError('RedisDedupStore needs a url or a client');
    this.#prefix = o.prefix;
    this.#timeoutMs = o.timeoutMs;
    this.#logger = o.logger ?? undefined;
    this.#url = o.url;
    if (o.client) this.#client = Promise.resolve(o.client);
  }

  async claim(key: string, leaseMs: number): Promise<Claim> {
    const value = await this.#send(['EVAL', CLAIM, '1', this.#prefix + key, String(Math.max(1, Math.round(leaseMs)))]);
    if (value === undefined || value === null) return { state: 'claimed' }; // ours, or Redis is away
    return value === '' ? { state: 'pending' } : { state: 'done', outcome: String(value) };
  }

  async settle(key: string, outcome: Outcome | undefined, ttlMs: number): Promise<void> {
    await this.#send(outcome === undefined ? ['DEL', this.#prefix + key] : ['SET', this.#prefix + key, outcome, 'PX', String(Math.max(1, Math.round(ttlMs)))]);
  }

  /** Closes the client this store made from `url` (a client you passed is yours to close). */
  async close(): Promise<void> {
    if (!this.#url || !this.#client) return;
    const client = await this.#client.catch(() => undefined);
    this.#client = undefined;
    client?.destroy?.();
  }

  /** One command with a deadline; `undefined` when Redis did not answer (logged once per outage). */
  async #send(args: string[]): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const client = await (this.#client ??= this.#connect());
      const reply = await Promise.race([
        client.sendCommand(args),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs))),
      ]);
      if (this.#down) {
        this.#down = false;
        this.#logger?.info('[dingtalk-stream] Redis is back: dedup is shared across processes again');
      }
      return reply;
    } catch (err) {
      if (!this.#down) {
        this.#down = true;
        this.#logger?.warn(`[dingtalk-stream] Redis unreachable (${this.#describe(err)}): deduplicating in this process only until it returns`);
      }
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * node-redis from the `redis` package, reconnecting by itself (at least once a second, so
   * sharing resumes within a second of Redis coming back); commands fail at once while offline.
   */
  async #connect(): Promise<RedisCommander & { destroy?(): void }> {
    const { createClient } = await import('redis');
    const client = createClient({ url: this.#url, disableOfflineQueue: true, socket: { connectTimeout: this.#timeoutMs, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 1_000) } });
    client.on('error', () => {}); // reported through the failing commands, once per outage
    // the first commands wait for the connection a little; after that it retries by itself
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([client.connect().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, this.#timeoutMs)))]);
    clearTimeout(timer);
    return client as unknown as RedisCommander & { destroy?(): void };
  }

  /** The root cause, without the password a `redis://user:password@host` URL may carry. */
  #describe(err: unknown): string {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const password = this.#url ? safeUrl(this.#url)?.password : undefined;
    return password ? text.split(decodeURIComponent(password)).join('***').split(password).join('***') : text;
  }
}

function safeUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
