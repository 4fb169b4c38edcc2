import { describe, expect, it } from 'vitest';
import { TOPIC_CARD, TOPIC_GRAPH_API, TOPIC_ROBOT_DELEGATE } from '../../adapters/node.js';
import {
  cardCallbackResponse,
  chatbotMessages,
  graphResponse,
  registerCardCallbackHandler,
  registerChatbotHandler,
  registerGraphApiHandler,
  type CardCallback,
  type ChatbotMessage,
  type GraphRequest,
} from '../../src/chatbot/index.js';
import { chatbotMessage } from '../../src/testing/index.js';
import { client, gateway } from '../helpers/setup.js';

describe('registerChatbotHandler', () => {
  it('hands the typed message and a reply helper to the handler, and acks automatically', async () => {
    const gw = await gateway();
    const c = client(gw);
    const seen: ChatbotMessage[] = [];
    registerChatbotHandler(c, async (message, reply) => {
      seen.push(message);
      await reply.text(`echo: ${message.text}`, { sender: true });
    });
    await c.start();
    const id = gw.pushChatbotMessage('hello', { senderStaffId: 'staff9' });
    const ack = await gw.waitForAck(id);
    expect(ack.code).toBe(200);
    expect(JSON.parse(ack.data)).toEqual({ response: null });
    await gw.waitFor(() => gw.webhookCalls.length === 1, 5_000, 'the reply');
    expect(seen[0]!.text).toBe('hello');
    expect(gw.webhookCalls[0]!.body).toEqual({ msgtype: 'text', text: { content: 'echo: hello' }, at: { atUserIds: ['staff9'], isAtAll: false } });
  });

  it('logs an invalid payload, does not call the handler, and acks it', async () => {
    const gw = await gateway();
    const c = client(gw);
    let calls = 0;
    registerChatbotHandler(c, () => void calls++);
    await c.start();
    const id = gw.pushCallback('/v1.0/im/bot/messages/get', { hello: 'world' });
    const ack = await gw.waitForAck(id);
    expect(ack.code).toBe(200);
    expect(calls).toBe(0);
    expect(c.log.lines.some((l) => l.startsWith('warn') && l.includes('ignored chatbot message') && l.includes('msgtype'))).toBe(true);
  });

  it('listens on the delegate topic when asked and exposes hostingContext', async () => {
    const gw = await gateway();
    const c = client(gw);
    const seen: ChatbotMessage[] = [];
    registerChatbotHandler(c, (m) => void seen.push(m), { topic: TOPIC_ROBOT_DELEGATE });
    await c.start();
    expect(gw.openCalls[0]!.body).toMatchObject({ subscriptions: [{ type: 'CALLBACK', topic: TOPIC_ROBOT_DELEGATE }] });
    const id = gw.pushCallback(TOPIC_ROBOT_DELEGATE, chatbotMessage({ sessionWebhook: gw.sessionWebhook(), extra: { hostingContext: { userId: 'u1', nick: 'Boss' } } }));
    await gw.waitForAck(id);
    expect(seen[0]!.hostingContext).toEqual({ userId: 'u1', nick: 'Boss' });
  });
});

describe('chatbotMessages', () => {
  it('yields typed messages with reply helpers, skipping invalid payloads, and acks each when the loop moves on', async () => {
    const gw = await gateway();
    const c = client(gw);
    const iterator = chatbotMessages(c);
    await c.start();
    const bad = gw.pushCallback('/v1.0/im/bot/messages/get', { nope: true });
    const good = gw.pushChatbotMessage('1+1');
    const texts: string[] = [];
    for await (const { message, reply } of iterator) {
      texts.push(message.text);
      await reply.text('ok');
      break;
    }
    expect(texts).toEqual(['1+1']);
    expect((await gw.waitForAck(bad)).code).toBe(200);
    expect((await gw.waitForAck(good)).code).toBe(200);
    expect(gw.webhookCalls).toHaveLength(1);
  });
});

