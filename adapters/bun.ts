/**
 * Bun adapter: Bun has WHATWG `WebSocket` and `fetch` globally, so this is the core with
 * the platform named `bun`. Picked by the `bun` export condition.
 *
 * @example
 * ```ts
 * import { DingTalkStreamClient } from 'dingtalk-stream-universal';
 * ```
 * @module
 */
import { DingTalkStreamClient as CoreClient, type ClientOptions } from '../src/client.js';
import { globalPlatform } from '../src/platform.js';

export * from '../src/index.js';

/**
 * {@link CoreClient} on Bun's globals.
 *
 * @example
 * ```ts
 * await new DingTalkStreamClient({ clientId, clientSecret }).start();
 * ```
 */
export class DingTalkStreamClient extends CoreClient {
  constructor(options: ClientOptions) {
    super({ ...options, clientId: options.clientId, clientSecret: options.clientSecret, platform: options.platform ?? globalPlatform('bun') });
  }
}
