import type { Outcome } from '../protocol/acks.js';
import type { DedupEffect } from './policy.js';
import type { Claim, DedupStore } from './store.js';

/**
 * The dedup key of a payload with no business id (card callbacks, graph calls): topic, length and a 53-bit hash of `data`. Nothing in a card callback differs
 * from one press to the next, so identical `data` counts as a redelivery (a lost ack is harmless, a double click answered once).
 */
export function payloadKey(topic: string, data: string): string {
  let a = 0x9e3779b9;
  let b = 0x85ebca6b;
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    a = Math.imul(a ^ c, 0x9e3779b1);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b) ^ Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b = Math.imul(b ^ (b >>> 16), 0x85ebca6b) ^ Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  return `raw:${topic} ${data.length} ${(2097151 & b) * 4294967296 + (a >>> 0)}`;
}
/** A key in flight: the duplicates waiting for its ack. */
export interface InFlight {
  waiters: Array<(ack: Outcome | undefined) => void>;
}
/** An idle window's maps: one shared empty map, never written, until the first key. */
const NONE = new Map<string, never>();
const claimed: Claim = { state: 'claimed' };
/**
 * Dedup of the gateway's redeliveries (at-least-once, each under a new messageId: protocol.md §10.1), one key per delivery: this process's window, then the
 * shared {@link DedupStore}. While a key is remembered (at least `ttlMs`, unless `maxEntries` keys pass first) its handler runs once; a duplicate in flight
 * waits for its ack, one of a done key gets the stored ack. Two generations of keys, dropped whole when the current one is `ttlMs` old or half full: O(1) per
 * message, no timestamp per key.
 */
export class Dedup {
  #current: Map<string, Outcome | InFlight> = NONE;
  #previous: Map<string, Outcome | InFlight> = NONE;
  #since = performance.now();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    readonly store?: DedupStore,
  ) {}
  /** The ack remembered for `key`, or its waiters while it is in flight. */
  get(key: string): Outcome | InFlight | undefined {
    return this.#current.get(key) ?? this.#previous.get(key);
  }
  /** Marks `key` as in flight. */
  begin(key: string): void {
    this.#set(key, { waiters: [] });
  }
  /** Asks the shared store; a store that throws or rejects leaves this process to decide alone. */
  claim(key: string, leaseMs: number): Promise<Claim> {
    return new Promise<Claim>((resolve) => resolve(this.store!.claim(key, leaseMs))).catch(() => claimed);
  }
  /**
   * Applies a decision's effect to `key`: remember `ack`, or forget the key (here, and in the store when this process holds its claim: `own`). Waiting
   * duplicates get `ack` either way.
   */
  settle(key: string, ack: Outcome | undefined, effect: DedupEffect, own: boolean): void {
    if (effect === 'keep') return;
    const remember = effect === 'remember';
    const prev = this.get(key);
    this.#previous.delete(key);
    if (remember) this.#set(key, ack!);
    else this.#current.delete(key);
    if (typeof prev === 'object') for (const w of prev.waiters) w(ack);
    const { store } = this;
    // a store must neither throw nor reject; if it does, this process's window still holds
    if (own && store) new Promise<void>((resolve) => resolve(store.settle(key, remember ? ack : undefined, this.ttlMs))).catch(() => {});
  }
  #set(key: string, value: Outcome | InFlight): void {
    const now = performance.now();
    if (this.#current === NONE || this.#current.size * 2 >= this.maxEntries || now - this.#since >= this.ttlMs) {
      // in-flight keys move on with the generation; done ones in the oldest are dropped
      this.#previous.forEach((e, k) => typeof e === 'object' && this.#current.set(k, e));
      this.#previous = this.#current;
      this.#current = new Map();
      this.#since = now;
      this.#previous.delete(key); // begun in the generation just retired, finished now: one copy
    }
    this.#current.set(key, value);
  }
}
