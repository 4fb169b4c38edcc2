// A Node project as `tsc --init` with @types/node sets it up (issue 21): types ["node"],
// lib ES2022 without DOM, strict, skipLibCheck off, moduleResolution nodenext. Compiled by
// quick-start.test.ts in the empty project that installed the packed package. Everything the
// client's .d.ts names must exist in ES2022 + @types/node (no AddEventListenerOptions: that
// one is DOM-only as a global).
import { DingTalkStreamClient, TOPIC_CARD, TOPIC_ROBOT, GatewayAuthError, type ClientEventListener, type DingTalkStreamError } from 'dingtalk-stream-universal';
import { DingTalkOpenApi, registerChatbotHandler } from 'dingtalk-stream-universal/chatbot';
import { DingTalkSimulator } from 'dingtalk-stream-universal/testing';

const client = new DingTalkStreamClient({
  clientId: process.env.DINGTALK_CLIENT_ID ?? '',
  clientSecret: process.env.DINGTALK_CLIENT_SECRET ?? '',
  proxy: process.env.HTTPS_PROXY,
  signal: AbortSignal.timeout(60_000),
});
client.addEventListener('error', (e) => {
  const error: DingTalkStreamError = e.detail;
  console.error(e.detail.code, error.message);
  if (error instanceof GatewayAuthError) process.exitCode = 1;
});
const onOpen: ClientEventListener<'open'> = (e) => console.log('open', e.detail.connectionId);
client.addEventListener('open', onOpen, { once: true, signal: AbortSignal.timeout(10_000) });
client.removeEventListener('open', onOpen, { capture: false });
client.addEventListener('reconnecting', { handleEvent: (e) => console.warn(e.detail.delay) }, true);
// @ts-expect-error no such event
client.addEventListener('eror', () => {});

registerChatbotHandler(client, async (message, reply) => {
  await reply.text(`You said: ${message.text}`);
});
client.registerCallbackHandler(TOPIC_CARD, (msg) => ({ cardData: { cardParamMap: { clicked: msg.data.outTrackId } } }));
client.registerCallbackHandler(TOPIC_ROBOT, (msg) => console.log(msg.data.text?.content), { replace: true, ack: 'after' });
const api = new DingTalkOpenApi(client);
void api;

process.once('SIGINT', () => void client.stop());
await client.start();
console.log(client.status().state);
await client.stop();

// the /testing kit in the same project
const sim = await DingTalkSimulator.start({ botName: 'Bot' });
await sim.close();
