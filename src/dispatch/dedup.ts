import type { Outcome } from '../protocol/acks.js';
import type { Claim, DedupStore } from './store.js';

/**
 * Dedup of the gateway's redeliveries (protocol.md §10.1: the gateway waits ~2 s for an ack,
 * then redelivers at-least-once, each time under a NEW messageId), by one key per message:
 * - the business id, the one thing a redelivery keeps: `data.msgId` of a chatbot message
 *   (key `msg:<msgId>`) and `headers.eventId` of an event (key `evt:<eventId>`); the same
 *   delivery seen twice has it too, so the messageId adds nothing and is not kept;
 * - `headers.messageId` only for a message with no business id and no payload key (below).
 * Card callbacks and graph API calls carry no business id: a card callback holds the card's
 * `outTrackId`, the user and the button's params, and nothing that differs from one press to
 * the next; a graph call holds the request line, headers and body. So for them the whole
 * payload is the key (`raw:<topic>`, its length and a 53-bit hash of `data`, short enough
 * for Durable Object storage keys and cheap to hold): a frame of the same topic with identical
 * `data` counts as a redelivery, which makes a lost ack (a socket that died before it got
 * through) harmless, and answers a double click once. The same press repeated on purpose
 * within the window gets the stored answer too; a card that must act on every press puts
 * something that changes into its button's params.
 *
 * The guarantee: for as long as a key is remembered, at least `ttlMs` (default 10 min) unless
 * more than `maxEntries` (default 10 000) keys pass through first, the handler runs once per
 * key. A duplicate of a message still in flight waits for its outcome and is acked the same
 * way; a duplicate of a finished one gets the stored outcome, addressed to its own messageId.
 * Only outcomes that end delivery are remembered: a LATER or an error is forgotten so that
 * the gateway's next redelivery reaches the handler again.
 */

/**
 * The dedup key of a payload with no business id: topic, length and a 53-bit hash of `data`
 * (two 32-bit multiply-xor lanes), so that a collision needs the same topic, the same length
 * and the same 53 bits.
 *
 * @example
 * ```ts
 * payloadKey('/v1.0/card/instances/callback', '{"outTrackId":"c1"}'); // 'raw:/v1.0/card/instances/callback 19 …'
 * ```
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

/**
 * What the window knows about a key: in flight (with the duplicates waiting for its outcome),
 * or done with the outcome that was acked.
 *
 * @example
 * ```ts
 * const seen = window.get('msg:msgA1');
 * if (seen && !seen.waiters) console.log('already answered with', seen.outcome);
 * ```
 */
export interface DedupEntry {
  /** The outcome once the message is done (re-sent to every redelivery). */
  outcome?: Outcome;
  /** Present while in flight: duplicates waiting for the outcome. */
  waiters?: Array<(outcome: Outcome | undefined) => void>;
}

/** The maps of a window with no key yet (~380 bytes less per idle client); nothing is ever set in it. */
const NONE = new Map<string, never>();

/**
 * The in-memory dedup window, the default {@link DedupStore} (one process): keys in two
 * generations. Lookups see both, new keys go to the current one, and when it is `ttlMs` old or
 * holds half of `maxEntries` the previous generation is dropped whole and the current one
 * takes its place: O(1) work per message and no timestamp per key. A done key holds just its
 * outcome string (one shared string for every chatbot ack), so a remembered message costs its
 * key and a map slot; only a key in flight holds an entry object.
 *
 * @example
 * ```ts
 * const d = new DedupWindow(10 * 60_000, 10_000);
 * d.get('m1'); // undefined: first time
 * ```
 */
export class DedupWindow implements DedupStore {
  // both start as the shared empty map (only ever read): an idle client holds no map of its own
  #current: Map<string, Outcome | DedupEntry> = NONE;
  #previous: Map<string, Outcome | DedupEntry> = NONE;
  #since = performance.now();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The entry for `key`, if it is still remembered. */
  get(key: string): DedupEntry | undefined {
    const seen = this.#current.get(key) ?? this.#previous.get(key);
    return typeof seen == 'string' ? { outcome: seen } : seen;
  }

  /** Marks `key` as in flight. */
  begin(key: string): DedupEntry {
    const entry: DedupEntry = { waiters: [] };
    this.#set(key, entry);
    return entry;
  }

  /**
   * Records the outcome of `key` (begun or not): remembered when it ends delivery
   * (`remember`), else the key is forgotten. Duplicates that waited get the outcome either way.
   */
  finish(key: string, result: Outcome | undefined, remember: boolean): void {
    const prev = this.#current.get(key) ?? this.#previous.get(key);
    this.#previous.delete(key);
    if (remember && result !== undefined) this.#set(key, result);
    else this.#current.delete(key);
    if (typeof prev == 'object') for (const w of prev.waiters!) w(result);
  }

  /** {@link DedupStore.claim} for one process (a lease needs no expiry here: the process is the lease). */
  claim(key: string): Claim {
    const seen = this.get(key);
    if (!seen) {
      this.begin(key);
      return { state: 'claimed' };
    }
    return seen.waiters ? { state: 'pending' } : { state: 'done', outcome: seen.outcome! };
  }

  /** {@link DedupStore.settle}: remembers the outcome, or forgets the key. */
  settle(key: string, result: Outcome | undefined): void {
    this.finish(key, result, result !== undefined);
  }

  #set(key: string, value: Outcome | DedupEntry): void {
    const now = performance.now();
    if (this.#current == NONE || this.#current.size * 2 >= this.maxEntries || now - this.#since >= this.ttlMs) {
      // in-flight entries are never dropped: they move on with the generation
      // (forEach: no [key, value] pair allocated for each of the thousands of keys dropped)
      this.#previous.forEach((e, k) => typeof e == 'object' && this.#current.set(k, e));
      this.#previous = this.#current;
      this.#current = new Map();
      this.#since = now;
      // the key may be in the generation just retired (begun there, finished now): one copy only
      this.#previous.delete(key);
    }
    this.#current.set(key, value);
  }
}
