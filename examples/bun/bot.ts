// An echo bot on Bun: send it "hello", it answers "You said: hello".
//
//   DINGTALK_CLIENT_ID=... DINGTALK_CLIENT_SECRET=... bun examples/bun/bot.ts
//
// The plain package import picks the package's `bun` build (Bun's own WebSocket and fetch).
import { DingTalkStreamClient, TOPIC_ROBOT, type StreamMessage } from 'dingtalk-stream-universal';

/** The fields of a chatbot message this bot reads. */
interface ChatbotMessage {
  text?: { content?: string };
  sessionWebhook: string;
}

const clientId = process.env.DINGTALK_CLIENT_ID;
const clientSecret = process.env.DINGTALK_CLIENT_SECRET;
if (!clientId || !clientSecret) {
  console.error("Set DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET (your app's AppKey and AppSecret).");
  process.exit(1);
}

const client = new DingTalkStreamClient({
  clientId,
  clientSecret,
  // e.g. https://api.dingtalk.io overseas, or a local gateway in tests
  openApiHost: process.env.DINGTALK_OPENAPI_HOST || undefined,
});

client.registerCallbackHandler(TOPIC_ROBOT, async ({ data }: StreamMessage<ChatbotMessage>) => {
  const text = data.text?.content?.trim() ?? '';
  // reply through the message's session webhook: no access token needed
  const res = await client.platform.fetch(data.sessionWebhook, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ msgtype: 'text', text: { content: `You said: ${text}` } }),
  });
  if (!res.ok) throw new Error(`reply failed with HTTP ${res.status}`);
  await res.body?.cancel();
  return null;
});

client.addEventListener('open', () => console.log('Connected to DingTalk. Send the bot a message. Ctrl+C to stop.'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void client.stop());
// reconnects until stop(); resolves once stopped
await client.startForever();
