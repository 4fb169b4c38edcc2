// A bot that answers in markdown and actionCards, and turns pictures into download links.
// - With DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET set it connects to DingTalk
//   (DINGTALK_OPENAPI_HOST optional) and runs until Ctrl+C.
// - Without them it runs against the local fake gateway and prints the conversation.
import { DingTalkStreamClient } from 'dingtalk-stream-universal';
import { DingTalkOpenApi, registerChatbotHandler } from 'dingtalk-stream-universal/chatbot';

/** @param {import('dingtalk-stream-universal').ClientOptions} options @param {{ oapiHost?: string }} [apiOptions] */
export function createMarkdownBot(options, apiOptions = {}) {
  const client = new DingTalkStreamClient(options);
  const api = new DingTalkOpenApi(client, apiOptions);
  registerChatbotHandler(client, async (message, reply) => {
    if (message.downloadCodes.length) {
      const urls = await Promise.all(message.downloadCodes.map((code) => api.messageFileDownloadUrl(code)));
      return reply.markdown('Your files', urls.map((url, i) => `- [file ${i + 1}](${url})`).join('\n'));
    }
    if (message.text === 'links') {
      return reply.actionCard({
        title: 'Useful links',
        text: '### Where to next?\nPick one:',
        buttons: [
          { title: 'DingTalk Open Platform', actionURL: 'https://open.dingtalk.com' },
          { title: 'Card builder', actionURL: 'https://card.dingtalk.com/card-builder' },
        ],
      });
    }
    await reply.markdown('Echo', `#### You said\n> ${message.text || '(nothing)'}\n\nSend **links** for an actionCard, or a picture.`, { sender: message.isGroup });
  });
  return client;
}

const clientId = process.env.DINGTALK_CLIENT_ID;
const clientSecret = process.env.DINGTALK_CLIENT_SECRET;
if (clientId && clientSecret) {
  const client = createMarkdownBot({ clientId, clientSecret, openApiHost: process.env.DINGTALK_OPENAPI_HOST || undefined });
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void client.stop());
  await client.startForever();
} else {
  const { FakeDingTalkGateway, installFakeOpenApi } = await import('dingtalk-stream-universal/testing');
  const gateway = await new FakeDingTalkGateway().listen();
  installFakeOpenApi(gateway);
  const client = createMarkdownBot({ clientId: gateway.clientId, clientSecret: gateway.clientSecret, openApiHost: gateway.openApiHost, logLevel: 'warn' }, { oapiHost: gateway.openApiHost });
  await client.start();
  const say = async (text, extra = {}) => {
    const before = gateway.webhookCalls.length;
    console.log(`  you › ${text}`);
    gateway.pushChatbotMessage(text, extra);
    await gateway.waitFor(() => gateway.webhookCalls.length > before, 5000, 'the reply');
    console.log(`  bot › ${JSON.stringify(gateway.webhookCalls[before].body)}\n`);
  };
  await say('hello');
  await say('links');
  await say('(a picture)', { msgtype: 'picture', content: { downloadCode: 'dc-123' } });
  await client.stop();
  await gateway.close();
}
