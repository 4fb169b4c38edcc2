// An echo bot on Deno: send it "hello", it answers "You said: hello".
//
//   DINGTALK_CLIENT_ID=... DINGTALK_CLIENT_SECRET=... \
//     deno run --allow-net --allow-env=DINGTALK_CLIENT_ID,DINGTALK_CLIENT_SECRET,DINGTALK_OPENAPI_HOST examples/deno/bot.ts
//
// In your own project the same `npm:` imports download the package from npm; inside this
// repository they resolve to the local build (run `npm run build` first).
import { DingTalkStreamClient } from 'npm:dingtalk-stream-universal';
import { registerChatbotHandler } from 'npm:dingtalk-stream-universal/chatbot';

// clientId, clientSecret and the host (DINGTALK_OPENAPI_HOST: https://api.dingtalk.io
// overseas, or the simulator's under `dev`) come from the environment that --allow-env
// grants; without credentials this throws a ConfigError that says what to set
const client = new DingTalkStreamClient();

registerChatbotHandler(client, async (message, reply) => {
  // replies go through the message's session webhook; the message was acked on receipt,
  // so a slow handler (an LLM) is never redelivered
  await reply.text(`You said: ${message.text}`);
});

client.addEventListener('open', () => console.log('Connected to DingTalk. Send the bot a message. Ctrl+C to stop.'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) Deno.addSignalListener(signal, () => void client.stop());
// reconnects until stop(); resolves once stopped
await client.startForever();
