/**
 * Node adapter: the global `WebSocket` when the runtime has one (Node 22+), else `ws`
 * (Node 20 has none without a flag). Picked by the `node` export condition, so
 * `import { DingTalkStreamClient } from 'dingtalk-stream-universal'` just works, in ESM and CJS.
 *
 * @example
 * ```ts
 * import { DingTalkStreamClient } from 'dingtalk-stream-universal';
 * const client = new DingTalkStreamClient({ clientId, clientSecret });
 * ```
 * @module
 */
import WebSocketImpl from 'ws';
import { DingTalkStreamClient as CoreClient, type ClientOptions } from '../src/client.js';
import type { Platform } from '../src/platform.js';

export * from '../src/index.js';

/**
 * The Node platform: global WebSocket if present, else `ws`; global `fetch`.
 *
 * @example
 * ```ts
 * const platform = nodePlatform();
 * ```
 */
export function nodePlatform(): Platform {
  const g = globalThis as { WebSocket?: Platform['WebSocket'] };
  return {
    WebSocket: g.WebSocket ?? (WebSocketImpl as unknown as Platform['WebSocket']),
    fetch: (input, init) => fetch(input, init),
    name: 'node',
  };
}

/**
 * {@link CoreClient} with the Node platform as its default.
 *
 * @example
 * ```ts
 * const client = new DingTalkStreamClient({ clientId, clientSecret });
 * await client.start();
 * ```
 */
export class DingTalkStreamClient extends CoreClient {
  constructor(options: ClientOptions) {
    super({ ...options, clientId: options.clientId, clientSecret: options.clientSecret, platform: options.platform ?? nodePlatform() });
  }
}
