/**
 * Options from the environment, for the adapters of runtimes that have one (Node, Deno,
 * Bun). The core never reads the environment: each adapter hands in its own reader.
 * @module
 */
import type { ClientOptions, Credential } from '../src/client.js';
import { ConfigError } from '../src/errors.js';

/**
 * Client options where the credentials may come from the environment instead:
 * `DINGTALK_CLIENT_ID`, `DINGTALK_CLIENT_SECRET`, and the host from `DINGTALK_OPENAPI_HOST`
 * (or the Python SDK's `DINGTALK_OPENAPI_ENDPOINT`). What the options say wins.
 *
 * @example
 * ```ts
 * const options: EnvClientOptions = { clientId: process.env.DINGTALK_CLIENT_ID, logLevel: 'debug' };
 * ```
 */
export type EnvClientOptions<O extends ClientOptions = ClientOptions> = Omit<O, 'clientId' | 'clientSecret'> & {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
};

/**
 * Reads one environment variable, or `undefined` where it is unset or may not be read.
 *
 * @example
 * ```ts
 * const nodeEnv: EnvReader = (name) => process.env[name];
 * ```
 */
export type EnvReader = (name: string) => string | undefined;

/**
 * `options` with what they leave out (or leave empty) taken from the environment. A
 * `Credential` keeps its secret, which lives behind a getter that spreading would lose.
 * Without credentials anywhere it throws a {@link ConfigError} that names the variables.
 *
 * @example
 * ```ts
 * const options = withEnv({ logLevel: 'debug' }, (name) => process.env[name]);
 * ```
 */
export function withEnv<O extends ClientOptions>(options: EnvClientOptions<O> | Credential | undefined, env: EnvReader, hint = ''): O {
  const given = (options ?? {}) as Partial<ClientOptions>;
  const clientId = given.clientId || env('DINGTALK_CLIENT_ID');
  const clientSecret = given.clientSecret || env('DINGTALK_CLIENT_SECRET');
  if (!clientId || !clientSecret) {
    throw new ConfigError(`clientId and clientSecret (AppKey/AppSecret) are required: pass them, or set DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET${hint}`);
  }
  const openApiHost = given.openApiHost || env('DINGTALK_OPENAPI_HOST') || env('DINGTALK_OPENAPI_ENDPOINT');
  return { ...given, clientId, clientSecret, ...(openApiHost ? { openApiHost } : {}) } as O;
}
