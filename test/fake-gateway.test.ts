// The fake gateway tells the truth about production (../shared/protocol.md §10.1): an unacked
// frame comes back after the ack timeout under a NEW messageId with the same msgId/eventId,
// a bounded number of times, and frames go only to connections subscribed to them. A bare
// `ws` bot shows exactly what is on the wire.
import { describe, expect, it } from 'vitest';
import { DingTalkOpenApi } from '../src/chatbot/index.js';
import { installFakeOpenApi, type WireTap } from '../src/testing/index.js';
import { client, delay, gateway } from './helpers/setup.js';
import { EVENTS, ROBOT, rawBot } from './helpers/raw-bot.js';

const TOPIC_CARD = '/v1.0/card/instances/callback';

describe('FakeDingTalkGateway redelivery (production model, the default)', () => {
  it('redelivers an unacked chatbot message after 2 s under a new messageId with the same msgId', async () => {
    const gw = await gateway();
    const bot = await rawBot(gw.openApiHost, gw, [ROBOT]);
    const pushedAt = Date.now();
    const id = gw.pushChatbotMessage('slow question');
    const [first, again] = await bot.waitForFrames(2, 4000);
    expect(first!.headers.messageId).toBe(id);
    expect(again!.headers.messageId).not.toBe(id);
    expect(again!.data.msgId).toBe(first!.data.msgId);
    expect(again!.data).toEqual(first!.data);
    expect(again!.at - pushedAt).toBeGreaterThanOrEqual(1900);
    expect(again!.at - pushedAt).toBeLessThan(4000); // about 2 s, as production: the bound is the point, with room for load
    // the test can relate the redelivery to its push
    const push = gw.pushOf(again!.headers.messageId)!;
    expect(push.messageId).toBe(id);
    expect(push.businessId).toBe(first!.data.msgId);
    expect(push.deliveries.map((d) => d.messageId)).toEqual([id, again!.headers.messageId]);
    expect(gw.deliveryCount(first!.data.msgId)).toBe(2);
    bot.ack(again!);
    await gw.waitFor(() => push.state === 'acked', 1000, 'the redelivery acked');
    expect(gw.unacked).not.toContain(id);
    // the original id's waiter sees no ack; the push's does
    await expect(gw.waitForAck(id, 100)).rejects.toThrow(/no ack/);
    expect((await gw.waitForAck(id, 100, { anyDelivery: true })).headers.messageId).toBe(again!.headers.messageId);
  });

  it('redelivers at most maxRedeliveries times, then gives up and says so on the tap', async () => {
    const gw = await gateway({ redeliverAfterMs: 100, maxRedeliveries: 3 });
    const gaveUp: WireTap[] = [];
    gw.tap((e) => e.dir === 'gave-up' && gaveUp.push(e));
    const bot = await rawBot(gw.openApiHost, gw, [ROBOT]);
    const id = gw.pushChatbotMessage('never acked');
    const frames = await bot.waitForFrames(4);
    await gw.waitFor(() => gw.pushOf(id)!.state === 'gave-up', 1000, 'the gateway to give up');
    await delay(300);
    expect(bot.pushes()).toHaveLength(4);
    expect(new Set(frames.map((f) => f.headers.messageId)).size).toBe(4);
    expect(new Set(frames.map((f) => f.data.msgId)).size).toBe(1);
    expect(gw.unacked).toEqual([id]);
    expect(gaveUp).toEqual([{ dir: 'gave-up', push: gw.pushOf(id) }]);
  });

  it('keeps an event\'s eventId on redelivery, and gives every push its own eventId', async () => {
    const gw = await gateway({ redeliverAfterMs: 100, maxRedeliveries: 1 });
    const bot = await rawBot(gw.openApiHost, gw, [EVENTS]);
    const a = gw.pushEvent({ n: 1 });
    gw.pushEvent({ n: 2 });
    const frames = await bot.waitForFrames(4);
    const first = frames.filter((f) => f.data.n === 1);
    const second = frames.filter((f) => f.data.n === 2);
    expect(first.map((f) => f.headers.messageId)).toEqual(gw.pushOf(a)!.deliveries.map((d) => d.messageId));
    expect(new Set(first.map((f) => f.headers.eventId)).size).toBe(1);
    expect(first[0]!.headers.eventId).not.toBe(second[0]!.headers.eventId);
    expect(gw.deliveryCount(first[0]!.headers.eventId!)).toBe(2);
  });

  it('pushes the same business message under two messageIds when told to', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const bot = await rawBot(gw.openApiHost, gw, [ROBOT, EVENTS]);
    const m1 = gw.pushChatbotMessage('same', { msgId: 'msgSAME==' });
    await delay(500);
    const m2 = gw.pushChatbotMessage('same', { msgId: 'msgSAME==' });
    const e1 = gw.pushEvent({}, { eventId: 'evt-1' });
    const e2 = gw.pushEvent({}, { eventId: 'evt-1' });
    const frames = await bot.waitForFrames(4);
    expect(frames.map((f) => f.headers.messageId)).toEqual([m1, m2, e1, e2]);
    expect(frames[1]!.at - frames[0]!.at).toBeGreaterThanOrEqual(450);
    expect(gw.deliveryCount('msgSAME==')).toBe(2);
    expect(gw.deliveryCount('evt-1')).toBe(2);
  });

  it('redelivers a CALLBACK acked 500 and an EVENT acked LATER, bounded, each under a new messageId', async () => {
    const gw = await gateway({ redeliverAfterMs: 150, maxRedeliveries: 2 });
    const bot = await rawBot(gw.openApiHost, gw, [EVENTS, { type: 'CALLBACK', topic: TOPIC_CARD }]);
    const card = gw.pushCallback(TOPIC_CARD, { outTrackId: 't1' });
    const event = gw.pushEvent({ kind: 'later' });
    let answered = 0;
    const answer = () => {
      for (const f of bot.pushes().slice(answered)) bot.ack(f, f.type === 'CALLBACK' ? 500 : 200, f.type === 'CALLBACK' ? { response: null } : { status: 'LATER', message: 'later' });
      answered = bot.pushes().length;
    };
    const timer = setInterval(answer, 20);
    try {
      await gw.waitFor(() => gw.pushOf(card)!.state === 'gave-up' && gw.pushOf(event)!.state === 'gave-up', 3000, 'both given up');
    } finally {
      clearInterval(timer);
    }
    for (const id of [card, event]) {
      const push = gw.pushOf(id)!;
      expect(push.deliveries).toHaveLength(3);
      expect(new Set(push.deliveries.map((d) => d.messageId)).size).toBe(3);
      expect(push.deliveries.every((d) => d.ack && !d.late)).toBe(true);
    }
    expect(bot.pushes()).toHaveLength(6);
  });

  it('stops redelivering once a delivery is acked 200 in time; a late ack does not stop it', async () => {
    const gw = await gateway({ redeliverAfterMs: 300, maxRedeliveries: 3 });
    const bot = await rawBot(gw.openApiHost, gw, [ROBOT]);
    const id = gw.pushChatbotMessage('acked late, then in time');
    const [first, second] = await bot.waitForFrames(2); // not acked within 300 ms: redelivered
    bot.ack(first!); // an answer to a request the gateway no longer waits for
    bot.ack(second!);
    await gw.waitFor(() => gw.pushOf(id)!.state === 'acked', 1000, 'the second delivery acked');
    await delay(400);
    expect(bot.pushes()).toHaveLength(2);
    const push = gw.pushOf(id)!;
    expect(push.deliveries[0]!.late).toBe(true);
    expect(push.ack!.headers.messageId).toBe(second!.headers.messageId);
    expect(gw.acksOf(id)).toHaveLength(2);
  });

  it('keeps the older same-message-id model as an option: same id, unbounded, a late ack settles', async () => {
    const gw = await gateway({ redelivery: 'same-message-id', redeliverAfterMs: 80 });
    const bot = await rawBot(gw.openApiHost, gw, [ROBOT]);
    const id = gw.pushChatbotMessage('legacy');
    const frames = await bot.waitForFrames(6); // more than the production model's 1 + 3
    expect(frames.every((f) => f.headers.messageId === id)).toBe(true);
    bot.ack(frames[0]!);
    await gw.waitFor(() => gw.pushOf(id)!.state === 'acked', 1000, 'the late ack to settle it');
    const count = bot.pushes().length;
    await delay(300);
    expect(bot.pushes().length).toBeLessThanOrEqual(count + 1); // one may have been on its way
    expect((await gw.waitForAck(id)).code).toBe(200);
  });

  it('never redelivers with redeliverAfterMs: 0', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const bot = await rawBot(gw.openApiHost, gw, [ROBOT]);
    gw.pushChatbotMessage('once');
    await bot.waitForFrames(1);
    await delay(300);
    expect(bot.pushes()).toHaveLength(1);
  });
});

