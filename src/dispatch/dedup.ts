/**
 * What the dedup window knows about a `messageId`: still being handled, or done with the
 * ack that was sent (re-sent as is when the gateway redelivers).
 */
export type DedupEntry = { state: 'inflight'; waiters: Array<(ack: string | undefined) => void> } | { state: 'done'; ack: string };

/**
 * A time-to-live window of recently handled `messageId`s, bounded in size. Only successful
 * outcomes are remembered: a message acked LATER or with an error is forgotten so that the
 * gateway's redelivery reaches the handler again.
 *
 * @example
 * ```ts
 * const d = new DedupWindow(5 * 60_000, 10_000);
 * d.get('m1'); // undefined: first time
 * ```
 */
export class DedupWindow {
  readonly #entries = new Map<string, { entry: DedupEntry; at: number }>();
  #expiredAt = -Infinity;
  /**
   * Called synchronously when an outcome is remembered, before its ack is sent (the Durable
   * Object adapter persists it here so the window survives an eviction).
   */
  onRemember: ((messageId: string, ack: string) => void) | undefined;
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The live entry for `messageId`, if any (expired ones are dropped on the way). */
  get(messageId: string): DedupEntry | undefined {
    this.#expire();
    return this.#entries.get(messageId)?.entry;
  }

  /** Marks `messageId` as being handled now. */
  begin(messageId: string): void {
    this.#set(messageId, { state: 'inflight', waiters: [] });
  }

  /**
   * Records the outcome. `ack` is remembered when the outcome should stop redelivery;
   * `undefined` forgets the id. Waiters (duplicates that arrived meanwhile) get the ack.
   */
  finish(messageId: string, ack: string | undefined, remember: boolean): void {
    const prev = this.#entries.get(messageId)?.entry;
    if (remember && ack !== undefined) {
      this.#set(messageId, { state: 'done', ack });
      this.onRemember?.(messageId, ack);
    } else this.#entries.delete(messageId);
    if (prev?.state === 'inflight') for (const w of prev.waiters) w(ack);
  }

  /** Seeds the window with ids handled elsewhere (e.g. restored from Durable Object storage). */
  restore(items: Iterable<[messageId: string, ack: string]>): void {
    for (const [id, ack] of items) this.#set(id, { state: 'done', ack });
  }

  /** The remembered (done) entries, oldest first, for persistence. */
  snapshot(): Array<[string, string]> {
    this.#expire();
    const out: Array<[string, string]> = [];
    for (const [id, { entry }] of this.#entries) if (entry.state === 'done') out.push([id, entry.ack]);
    return out;
  }

  #set(messageId: string, entry: DedupEntry): void {
    this.#entries.delete(messageId); // re-insert at the end: Map keeps insertion order
    this.#entries.set(messageId, { entry, at: performance.now() });
    if (this.#entries.size > this.maxEntries) {
      // evict the oldest tenth in one pass, so the walk over the Map's front is amortised
      const keep = this.maxEntries * 0.9;
      for (const [id, e] of this.#entries) {
        if (this.#entries.size <= keep) break;
        if (e.entry.state === 'done') this.#entries.delete(id);
        else break; // never evict an in-flight entry
      }
    }
  }

  #expire(): void {
    // At most once a second: deleting from the front of a Map leaves holes that every
    // iteration walks until V8 compacts it, so per-message expiry would cost O(window).
    const now = performance.now();
    if (now - this.#expiredAt < 1000) return;
    this.#expiredAt = now;
    const cutoff = now - this.ttlMs;
    for (const [id, e] of this.#entries) {
      if (e.at > cutoff) break; // insertion order = age order
      if (e.entry.state === 'done') this.#entries.delete(id);
      else break;
    }
  }
}
