// Testing your own bot offline with `dingtalk-stream-universal/testing`: a local DingTalk
// (Stream gateway + OpenAPI) on 127.0.0.1 that your real client connects to over real
// sockets. Copy this file next to your bot and swap in your own factory.
// Run with vitest (`npx vitest run`); jest and node:test work the same way.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DingTalkSimulator } from 'dingtalk-stream-universal/testing';
import { createCalculatorBot } from '../calculator/bot.mjs';

describe('calculator bot', () => {
  /** @type {DingTalkSimulator} */
  let sim;
  /** @type {ReturnType<typeof createCalculatorBot>} */
  let bot;

  beforeAll(async () => {
    sim = await DingTalkSimulator.start({ botName: 'CalcBot' }); // a free port on 127.0.0.1
    bot = createCalculatorBot({ ...sim.clientOptions(), logger: null });
    await bot.start(); // resolves once the bot's socket is open
  });

  afterAll(async () => {
    await bot.stop();
    await sim.close();
  });

  test('answers 1+1 with 2 in a 1:1 chat', async () => {
    const reply = await sim.chat('1+1');
    expect(reply.kind).toBe('text');
    expect(reply.text).toBe('Q: 1+1\nA: 2');
  });

  test('answers in a group when @-mentioned, and @-mentions the sender back', async () => {
    const reply = await sim.chat('@CalcBot (2 + 3) * 4', { conversation: 'group' });
    expect(reply.text).toBe('Q: (2 + 3) * 4\nA: 20');
    expect(reply.mentions).toEqual([sim.userName]);
  });

  test('acks the message with 200 once its reply is sent', async () => {
    const message = sim.send('2 ^ 10');
    await sim.waitForMessage((m) => m.id === message.id && m.ack !== 'pending');
    expect(message.ack).toBe('200');
  });

  test('ignores group messages that do not @ it, as DingTalk does', async () => {
    const message = sim.send('1+1', { conversation: 'group' });
    expect(message.delivered).toBe(false);
  });

  test('is sent no EVENT: like DingTalk, the simulator pushes only what the bot subscribed to', async () => {
    const messageId = sim.fireEvent('user_add_org');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sim.gateway.pushOf(messageId).deliveries[0].sentAt).toBeNull(); // queued for a subscriber
  });

  test('the raw wire is there when you need it: the reply went through the session webhook', async () => {
    const before = sim.gateway.webhookCalls.length;
    await sim.chat('7 % 3');
    const call = sim.gateway.webhookCalls[before];
    expect(call.body).toMatchObject({ msgtype: 'text', text: { content: 'Q: 7 % 3\nA: 1' } });
  });
});
