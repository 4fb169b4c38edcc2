// An AI streaming card bot: answers each message in an AI card that fills in as the
// "model" streams (a stand-in generator here; plug in your LLM's stream). The card paces
// itself for production (one update per 800 ms per card, 20 card calls a second per app
// through the OpenAPI's governor), and if the card cannot be delivered the answer still
// reaches the user as a plain reply.
// - Real DingTalk: DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET (DINGTALK_OPENAPI_HOST optional).
// - Without them it runs against the local fake gateway and OpenAPI and prints what was sent.
import { DingTalkStreamClient } from 'dingtalk-stream-universal';
import { AIStreamingCard, DingTalkOpenApi, registerChatbotHandler } from 'dingtalk-stream-universal/chatbot';

/** A stand-in for an LLM's token stream. @param {string} question */
async function* fakeModel(question) {
  const answer = `You asked: **${question}**.\n\nHere is a considered answer, streamed token by token, the way a language model would write it.`;
  for (const token of answer.split(/(?<= )/)) {
    await new Promise((resolve) => setTimeout(resolve, 80));
    yield token;
  }
}

/** @param {import('dingtalk-stream-universal').ClientOptions} options @param {{ oapiHost?: string }} [apiOptions] */
export function createAICardBot(options, apiOptions = {}) {
  const client = new DingTalkStreamClient(options);
  const api = new DingTalkOpenApi(client, apiOptions);
  // chatbot messages are acked on receipt: the model may take as long as it needs
  registerChatbotHandler(client, async (message) => {
    const card = await AIStreamingCard.create(api, message, { title: 'Assistant' });
    try {
      for await (const token of fakeModel(message.text)) await card.append(token);
      await card.finish({ buttons: [{ text: 'Stream Mode docs', url: 'https://open.dingtalk.com/document/development/introduction-to-stream-mode' }] });
    } catch (err) {
      // the model failed: the card says so (a card that cannot be updated sends this as a reply)
      client.logger.error('answer failed', err);
      await card.fail('Sorry, something went wrong. Please try again.');
    }
  });
  return client;
}

const clientId = process.env.DINGTALK_CLIENT_ID;
const clientSecret = process.env.DINGTALK_CLIENT_SECRET;
if (clientId && clientSecret) {
  const client = createAICardBot({ clientId, clientSecret, openApiHost: process.env.DINGTALK_OPENAPI_HOST || undefined });
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void client.stop());
  await client.startForever();
} else {
  const { FakeDingTalkGateway, installFakeOpenApi } = await import('dingtalk-stream-universal/testing');
  const gateway = await new FakeDingTalkGateway().listen();
  const fake = installFakeOpenApi(gateway);
  const client = createAICardBot({ clientId: gateway.clientId, clientSecret: gateway.clientSecret, openApiHost: gateway.openApiHost, logLevel: 'warn' }, { oapiHost: gateway.openApiHost });
  await client.start();
  console.log('  you › what is stream mode?');
  gateway.pushChatbotMessage('what is stream mode?');
  const finished = () => fake.calls('/v1.0/card/instances', 'PUT').find((r) => r.body.cardData.cardParamMap.flowStatus === '3');
  await gateway.waitFor(finished, 15_000, 'the card to finish');
  const streams = fake.calls('/v1.0/card/streaming', 'PUT');
  console.log(`  bot › ${streams.length} streaming updates (at most one per 800 ms), then finished with:\n${finished().body.cardData.cardParamMap.msgContent}`);
  console.log(`  pacing rules broken: ${fake.violations.length}`);
  await client.stop();
  await gateway.close();
}
