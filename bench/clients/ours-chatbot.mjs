// Our client through the chatbot layer, as the README shows it: `registerChatbotHandler`
// with an async handler; the payload is validated into a `ChatbotMessage` (and a reply
// helper built) for every message. Production defaults except openApiHost, silent logger.
import { DingTalkStreamClient } from 'dingtalk-stream-universal';
import { registerChatbotHandler } from 'dingtalk-stream-universal/chatbot';
import { benchPlatform, serve, work } from './harness.mjs';

const platform = await benchPlatform(); // the adapter's own unless BENCH_SOCKET says otherwise
await serve(async ({ openApiHost, clientId, clientSecret }) => {
  const client = new DingTalkStreamClient({ clientId, clientSecret, openApiHost, logLevel: 'silent', platform });
  registerChatbotHandler(client, async (message) => {
    work.chars += message.text.length;
  });
  await client.start();
  return { stop: () => client.stop() };
});
