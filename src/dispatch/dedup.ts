/**
 * What the dedup window knows about a `messageId`: still being handled, or done with the
 * ack that was sent (re-sent as is when the gateway redelivers).
 */
export type DedupEntry = { state: 'inflight'; waiters: Array<(ack: string | undefined) => void> } | { state: 'done'; ack: string };

/**
 * A window of recently handled `messageId`s in two generations: lookups see both, new
 * entries go to the current one, and when it is `ttlMs` old or holds half of `maxEntries`
 * the previous generation is dropped whole and the current one takes its place. So an id is
 * remembered for at least `ttlMs` (unless a flood pushes more than `maxEntries` through it
 * first) and never more than `maxEntries` are held — with O(1) work per message and no
 * timestamp per entry. Only successful outcomes are remembered: a message acked LATER or with
 * an error is forgotten so that the gateway's redelivery reaches the handler again.
 *
 * @example
 * ```ts
 * const d = new DedupWindow(5 * 60_000, 10_000);
 * d.get('m1'); // undefined: first time
 * ```
 */
export class DedupWindow {
  #current = new Map<string, DedupEntry>();
  #previous = new Map<string, DedupEntry>();
  #since = performance.now();
  /**
   * Called synchronously when an outcome is remembered, before its ack is sent (the Durable
   * Object adapter persists it here so the window survives an eviction).
   */
  onRemember: ((messageId: string, ack: string) => void) | undefined;
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The entry for `messageId`, if it is still remembered. */
  get(messageId: string): DedupEntry | undefined {
    return this.#current.get(messageId) ?? this.#previous.get(messageId);
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
    const prev = this.get(messageId);
    this.#previous.delete(messageId);
    if (remember && ack !== undefined) {
      this.#set(messageId, { state: 'done', ack });
      this.onRemember?.(messageId, ack);
    } else this.#current.delete(messageId);
    if (prev?.state === 'inflight') for (const w of prev.waiters) w(ack);
  }

  /** Seeds the window with ids handled elsewhere (e.g. restored from Durable Object storage). */
  restore(items: Iterable<[messageId: string, ack: string]>): void {
    for (const [id, ack] of items) this.#set(id, { state: 'done', ack });
  }

  /** The remembered (done) entries, older generation first, for persistence. */
  snapshot(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const map of [this.#previous, this.#current]) for (const [id, e] of map) if (e.state === 'done') out.push([id, e.ack]);
    return out;
  }

  #set(messageId: string, entry: DedupEntry): void {
    const now = performance.now();
    if (this.#current.size * 2 >= this.maxEntries || now - this.#since >= this.ttlMs) {
      // in-flight entries are never dropped: they move on with the generation
      for (const [id, e] of this.#previous) if (e.state === 'inflight') this.#current.set(id, e);
      this.#previous = this.#current;
      this.#current = new Map();
      this.#since = now;
    }
    this.#current.set(messageId, entry);
  }
}
