// An echo bot on Bun: send it "hello", it answers "You said: hello".
//
//   DINGTALK_CLIENT_ID=... DINGTALK_CLIENT_SECRET=... bun examples/bun/bot.ts
//
// The plain package import picks the package's `bun` build (Bun's own WebSocket and fetch).
import { DingTalkStreamClient } from 'dingtalk-stream-universal';
import { registerChatbotHandler } from 'dingtalk-stream-universal/chatbot';

// clientId, clientSecret and the host (DINGTALK_OPENAPI_HOST: https://api.dingtalk.io
// overseas, or the simulator's under `dev`) come from the environment; without credentials
// this throws a ConfigError that says what to set
const client = new DingTalkStreamClient();

registerChatbotHandler(client, async (message, reply) => {
  // replies go through the message's session webhook; the message was acked on receipt,
  // so a slow handler (an LLM) is never redelivered
  await reply.text(`You said: ${message.text}`);
});

client.addEventListener('open', () => console.log('Connected to DingTalk. Send the bot a message. Ctrl+C to stop.'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void client.stop());
// reconnects until stop(); resolves once stopped
await client.startForever();