describe('FakeDingTalkGateway routing by subscription', () => {
  it('pushes events only to a connection subscribed to EVENT, queueing them until one is', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const chatOnly = await rawBot(gw.openApiHost, gw, [ROBOT]);
    const id = gw.pushEvent({ n: 1 });
    await delay(200);
    expect(chatOnly.pushes()).toHaveLength(0);
    expect(gw.queue.map((f) => f.headers.messageId)).toEqual([id]);
    const events = await rawBot(gw.openApiHost, gw, [EVENTS]);
    const [frame] = await events.waitForFrames(1);
    expect(frame!.headers.messageId).toBe(id);
    expect(gw.queue).toHaveLength(0);
    gw.pushChatbotMessage('to the chat bot');
    await chatOnly.waitForFrames(1);
    expect(events.pushes()).toHaveLength(1);
  });

  it('pushes a CALLBACK only to a connection subscribed to its topic; `to` bypasses the check', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const cards = await rawBot(gw.openApiHost, gw, [{ type: 'CALLBACK', topic: TOPIC_CARD }]);
    const chat = await rawBot(gw.openApiHost, gw, [ROBOT]);
    for (let i = 0; i < 4; i++) gw.pushCallback(TOPIC_CARD, { i });
    await cards.waitForFrames(4);
    const forced = gw.pushCallback('/v1.0/unknown/topic', {}, { to: gw.live()[1] });
    const [frame] = await chat.waitForFrames(1);
    expect(frame!.headers.messageId).toBe(forced);
    expect(chat.pushes()).toHaveLength(1);
  });

  it('does not push events to our client when it registered only a chatbot handler', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    c.registerCallbackHandler(ROBOT.topic, () => undefined);
    await c.start();
    const id = gw.pushEvent({});
    await delay(200);
    expect(gw.pushOf(id)!.deliveries[0]!.sentAt).toBeNull();
    expect(gw.acks).toHaveLength(0);
  });
});

