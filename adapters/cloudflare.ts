/**
 * Cloudflare adapter: the core on workerd's globals, plus {@link DingTalkStreamDurableObject},
 * a Durable Object that holds the outbound Stream connection, revives it from an alarm after
 * an eviction or restart, keeps its dedup store and counters in Durable Object storage, and
 * answers `start` / `stop` / `status` only to callers with the control token.
 *
 * Glue only, one concern per file under adapters/cloudflare/: the client on workerd
 * (client.ts), the storage-backed dedup store (dedup-store.ts), the object's lifecycle and
 * watchdog (durable-object.ts), the control routes (control.ts) and the runtime's types,
 * declared structurally so nothing needs `@cloudflare/workers-types` (types.ts).
 *
 * @example
 * ```ts
 * import { DingTalkStreamDurableObject, TOPIC_ROBOT, routeControl } from 'dingtalk-stream-universal/cloudflare';
 * export class Bot extends DingTalkStreamDurableObject {
 *   protected override register(client) {
 *     client.registerCallbackHandler(TOPIC_ROBOT, async (msg) => null);
 *   }
 * }
 * export default { fetch: (req: Request, env: { BOT: DurableObjectNamespaceLike }) => routeControl(req, env.BOT) };
 * ```
 * @module
 */
export * from '../src/index.js';
export { DingTalkStreamClient } from './cloudflare/client.js';
export { DingTalkStreamDurableObject } from './cloudflare/durable-object.js';
export { DurableObjectDedupStore } from './cloudflare/dedup-store.js';
export { routeControl, constantTimeEqual } from './cloudflare/control.js';
export type { DurableObjectStorageLike, DurableObjectStateLike, DurableObjectNamespaceLike, DingTalkStreamEnv, BotStatus } from './cloudflare/types.js';
