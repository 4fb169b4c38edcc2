import { describe, expect, it, vi } from 'vitest';
import { TOPIC_CARD, TOPIC_ROBOT, type DingTalkStreamError } from '../adapters/node.js';
import { registerChatbotHandler } from '../src/chatbot/index.js';
import { chatbotMessage, type FakeDingTalkGateway } from '../src/testing/index.js';
import { sendCallback, sendEvent } from './helpers/frames.js';
import { client, delay, gateway } from './helpers/setup.js';

// The gateway redelivers a frame not acked within ~2 s under a NEW messageId, keeping only
// the business id (data.msgId, headers.eventId): protocol.md §10.1. These tests send such
// redeliveries by hand, at chosen moments, on the socket the client is connected on.

const ackedAt = async (gw: FakeDingTalkGateway, id: string, sentAt: number) => {
  await gw.waitForAck(id, 15_000);
  return performance.now() - sentAt;
};

describe('ack policy by topic', () => {
  it('acks a chatbot message on receipt, before a slow handler, and replies once', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    registerChatbotHandler(c, async (message, reply) => {
      await slow; // an LLM still thinking
      await reply.text(`done: ${message.text}`);
    });
    await c.start();
    const id = gw.pushChatbotMessage('slow question');
    // an ordering, not a stopwatch: the ack is in while the handler is still held
    await gw.waitForAck(id, 5_000);
    expect(gw.webhookCalls).toHaveLength(0);
    release();
    await gw.waitFor(() => gw.webhookCalls.length === 1, 5_000, 'the reply');
    expect(JSON.parse((await gw.waitForAck(id)).data)).toEqual({ response: null });
  });

  it('acks a chatbot message on receipt whatever API registered it: core registerCallbackHandler and messages()', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const finished: string[] = [];
    c.registerCallbackHandler(TOPIC_ROBOT, () => held.then(() => void finished.push('core')));
    await c.start();
    const core = await gw.waitForAck(gw.pushChatbotMessage('core'), 1_000);

    const gw2 = await gateway({ redeliverAfterMs: 0 });
    const c2 = client(gw2);
    const loop = (async () => {
      for await (const _msg of c2.messages(TOPIC_ROBOT)) {
        await held; // does not ask for the next one yet
        finished.push('loop');
      }
    })();
    await c2.start();
    await gw2.waitFor(() => gw2.live().length === 1, 5_000, 'the connection');
    const looped = await gw2.waitForAck(gw2.pushChatbotMessage('loop'), 1_000);
    // both acked while their handler / loop body was still held
    expect(finished).toEqual([]);
    for (const ack of [core, looped]) expect({ code: ack.code, data: JSON.parse(ack.data) }).toEqual({ code: 200, data: { response: null } });
    release();
    await c2.stop();
    await loop;
  });

  it('acks after the handler when a chatbot registration asks for it explicitly', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    c.registerCallbackHandler(TOPIC_ROBOT, async () => {
      await delay(300);
      return null;
    }, { ack: 'after' });
    await c.start();
    const sentAt = performance.now();
    expect(await ackedAt(gw, gw.pushChatbotMessage('after'), sentAt)).toBeGreaterThanOrEqual(290);
  });

  it('acks a card callback after its handler, with the answer, and warns when the handler took over 1.5 s', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    c.registerCallbackHandler(TOPIC_CARD, async () => {
      await delay(1_600);
      return { cardData: { cardParamMap: { status: 'ok' } } };
    });
    await c.start();
    const ack = await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { outTrackId: 'slow-card' }), 5_000);
    expect(JSON.parse(ack.data)).toEqual({ response: { cardData: { cardParamMap: { status: 'ok' } } } });
    const warning = c.log.lines.find((l) => l.startsWith('warn') && l.includes(TOPIC_CARD) && l.includes('handler took'));
    expect(warning).toMatch(/took 1[5-9]\d\d ms/);
  });
});

