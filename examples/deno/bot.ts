// An echo bot on Deno: send it "hello", it answers "You said: hello".
//
//   DINGTALK_CLIENT_ID=... DINGTALK_CLIENT_SECRET=... deno run -A examples/deno/bot.ts
//
// (or, with the least permissions: --allow-net --allow-env=DINGTALK_CLIENT_ID,DINGTALK_CLIENT_SECRET,DINGTALK_OPENAPI_HOST)
// In your own project the same `npm:` import downloads the package from npm; inside this
// repository it resolves to the local build (run `npm run build` first).
import { DingTalkStreamClient, TOPIC_ROBOT, type StreamMessage } from 'npm:dingtalk-stream-universal';

/** The fields of a chatbot message this bot reads. */
interface ChatbotMessage {
  text?: { content?: string };
  sessionWebhook: string;
}

const clientId = Deno.env.get('DINGTALK_CLIENT_ID');
const clientSecret = Deno.env.get('DINGTALK_CLIENT_SECRET');
if (!clientId || !clientSecret) {
  console.error('Set DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET (your app\'s AppKey and AppSecret).');
  Deno.exit(1);
}

const client = new DingTalkStreamClient({
  clientId,
  clientSecret,
  // e.g. https://api.dingtalk.io overseas, or a local gateway in tests
  openApiHost: Deno.env.get('DINGTALK_OPENAPI_HOST') || undefined,
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
for (const signal of ['SIGINT', 'SIGTERM'] as const) Deno.addSignalListener(signal, () => void client.stop());
// reconnects until stop(); resolves once stopped
await client.startForever();
