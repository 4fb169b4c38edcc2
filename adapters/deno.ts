/**
 * Deno adapter: Deno has WHATWG `WebSocket` and `fetch` globally, so this is the core with
 * the platform named `deno`, and credentials and host from the environment where
 * `--allow-env` permits. Picked by the `deno` export condition (also for `npm:` imports).
 *
 * @example
 * ```ts
 * import { DingTalkStreamClient } from 'npm:dingtalk-stream-universal';
 * ```
 * @module
 */
import { DingTalkStreamClient as CoreClient, type ClientOptions, type Credential } from '../src/client.js';
import { globalPlatform } from '../src/platform.js';
import { withEnv, type EnvClientOptions } from './env.js';

export * from '../src/index.js';
export type { EnvClientOptions } from './env.js';

/** The part of Deno's namespace read here. */
interface DenoEnv {
  permissions: { querySync(descriptor: { name: 'env'; variable: string }): { state: string } };
  env: { get(name: string): string | undefined };
}

/**
 * One environment variable, read only if `--allow-env` granted it: no permission prompt,
 * and no PermissionDenied crash without the flag (the variable is then just unset).
 */
function denoEnv(name: string): string | undefined {
  const deno = (globalThis as { Deno?: DenoEnv }).Deno;
  try {
    return deno?.permissions.querySync({ name: 'env', variable: name }).state === 'granted' ? deno.env.get(name) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * {@link CoreClient} on Deno's globals. Options it leaves out come from the environment
 * where `--allow-env` permits: `DINGTALK_CLIENT_ID`, `DINGTALK_CLIENT_SECRET` and
 * `DINGTALK_OPENAPI_HOST` (or `DINGTALK_OPENAPI_ENDPOINT`).
 *
 * @example
 * ```ts
 * // deno run --allow-net --allow-env=DINGTALK_CLIENT_ID,DINGTALK_CLIENT_SECRET,DINGTALK_OPENAPI_HOST bot.ts
 * await new DingTalkStreamClient().start();
 * ```
 */
export class DingTalkStreamClient extends CoreClient {
  constructor(options?: EnvClientOptions | Credential) {
    const resolved = withEnv<ClientOptions>(options, denoEnv, ' (readable with --allow-env)');
    super({ ...resolved, platform: resolved.platform ?? globalPlatform('deno') });
  }
}
