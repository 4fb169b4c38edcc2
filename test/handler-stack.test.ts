// A handler's throw is logged at error level with its stack (file and line), through the
// redactor, whether the message was acked after the handler (card callback: code 500) or on
// receipt (chatbot message: then the log line, the `error` event and `onError` are all
// that is left of it).
import { describe, expect, it } from 'vitest';
import { HandlerError, TOPIC_CARD } from '../adapters/node.js';
import { registerChatbotHandler } from '../src/chatbot/index.js';
import { client, gateway } from './helpers/setup.js';

/** What a plain-JS typo throws: `x is not defined`. */
function buggy(): never {
  throw new ReferenceError('x is not defined');
}

describe('handler errors in the log', () => {
  it('a card callback handler that throws: an error line with the stack, and an ack with code 500', async () => {
    const gw = await gateway();
    const c = client(gw);
    c.registerCallbackHandler(TOPIC_CARD, () => buggy());
    await c.start();
    const ack = await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { outTrackId: 'card-1' }));
    expect(ack.code).toBe(500);
    const line = c.log.lines.find((l) => l.startsWith('error ') && l.includes('ReferenceError'))!;
    expect(line).toContain(`Handler for ${TOPIC_CARD} failed`);
    expect(line).toContain('ReferenceError: x is not defined');
    expect(line).toMatch(/\n\s+at buggy \(.*handler-stack\.test\.ts:\d+:\d+\)/);
  });

  it('a chatbot handler that throws after the ack on receipt: the stack in the log, the error event and onError', async () => {
    const gw = await gateway();
    const c = client(gw);
    const events: unknown[] = [];
    const told: unknown[] = [];
    c.addEventListener('error', (e) => events.push((e as CustomEvent).detail));
    registerChatbotHandler(c, () => buggy(), { onError: (error) => void told.push(error) });
    await c.start();
    gw.pushChatbotMessage('hello');
    await gw.waitFor(() => c.log.lines.some((l) => l.includes('ReferenceError')), 5000, 'the error line');
    const line = c.log.lines.find((l) => l.includes('ReferenceError'))!;
    expect(line).toMatch(/^error .*failed.*\(acked on receipt\) ReferenceError: x is not defined\n\s+at buggy \(.*handler-stack\.test\.ts:\d+/s);
    expect(events[0]).toBeInstanceOf(HandlerError);
    expect((events[0] as HandlerError).cause).toBeInstanceOf(ReferenceError);
    expect(told[0]).toBeInstanceOf(ReferenceError);
  });

  it('a secret inside the thrown message or stack is scrubbed from the line', async () => {
    const gw = await gateway();
    const c = client(gw);
    c.registerCallbackHandler(TOPIC_CARD, () => {
      throw new Error(`login failed with ${gw.clientSecret}`);
    });
    await c.start();
    await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { outTrackId: 'card-2' }));
    const line = c.log.lines.find((l) => l.includes('login failed'))!;
    expect(line).toContain('login failed with ***');
    expect(c.log.lines.join('\n')).not.toContain(gw.clientSecret);
  });
});
