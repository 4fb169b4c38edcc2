// `npm start`: runs the calculator bot.
// - With DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET set, it connects to DingTalk
//   (DINGTALK_OPENAPI_HOST overrides the host, e.g. https://api.dingtalk.io) and runs until Ctrl+C.
// - Without them, it starts the built-in local fake gateway, chats with the bot a little
//   and prints the conversation, so you can see it work offline.
import { createCalculatorBot } from './bot.mjs';

const clientId = process.env.DINGTALK_CLIENT_ID;
const clientSecret = process.env.DINGTALK_CLIENT_SECRET;

if (clientId && clientSecret) {
  const client = createCalculatorBot({ clientId, clientSecret, openApiHost: process.env.DINGTALK_OPENAPI_HOST || undefined });
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void client.stop());
  client.addEventListener('open', () => console.log('Connected to DingTalk. Send the bot "1+1". Ctrl+C to stop.'));
  await client.startForever();
} else {
  const { FakeDingTalkGateway } = await import('dingtalk-stream-universal/testing');
  const gateway = await new FakeDingTalkGateway().listen();
  console.log(`No DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET set: using a local fake gateway at ${gateway.openApiHost}\n`);
  const client = createCalculatorBot({ clientId: gateway.clientId, clientSecret: gateway.clientSecret, openApiHost: gateway.openApiHost, logLevel: 'warn' });
  const started = performance.now();
  await client.start();
  console.log(`bot connected in ${Math.round(performance.now() - started)} ms\n`);
  const questions = process.argv.slice(2).length ? process.argv.slice(2) : ['1+1', '(2 + 3) * 4', '2 ^ 10 / 8', 'hello'];
  for (const question of questions) {
    const before = gateway.webhookCalls.length;
    console.log(`  you › ${question}`);
    gateway.pushChatbotMessage(question);
    await gateway.waitFor(() => gateway.webhookCalls.length > before, 5000, 'the bot to answer');
    const reply = gateway.webhookCalls[before].body.text.content;
    console.log(`  bot › ${reply.replace(/\n/g, '\n        ')}\n`);
  }
  await client.stop();
  await gateway.close();
  console.log('Done. Set DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET to run the bot against DingTalk.');
}
