import type { Claim, DedupStore } from '../../src/dispatch/store.js';
import type { Outcome } from '../../src/protocol/acks.js';
import type { DurableObjectStorageLike } from './types.js';

/** Storage keys: one per dedup key, so no value outgrows the per-value limit. */
const PREFIX = 'dingtalk:dedup:';
/** Keys per `storage.delete` call (the API's limit). */
const DELETE_BATCH = 128;

/**
 * A {@link DedupStore} in Durable Object storage: one bot is one object, so this is the
 * store of its only process, but it outlives the process. Outcomes are written one key each
 * (`dingtalk:dedup:<msg:…|evt:…|messageId>` → `{ outcome, at }`); the write starts inside
 * `settle`, which the router calls just before it sends the ack, and workerd's output gate
 * holds the ack until the write has landed. An index in memory, loaded once per instance,
 * answers claims without a storage read.
 *
 * @example
 * ```ts
 * const store = new DurableObjectDedupStore(ctx.storage);
 * await store.load();
 * const client = new DingTalkStreamClient({ clientId, clientSecret, dedupStore: store });
 * ```
 */
export class DurableObjectDedupStore implements DedupStore {
  readonly #storage: DurableObjectStorageLike;
  readonly #alsoWrite: () => Record<string, unknown>;
  /** Stored keys, oldest first, with their outcome and the wall-clock ms they were stored. */
  readonly #index = new Map<string, { outcome: Outcome; at: number }>();
  readonly #pending = new Set<string>();

  /** `alsoWrite`: entries written along with every outcome (the object's counters). */
  constructor(storage: DurableObjectStorageLike, alsoWrite: () => Record<string, unknown> = () => ({})) {
    this.#storage = storage;
    this.#alsoWrite = alsoWrite;
  }

  /** How many outcomes are stored. */
  get size(): number {
    return this.#index.size;
  }

  /** Loads the index from storage (once per object instance, before the first claim). */
  async load(): Promise<void> {
    const entries = await this.#storage.list<{ outcome?: Outcome; at: number }>({ prefix: PREFIX });
    const sorted = [...entries].filter(([, v]) => typeof v.outcome === 'string').sort((a, b) => a[1].at - b[1].at);
    for (const [key, v] of sorted) this.#index.set(key.slice(PREFIX.length), { outcome: v.outcome!, at: v.at });
  }

  claim(key: string): Claim {
    const stored = this.#index.get(key);
    if (stored) return { state: 'done', outcome: stored.outcome };
    if (this.#pending.has(key)) return { state: 'pending' };
    this.#pending.add(key);
    return { state: 'claimed' };
  }

  settle(key: string, outcome: Outcome | undefined): void {
    this.#pending.delete(key);
    if (outcome === undefined) return;
    const at = Date.now();
    this.#index.delete(key);
    this.#index.set(key, { outcome, at });
    // not awaited: started before the ack is sent, which is what the output gate orders
    this.#storage.put({ [PREFIX + key]: { outcome, at }, ...this.#alsoWrite() }).catch((err: unknown) => {
      console.error('dingtalk-stream: could not store a dedup entry', err);
    });
  }

  /** Deletes outcomes older than `ttlMs` or beyond the newest `maxEntries` (the watchdog calls it). */
  async prune(ttlMs: number, maxEntries: number): Promise<void> {
    const cutoff = Date.now() - ttlMs;
    const drop: string[] = [];
    for (const [key, { at }] of this.#index) {
      if (at > cutoff && this.#index.size - drop.length <= maxEntries) break; // oldest first
      drop.push(key);
    }
    for (const key of drop) this.#index.delete(key);
    for (let i = 0; i < drop.length; i += DELETE_BATCH) await this.#storage.delete(drop.slice(i, i + DELETE_BATCH).map((key) => PREFIX + key));
  }
}