describe('fake OpenAPI', () => {
  async function setup() {
    const gw = await gateway();
    const fake = installFakeOpenApi(gw);
    const api = new DingTalkOpenApi(client(gw), { oapiHost: gw.openApiHost });
    return { gw, fake, api };
  }

  it('serves the link that messageFiles/download hands out', async () => {
    const { fake, api } = await setup();
    const generated = await fetch(await api.messageFileDownloadUrl('dc 1/x'));
    expect(generated.status).toBe(200);
    expect(generated.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await generated.text()).toContain('dc 1/x');
    const pdf = new TextEncoder().encode('%PDF-1.7 fake');
    fake.files.set('dc-pdf', { body: pdf, contentType: 'application/pdf' });
    const res = await fetch(await api.messageFileDownloadUrl('dc-pdf'));
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(pdf);
  });

  it('accepts and records the Python SDK\'s set_off_duty_prompt call, with the token checked', async () => {
    const { gw, fake, api } = await setup();
    const path = '/v1.0/innerApi/robot/stream/away/template/update';
    const body = { robotCode: gw.clientId, cardTemplateId: 'StandardCard', cardData: JSON.stringify({ config: { autoLayout: true }, contents: [] }) };
    const post = (token: string, payload: unknown) =>
      fetch(`${gw.openApiHost}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-acs-dingtalk-access-token': token }, body: JSON.stringify(payload) });
    expect((await post('not-a-token', body)).status).toBe(401);
    const token = await api.accessToken();
    expect((await post(token, { robotCode: gw.clientId })).status).toBe(400);
    const ok = await post(token, body);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ success: true });
    expect(fake.calls(path, 'POST').at(-1)!.body).toEqual(body);
  });
});
