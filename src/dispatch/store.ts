import type { Outcome } from '../protocol/acks.js';

/**
 * What a {@link DedupStore} says when asked to claim a message: `claimed` (nobody had it: run
 * the handler), `done` (handled already, here is the outcome to ack with), or `pending`
 * (another process claimed it and has not finished).
 *
 * @example
 * ```ts
 * const claim: Claim = { state: 'done', outcome: '{"code":200,"message":"OK","data":"{\\"response\\":null}"' };
 * ```
 */
export type Claim = { state: 'claimed' } | { state: 'done'; outcome: Outcome } | { state: 'pending' };

/**
 * Where the dedup keys of several processes meet, so that a redelivery landing on another
 * process (the gateway spreads pushes over every connection of the app) is not handled
 * twice. The key is the business id of a message (`msg:<msgId>`, `evt:<eventId>`, or a
 * payload key for card callbacks; the messageId when there is none). The client keeps its
 * own in-memory window in front of the store for duplicates within the process.
 *
 * Contract:
 * - `claim` is atomic across processes: of all concurrent claims of one key, exactly one
 *   gets `claimed`. A claim is a lease of `leaseMs`; a process that dies while handling lets
 *   the key be claimed again after it.
 * - `settle` with an outcome remembers it for `ttlMs`; with `undefined` it releases the key
 *   (a failed or LATER outcome), so the gateway's next redelivery is claimed afresh.
 * - Neither may reject nor hang for long: a store that cannot reach its backend answers
 *   `claimed` (the process falls back to its own window) and says so once in the log.
 *
 * Implementations: the in-memory `DedupWindow` (the default, one process), `RedisDedupStore`
 * (`dingtalk-stream-universal/redis`), and the Durable Object's storage (`/cloudflare`).
 *
 * @example
 * ```ts
 * const client = new DingTalkStreamClient({ clientId, clientSecret, dedupStore: new RedisDedupStore({ url: 'redis://127.0.0.1:6379' }) });
 * ```
 */
export interface DedupStore {
  claim(key: string, leaseMs: number): Claim | Promise<Claim>;
  settle(key: string, outcome: Outcome | undefined, ttlMs: number): void | Promise<void>;
}