describe('registerCardCallbackHandler', () => {
  it('parses the callback (content and extension JSON strings) and acks with the documented response shape: cardData, and the presser\'s userPrivateData not keyed by userId', async () => {
    const gw = await gateway();
    const c = client(gw);
    const seen: CardCallback[] = [];
    registerCardCallbackHandler(c, (cb) => {
      seen.push(cb);
      return cardCallbackResponse({ cardData: { status: cb.params.action, count: 2 }, userPrivateData: { voted: true }, updatePrivateDataByKey: true });
    });
    await c.start();
    const id = gw.pushCallback(TOPIC_CARD, {
      type: 'actionCallback',
      outTrackId: 'track-1',
      corpId: 'ding1',
      userId: 'staff1',
      userIdType: 1,
      spaceType: 'IM_GROUP',
      spaceId: 'cid1',
      content: JSON.stringify({ cardPrivateData: { actionIds: ['accept'], params: { action: 'accepted' } } }),
      extension: '{"k":"v"}',
    });
    const ack = await gw.waitForAck(id);
    expect(seen[0]).toMatchObject({ outTrackId: 'track-1', userId: 'staff1', params: { action: 'accepted' }, actionIds: ['accept'], extension: { k: 'v' }, spaceType: 'IM_GROUP' });
    expect(JSON.parse(ack.data)).toEqual({
      response: { cardData: { cardParamMap: { status: 'accepted', count: '2' } }, userPrivateData: { cardParamMap: { voted: 'true' } }, cardUpdateOptions: { updatePrivateDataByKey: true } },
    });
  });

  it('refuses privateData in a callback answer (DingTalk ignores it there), and the types refuse the two shapes crossed', () => {
    // @ts-expect-error keyed privateData is api.updateCard's shape, not a callback answer's
    expect(() => cardCallbackResponse({ privateData: { staff1: { voted: true } } })).toThrow(/userPrivateData/);
    // @ts-expect-error userPrivateData is the presser's own params: a map keyed by userId does not fit
    cardCallbackResponse({ userPrivateData: { staff1: { voted: true } } });
    expect(cardCallbackResponse({ userPrivateData: { voted: false, n: 1, note: null } })).toEqual({ userPrivateData: { cardParamMap: { voted: 'false', n: '1', note: 'null' } } });
  });

  it('answers null for an invalid callback without calling the handler', async () => {
    const gw = await gateway();
    const c = client(gw);
    let calls = 0;
    registerCardCallbackHandler(c, () => void calls++);
    await c.start();
    const ack = await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { userId: 'x' }));
    expect(JSON.parse(ack.data)).toEqual({ response: null });
    expect(calls).toBe(0);
  });
});

describe('registerGraphApiHandler', () => {
  const request = { requestLine: { method: 'POST', uri: '/v1/actions/weather/get?unit=c' }, headers: { 'x-plugin-id': 'p1', 'x-ability-key': 'a1' }, body: JSON.stringify({ city: 'Hangzhou', userId: 'staff1' }) };

  it('parses the request and acks with statusLine, headers and a JSON-string body', async () => {
    const gw = await gateway();
    const c = client(gw);
    const seen: GraphRequest[] = [];
    registerGraphApiHandler(c, (req) => {
      seen.push(req);
      return graphResponse({ body: { city: req.json<{ city: string }>().city, weather: 'sunny', unit: req.query.get('unit') } });
    });
    await c.start();
    const ack = await gw.waitForAck(gw.pushCallback(TOPIC_GRAPH_API, request));
    expect(seen[0]).toMatchObject({ requestLine: { method: 'POST', uri: '/v1/actions/weather/get?unit=c' }, path: '/v1/actions/weather/get', headers: { 'x-plugin-id': 'p1' } });
    expect(JSON.parse(ack.data)).toEqual({
      response: { statusLine: { code: 200, reasonPhrase: 'OK' }, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ city: 'Hangzhou', weather: 'sunny', unit: 'c' }) },
    });
  });

  it('wraps a plain value as a 200 body, answers 500 on a throw and 400 on an invalid request', async () => {
    const gw = await gateway();
    const c = client(gw);
    registerGraphApiHandler(c, (req) => {
      if (req.path === '/boom') throw new Error('boom');
      return { ok: true };
    });
    await c.start();
    const plain = JSON.parse((await gw.waitForAck(gw.pushCallback(TOPIC_GRAPH_API, request))).data).response;
    expect(plain).toEqual({ statusLine: { code: 200, reasonPhrase: 'OK' }, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' });
    const boom = JSON.parse((await gw.waitForAck(gw.pushCallback(TOPIC_GRAPH_API, { ...request, requestLine: { method: 'GET', uri: '/boom' } }))).data).response;
    expect(boom.statusLine).toEqual({ code: 500, reasonPhrase: 'Internal Server Error' });
    const invalid = JSON.parse((await gw.waitForAck(gw.pushCallback(TOPIC_GRAPH_API, { body: '{}' }))).data).response;
    expect(invalid.statusLine.code).toBe(400);
  });
});
