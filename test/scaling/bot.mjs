// One process of a bot that runs as several: the built package, a shared dedup store picked
// by STORE (redis | memory), and handlers that say which process ran them. Started by
// test/scaling.test.ts; prints READY once connected and stops on SIGTERM.
import { DingTalkStreamClient, TOPIC_ROBOT } from '../../dist/adapters/node.mjs';
import { registerChatbotHandler } from '../../dist/chatbot/index.mjs';
import { RedisDedupStore } from '../../dist/adapters/redis.mjs';

const { DINGTALK_OPENAPI_HOST, DINGTALK_CLIENT_ID, DINGTALK_CLIENT_SECRET, STORE, REDIS_URL, PROCESS_NAME } = process.env;
const dedupStore = STORE === 'redis' ? new RedisDedupStore({ url: REDIS_URL, prefix: 'scaling:', timeoutMs: 200 }) : undefined;
const client = new DingTalkStreamClient({
  clientId: DINGTALK_CLIENT_ID,
  clientSecret: DINGTALK_CLIENT_SECRET,
  openApiHost: DINGTALK_OPENAPI_HOST,
  logLevel: 'warn',
  ...(dedupStore ? { dedupStore } : {}),
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

registerChatbotHandler(client, async (message, reply) => {
  await sleep(150); // an answer that takes a moment: copies arrive while it runs and after
  await reply.text(`answer: ${message.text} [${PROCESS_NAME}]`);
});
client.registerAllEventHandler(async (event) => {
  // the event's side effect, visible to the test: one call per run
  await fetch(`${DINGTALK_OPENAPI_HOST}/robot/sendBySession?session=event-${event.headers.eventId}-${PROCESS_NAME}`, { method: 'POST', body: '{}' });
  await sleep(100);
  return 'SUCCESS';
});
void TOPIC_ROBOT;

process.once('SIGTERM', async () => {
  await client.stop();
  await dedupStore?.close();
  console.log('STOPPED');
});
await client.start();
console.log('READY');
