// A local fake DingTalk gateway for trying the Durable Object bot with `wrangler dev`:
//
//   node examples/cloudflare/local-gateway.mjs            # listens on 127.0.0.1:8799 (PORT=… to change)
//   CLOUDFLARE_CF_FETCH_ENABLED=false npx wrangler dev --env-file examples/cloudflare/local.env
//   curl -X POST -H "Authorization: Bearer local-dev-token" http://127.0.0.1:8787/start
//
// Then type a line here: it is sent to the bot as a chat message, and the bot's reply is printed.
// Run `npm run build` first (this imports the package by name, which resolves to dist/).
import { createInterface } from 'node:readline';
import { FakeDingTalkGateway } from 'dingtalk-stream-universal/testing';

const port = Number(process.env.PORT ?? 8799);
const gateway = await new FakeDingTalkGateway().listen(port);
console.log(`fake gateway at ${gateway.openApiHost} (clientId ${gateway.clientId}); waiting for the bot to connect`);
void gateway.waitFor(() => gateway.live().length > 0, 24 * 3600_000).then(() => console.log('bot connected: type a message'));

const lines = createInterface({ input: process.stdin });
lines.on('line', async (text) => {
  if (!text.trim()) return;
  const before = gateway.webhookCalls.length;
  gateway.pushChatbotMessage(text);
  try {
    await gateway.waitFor(() => gateway.webhookCalls.length > before, 10_000, 'the reply');
    console.log(`bot › ${gateway.webhookCalls[before].body.text.content}`);
  } catch {
    console.log('(no reply within 10 s: is the bot started? POST /start with the control token)');
  }
});
const shutdown = () => void gateway.close().then(() => process.exit(0));
lines.on('close', shutdown);
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
