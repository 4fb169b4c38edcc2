import type { Outcome } from '../protocol/acks.js';

/**
 * A {@link DedupStore}'s answer to a claim: `claimed` (run the handler), `done` (handled: ack with this outcome) or `pending` (another process has it).
 * @example `const claim: Claim = { state: 'done', outcome: '{"code":200,"message":"OK","data":"{\\"response\\":null}"' };`
 */
export type Claim = { state: 'claimed' } | { state: 'done'; outcome: Outcome } | { state: 'pending' };
/**
 * Where the dedup keys (`msg:<msgId>`, `evt:<eventId>`, a card callback's payload key, else the messageId) of several processes meet, so that a redelivery
 * landing on another process is not handled twice; each process keeps its own window in front of it. The contract: `claim` is atomic (of concurrent claims of a
 * key exactly one gets `claimed`) and a lease of `leaseMs`; `settle` with an outcome remembers it for `ttlMs`, with `undefined` releases the key (a failure or
 * LATER: the next redelivery is claimed afresh); neither should reject or hang (a store that cannot reach its backend answers `claimed`). Implementations:
 * `RedisDedupStore` (`/redis`) and the Durable Object's storage (`/cloudflare`). @example `const client = new DingTalkStreamClient({ clientId, clientSecret,
 * dedupStore: new RedisDedupStore({ url: 'redis://127.0.0.1:6379' }) });`
 */
export interface DedupStore {
  claim(key: string, leaseMs: number): Claim | Promise<Claim>;
  settle(key: string, outcome: Outcome | undefined, ttlMs: number): void | Promise<void>;
}
