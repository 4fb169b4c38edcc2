// A quiet bot for the liveness tests in Bun and Deno: it connects with the idle timeout given
// as its first argument, registers nothing, and logs at info level, so the test reads why a
// connection was replaced. The bare import picks each runtime's own export condition.
// Plain JS and `process` (Deno has it too), so one file serves both runtimes.
import { DingTalkStreamClient } from 'dingtalk-stream-universal';

const client = new DingTalkStreamClient({
  clientId: process.env.DINGTALK_CLIENT_ID ?? '',
  clientSecret: process.env.DINGTALK_CLIENT_SECRET ?? '',
  openApiHost: process.env.DINGTALK_OPENAPI_HOST ?? '',
  idleTimeoutMs: Number(process.argv.at(-1)),
  drainTimeoutMs: 100,
  backoffBaseMs: 50,
  backoffCapMs: 500,
  logLevel: 'info',
});
await client.start();
console.log(`CAN_PING=${typeof client.platform.ping === 'function'}`);
console.log('READY');
const shutdown = () => void client.stop().then(() => process.exit(0));
process.on('SIGTERM', shutdown);
// stdin closes when the test runner goes away: never outlive it
process.stdin.on('end', shutdown).resume();
