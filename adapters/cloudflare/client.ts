import { DingTalkStreamClient as CoreClient, type ClientOptions } from '../../src/client.js';
import type { CallbackHandler, EventHandler, HandlerOptions, StreamMessage } from '../../src/dispatch/message.js';
import type { TopicPayloads } from '../../src/protocol/payloads.js';
import type { DedupStore } from '../../src/dispatch/store.js';
import { globalPlatform } from '../../src/platform.js';

/** What a client tells the Durable Object running it, reachable only from this adapter. */
export interface ClientInternals {
  /** The dedup store the client was built with (the object checks it is its own). */
  store: DedupStore | undefined;
  /** Handler work the runtime must let finish (acks may already be out); set by the object. */
  track?: (work: Promise<unknown>) => void;
}

/** Per-client internals, kept out of the client's public API. */
export const internals = new WeakMap<object, ClientInternals>();

// The store of the object whose createClient() is running: a client built there (by the
// default createClient or by an override) dedups through the object's storage unless it was
// given a store of its own. createClient() is synchronous, so nothing else runs meanwhile.
let building: DedupStore | undefined;

/** Runs `build` so that the clients it constructs default to `store`. */
export function buildingWith<T>(store: DedupStore, build: () => T): T {
  building = store;
  try {
    return build();
  } finally {
    building = undefined;
  }
}

/**
 * {@link CoreClient} on workerd's globals (`WebSocket`, `fetch`), named `workerd` in the `ua`.
 * Inside a `DingTalkStreamDurableObject` it dedups through the object's storage (its
 * `dedupStore`) and its handlers are kept alive with `ctx.waitUntil`.
 *
 * @example
 * ```ts
 * const client = new DingTalkStreamClient({ clientId: env.DINGTALK_CLIENT_ID, clientSecret: env.DINGTALK_CLIENT_SECRET });
 * ```
 */
export class DingTalkStreamClient extends CoreClient {
  constructor(options: ClientOptions) {
    const dedupStore = options.dedupStore ?? building;
    super({ ...options, clientId: options.clientId, clientSecret: options.clientSecret, platform: options.platform ?? globalPlatform('workerd'), ...(dedupStore ? { dedupStore } : {}) });
    internals.set(this, { store: dedupStore });
  }

  override registerCallbackHandler<K extends keyof TopicPayloads>(topic: K, handler: CallbackHandler<TopicPayloads[K]>, options?: HandlerOptions): this;
  override registerCallbackHandler<T = unknown>(topic: string, handler: CallbackHandler<T>, options?: HandlerOptions): this;
  override registerCallbackHandler(topic: string, handler: CallbackHandler<any>, options?: HandlerOptions): this {
    return super.registerCallbackHandler(topic, this.tracking(handler), options);
  }

  override registerAllEventHandler<T = unknown>(handler: EventHandler<T>, options?: HandlerOptions): this {
    return super.registerAllEventHandler<T>(this.tracking(handler), options);
  }

  /** The handler with its work handed to `ctx.waitUntil`; anything but a function is passed on for the core to refuse. */
  private tracking<H>(handler: H): H {
    if (typeof handler !== 'function') return handler;
    return ((message: unknown) => this.tracked(() => (handler as (m: unknown) => unknown)(message))) as H;
  }

  private tracked<R>(run: () => R): Promise<Awaited<R>> {
    const work = Promise.resolve().then(run) as Promise<Awaited<R>>;
    internals.get(this)?.track?.(work.catch(() => {}));
    return work;
  }
}
