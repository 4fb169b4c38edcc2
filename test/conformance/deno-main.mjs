// What both Deno entries share once the package is imported: env, start, shutdown on
// SIGTERM/SIGINT or when stdin closes (the test runner went away).
import { startConformanceBot } from './bot.mjs';

/**
 * Runs the conformance bot with Deno's own APIs (Deno.env, signal listeners, Deno.stdin).
 *
 * @example
 * ```js
 * import * as sdk from 'npm:dingtalk-stream-universal';
 * await runOnDeno(sdk);
 * ```
 */
export async function runOnDeno(sdk) {
  const bot = await startConformanceBot(sdk, {
    openApiHost: Deno.env.get('DINGTALK_OPENAPI_HOST') ?? '',
    clientId: Deno.env.get('DINGTALK_CLIENT_ID') ?? '',
    clientSecret: Deno.env.get('DINGTALK_CLIENT_SECRET') ?? '',
  });
  const shutdown = () => void bot.stop().then(() => Deno.exit(0));
  Deno.addSignalListener('SIGTERM', shutdown);
  Deno.addSignalListener('SIGINT', shutdown);
  const buf = new Uint8Array(256);
  while ((await Deno.stdin.read(buf)) !== null);
  shutdown();
}
