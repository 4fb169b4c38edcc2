/**
 * Bun adapter: Bun has WHATWG `WebSocket` and `fetch` globally, so this is the core on
 * Bun's globals with the platform named `bun`, plus Bun's client-side ping, and
 * credentials and host from the environment. Picked by the `bun` export condition.
 *
 * @example
 * ```ts
 * import { DingTalkStreamClient } from 'dingtalk-stream-universal';
 * ```
 * @module
 */
import { DingTalkStreamClient as CoreClient, type ClientOptions, type Credential } from '../src/client.js';
import { globalPlatform, type Platform } from '../src/platform.js';
import { withEnv, type EnvClientOptions } from './env.js';

export * from '../src/index.js';
export type { EnvClientOptions } from './env.js';

/** Bun's client WebSocket beyond WHATWG: `ping()`, and the pong as a `pong` event. */
interface BunSocket {
  ping(): void;
  addEventListener(type: 'pong', listener: () => void): void;
}

/**
 * The Bun platform: Bun's globals, and a WebSocket protocol ping (checked on Bun 1.4: the
 * client's `ping()` sends one, the pong arrives as a `pong` event), so a quiet connection is
 * pinged rather than replaced.
 *
 * @example
 * ```ts
 * const platform = bunPlatform(); // what DingTalkStreamClient uses on Bun unless given another
 * ```
 */
export function bunPlatform(): Platform {
  return {
    ...globalPlatform('bun'),
    ping(socket, onPong) {
      const ws = socket as unknown as BunSocket;
      ws.addEventListener('pong', onPong); // an EventTarget adds the same listener only once
      ws.ping();
    },
  };
}

/**
 * {@link CoreClient} on Bun's globals. Options it leaves out come from the environment:
 * `DINGTALK_CLIENT_ID`, `DINGTALK_CLIENT_SECRET` and `DINGTALK_OPENAPI_HOST` (or
 * `DINGTALK_OPENAPI_ENDPOINT`).
 *
 * @example
 * ```ts
 * await new DingTalkStreamClient().start(); // all from the environment
 * ```
 */
export class DingTalkStreamClient extends CoreClient {
  constructor(options?: EnvClientOptions | Credential) {
    const resolved = withEnv<ClientOptions>(options, (name) => process.env[name]);
    super({ ...resolved, platform: resolved.platform ?? bunPlatform() });
  }
}
