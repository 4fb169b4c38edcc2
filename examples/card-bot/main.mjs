// A card bot: answers every message with an interactive card (a template you built at
// https://card.dingtalk.com/card-builder with a `title`/`status` variable and buttons whose
// callback params carry `action`), and updates it when a button is pressed.
// - Real DingTalk: DINGTALK_CLIENT_ID, DINGTALK_CLIENT_SECRET, DINGTALK_CARD_TEMPLATE_ID (DINGTALK_OPENAPI_HOST optional).
// - Without credentials it runs against the local fake gateway and OpenAPI.
import { DingTalkStreamClient } from 'dingtalk-stream-universal';
import { DingTalkOpenApi, cardCallbackResponse, registerCardCallbackHandler, registerChatbotHandler } from 'dingtalk-stream-universal/chatbot';

/** @param {import('dingtalk-stream-universal').ClientOptions} options @param {string} cardTemplateId @param {{ oapiHost?: string }} [apiOptions] */
export function createCardBot(options, cardTemplateId, apiOptions = {}) {
  const client = new DingTalkStreamClient(options);
  const api = new DingTalkOpenApi(client, apiOptions);
  registerChatbotHandler(client, async (message) => {
    const outTrackId = await api.createAndDeliverCard({ cardTemplateId, to: message, cardData: { title: `Approve "${message.text}"?`, status: 'pending' }, atSender: true });
    client.logger.info(`card ${outTrackId} sent`);
  });
  // the button's callback: the answer updates the card for everyone, plus a private note for
  // the presser (userPrivateData: the presser's own params, not keyed by userId)
  registerCardCallbackHandler(client, (callback) =>
    cardCallbackResponse({
      cardData: { status: callback.params.action ?? 'unknown' },
      userPrivateData: { note: `you chose ${callback.params.action}` },
    }),
  );
  return client;
}

const clientId = process.env.DINGTALK_CLIENT_ID;
const clientSecret = process.env.DINGTALK_CLIENT_SECRET;
if (clientId && clientSecret) {
  const templateId = process.env.DINGTALK_CARD_TEMPLATE_ID;
  if (!templateId) throw new Error('Set DINGTALK_CARD_TEMPLATE_ID to the id of your card template (card builder).');
  const client = createCardBot({ clientId, clientSecret, openApiHost: process.env.DINGTALK_OPENAPI_HOST || undefined }, templateId);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void client.stop());
  await client.startForever();
} else {
  const { FakeDingTalkGateway, installFakeOpenApi } = await import('dingtalk-stream-universal/testing');
  const { TOPIC_CARD } = await import('dingtalk-stream-universal');
  const gateway = await new FakeDingTalkGateway().listen();
  const fake = installFakeOpenApi(gateway);
  const client = createCardBot({ clientId: gateway.clientId, clientSecret: gateway.clientSecret, openApiHost: gateway.openApiHost, logLevel: 'warn' }, 'demo-template.schema', { oapiHost: gateway.openApiHost });
  await client.start();
  console.log('  you › deploy v1.2');
  gateway.pushChatbotMessage('deploy v1.2');
  await gateway.waitFor(() => fake.calls('/v1.0/card/instances/createAndDeliver').length === 1, 5000, 'the card');
  const card = fake.calls('/v1.0/card/instances/createAndDeliver')[0].body;
  console.log(`  bot › card ${card.outTrackId} to ${card.openSpaceId}: ${JSON.stringify(card.cardData.cardParamMap)}`);
  console.log('  you › (press "Approve")');
  const id = gateway.pushCallback(TOPIC_CARD, { type: 'actionCallback', outTrackId: card.outTrackId, userId: '1665012345698', content: JSON.stringify({ cardPrivateData: { actionIds: ['approve'], params: { action: 'approved' } } }) });
  const ack = await gateway.waitForAck(id);
  console.log(`  bot › card update: ${JSON.stringify(JSON.parse(ack.data).response)}`);
  await client.stop();
  await gateway.close();
}
