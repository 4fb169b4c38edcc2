import { describe, expect, it, vi } from 'vitest';
import { TOPIC_CARD } from '../adapters/node.js';
import { registerChatbotHandler } from '../src/chatbot/index.js';
import { client, delay, gateway } from './helpers/setup.js';

describe('per-conversation ordering', () => {
  it('handles the messages of one conversation one at a time in arrival order, and other conversations side by side', async () => {
    const gw = await gateway();
    const c = client(gw);
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const perChat = new Map<string, number>();
    let overlaps = 0; // counted here, asserted below: an expect in a handler is swallowed as a handler error
    registerChatbotHandler(c, async (message, reply) => {
      const chat = message.conversationId;
      perChat.set(chat, (perChat.get(chat) ?? 0) + 1);
      if (perChat.get(chat) !== 1) overlaps++; // two of one chat at once
      peak = Math.max(peak, ++running);
      log.push(`start ${message.text}`);
      await delay(message.text.endsWith('1') ? 150 : 30); // the first of each chat is the slowest
      log.push(`end ${message.text}`);
      running--;
      perChat.set(chat, perChat.get(chat)! - 1);
      await reply.text(`answer: ${message.text}`);
    }, { sequential: 'conversation' });
    await c.start();
    for (const chat of ['A', 'B', 'C']) for (const n of [1, 2, 3]) gw.pushChatbotMessage(`${chat}${n}`, { extra: { conversationId: `cid-${chat}` } });
    await gw.waitFor(() => gw.webhookCalls.length === 9, 5_000, 'nine answers');
    expect(overlaps).toBe(0);
    for (const chat of ['A', 'B', 'C']) {
      const mine = log.filter((l) => l.includes(chat));
      expect(mine).toEqual([`start ${chat}1`, `end ${chat}1`, `start ${chat}2`, `end ${chat}2`, `start ${chat}3`, `end ${chat}3`]);
    }
    expect(peak).toBe(3); // the three chats ran side by side
  });

  it('refuses a message beyond the conversation’s queue limit and tells the bot through onBusy', async () => {
    const gw = await gateway();
    const c = client(gw);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const handled: string[] = [];
    registerChatbotHandler(c, async (message, reply) => {
      handled.push(message.text);
      if (message.text === 'first') await held;
      await reply.text(`answer: ${message.text}`);
    }, { sequential: 'conversation', maxWaiting: 1, onBusy: (_message, reply) => reply.text('Still working on your previous message…') });
    await c.start();
    const chat = { extra: { conversationId: 'cid-busy' } };
    const ids = ['first', 'second', 'third'].map((t) => gw.pushChatbotMessage(t, chat));
    for (const id of ids) expect((await gw.waitForAck(id)).code).toBe(200); // all acked on receipt
    await gw.waitFor(() => gw.webhookCalls.length === 1, 5_000, 'the busy answer');
    expect(gw.webhookCalls[0]!.body).toMatchObject({ text: { content: 'Still working on your previous message…' } });
    release();
    await gw.waitFor(() => gw.webhookCalls.length === 3, 5_000, 'the two answers');
    expect(handled).toEqual(['first', 'second']);
    expect(c.log.lines.some((l) => l.startsWith('warn') && l.includes('refused'))).toBe(true);
  });

  it('orders any topic by a key function on the core API, and a message without a key is not ordered', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    const order: string[] = [];
    c.registerCallbackHandler(TOPIC_CARD, async (m) => {
      const { outTrackId, n } = m.data as { outTrackId?: string; n: number };
      order.push(`${outTrackId ?? '-'}:${n}`);
      await delay(n === 1 ? 100 : 10);
      return null;
    }, { sequential: (m) => (m.data as { outTrackId?: string }).outTrackId });
    await c.start();
    const ids = [1, 2].map((n) => gw.pushCallback(TOPIC_CARD, { outTrackId: 'card-1', n }));
    ids.push(gw.pushCallback(TOPIC_CARD, { n: 3 }));
    await Promise.all(ids.map((id) => gw.waitForAck(id)));
    await vi.waitFor(() => expect(order).toHaveLength(3));
    expect(order.indexOf('card-1:2')).toBeGreaterThan(order.indexOf('card-1:1'));
    expect(order.indexOf('-:3')).toBeLessThan(order.indexOf('card-1:2')); // unkeyed: not behind card-1
  });
});

describe('ordering across a stop', () => {
  it('does not leave a conversation busy for good when stop() dropped its queued message', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw, { maxConcurrency: 1 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const handled: string[] = [];
    registerChatbotHandler(c, async (message, reply) => {
      handled.push(message.text);
      if (message.text === 'blocker') await held; // holds the only slot
      await reply.text(`answer: ${message.text}`);
    }, { sequential: 'conversation' });
    await c.start();
    gw.pushChatbotMessage('blocker', { extra: { conversationId: 'cid-blocker' } });
    await vi.waitFor(() => expect(handled).toEqual(['blocker']));
    // in its conversation's turn, but waiting in the limiter for the slot when stop() comes
    gw.pushChatbotMessage('queued', { extra: { conversationId: 'cid-other' } });
    await delay(50);
    await c.stop();
    release();
    await c.start();
    gw.pushChatbotMessage('after restart', { extra: { conversationId: 'cid-other' } });
    await gw.waitFor(() => gw.webhookCalls.some((r) => (r.body as { text?: { content?: string } }).text?.content === 'answer: after restart'), 5_000, 'the answer after the restart');
  });
});