describe('dedup on messageId and business id', () => {
  it('runs a chatbot handler once for one msgId delivered under two messageIds 500 ms apart, and acks both', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    let runs = 0;
    registerChatbotHandler(c, async (_m, reply) => {
      runs++;
      await delay(1_000);
      await reply.text('answer');
    });
    await c.start();
    const data = chatbotMessage({ text: 'twice', msgId: 'msgSAME==', sessionWebhook: gw.sessionWebhook() });
    const first = sendCallback(gw, TOPIC_ROBOT, data);
    await delay(500);
    const second = sendCallback(gw, TOPIC_ROBOT, data);
    const acks = await Promise.all([gw.waitForAck(first), gw.waitForAck(second)]);
    expect(acks.map((a) => a.code)).toEqual([200, 200]);
    await delay(800);
    expect(runs).toBe(1);
    expect(gw.webhookCalls).toHaveLength(1);
    expect(c.status().counters.duplicates).toBe(1);
  });

  it('runs an event handler once for one eventId redelivered while in flight, and acks the redelivery with the same status', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    let runs = 0;
    c.registerAllEventHandler(async () => {
      runs++;
      await delay(600);
      return 'SUCCESS' as const;
    });
    await c.start();
    const first = sendEvent(gw, 'evt-42');
    await delay(200);
    const second = sendEvent(gw, 'evt-42');
    const [a, b] = await Promise.all([gw.waitForAck(first), gw.waitForAck(second)]);
    expect(JSON.parse(a.data).status).toBe('SUCCESS');
    expect(b.data).toBe(a.data);
    expect(b.headers.messageId).toBe(second);
    const third = sendEvent(gw, 'evt-42'); // after it finished: the stored outcome, under its own messageId
    expect((await gw.waitForAck(third)).data).toBe(a.data);
    expect(runs).toBe(1);
  });

  it('runs the handler again for a redelivery of an event that answered LATER', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    let runs = 0;
    c.registerAllEventHandler(() => (++runs === 1 ? 'LATER' : 'SUCCESS'));
    await c.start();
    expect(JSON.parse((await gw.waitForAck(sendEvent(gw, 'evt-later'))).data).status).toBe('LATER');
    expect(JSON.parse((await gw.waitForAck(sendEvent(gw, 'evt-later'))).data).status).toBe('SUCCESS');
    expect(runs).toBe(2);
  });

  it('answers an identical card callback, in flight or answered, with the first one’s answer (card callbacks carry no business id)', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    let runs = 0;
    c.registerCallbackHandler(TOPIC_CARD, async () => {
      runs++;
      await delay(400);
      return { cardData: { cardParamMap: { n: String(runs) } } };
    });
    await c.start();
    const press = { outTrackId: 'card-1', userId: 'u1', content: '{"cardPrivateData":{"params":{"action":"ok"}}}' };
    const first = sendCallback(gw, TOPIC_CARD, press);
    await delay(100);
    const second = sendCallback(gw, TOPIC_CARD, press);
    const [a, b] = await Promise.all([gw.waitForAck(first), gw.waitForAck(second)]);
    expect(b.data).toBe(a.data);
    expect(runs).toBe(1);
    // answered: a later copy (a redelivery after a lost ack, or a double click) gets the same answer
    expect((await gw.waitForAck(sendCallback(gw, TOPIC_CARD, press))).data).toBe(a.data);
    expect(runs).toBe(1);
    // a press that differs in anything is a new press
    await gw.waitForAck(sendCallback(gw, TOPIC_CARD, { ...press, userId: 'u2' }));
    expect(runs).toBe(2);
  });
});

describe('stale backlog', () => {
  it('acks and skips a chatbot message older than staleAfterMs, and counts it', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw, { staleAfterMs: 60_000 });
    let runs = 0;
    registerChatbotHandler(c, () => void runs++);
    await c.start();
    const old = chatbotMessage({ text: 'from before the storm', sessionWebhook: gw.sessionWebhook(), extra: { createAt: Date.now() - 61_000 } });
    const ack = await gw.waitForAck(sendCallback(gw, TOPIC_ROBOT, old));
    expect(ack.code).toBe(200);
    await gw.waitForAck(gw.pushChatbotMessage('fresh'));
    await delay(50);
    expect(runs).toBe(1);
    expect(c.status().counters.stale).toBe(1);
    expect(c.log.lines.some((l) => l.startsWith('debug') && l.includes('stale chatbot message'))).toBe(true);
  });

  it('handles old messages when staleAfterMs is 0', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw, { staleAfterMs: 0 });
    let runs = 0;
    registerChatbotHandler(c, () => void runs++);
    await c.start();
    const old = chatbotMessage({ text: 'old', sessionWebhook: gw.sessionWebhook(), extra: { createAt: Date.now() - 86_400_000 } });
    await gw.waitForAck(sendCallback(gw, TOPIC_ROBOT, old));
    await delay(50);
    expect(runs).toBe(1);
  });
});

describe('a handler that fails after the early ack', () => {
  it('leaves an error event and a log line with the stack, and lets onError tell the user', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    const errors: DingTalkStreamError[] = [];
    c.addEventListener('error', (e) => errors.push((e as CustomEvent<DingTalkStreamError>).detail));
    registerChatbotHandler(c, async () => {
      throw new Error('model unavailable');
    }, { onError: (_error, _message, reply) => reply.text('Sorry, something went wrong.') });
    await c.start();
    const ack = await gw.waitForAck(gw.pushChatbotMessage('boom'));
    expect(ack.code).toBe(200); // acked on receipt, not 500
    await gw.waitFor(() => gw.webhookCalls.length === 1, 5_000, 'the apology');
    expect(gw.webhookCalls[0]!.body).toMatchObject({ text: { content: 'Sorry, something went wrong.' } });
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]!.code).toBe('HANDLER_FAILED');
    const line = c.log.lines.find((l) => l.startsWith('error') && l.includes('model unavailable'));
    expect(line).toContain('acked on receipt');
    expect(line).toMatch(/\n\s+at /); // the stack
  });
});
