// A handler's throw is logged at error level with its stack (file and line), through the
// redactor, whether the message was acked after the handler (card callback: code 500) or on
// receipt (chatbot message: then the log line, the `error` event and `onError` are all
// that is left of it). The line says what happens next: acked after the handler, the
// gateway redelivers and the handler runs again; acked on receipt, only onError can tell
// the user.
import { describe, expect, it } from 'vitest';
import { HandlerError, TOPIC_CARD } from '../adapters/node.js';
import { registerChatbotHandler } from '../src/chatbot/index.js';
import { client, gateway } from './helpers/setup.js';

/** What a plain-JS typo throws: `x is not defined`. */
function buggy(): never {
  throw new ReferenceError('x is not defined');
}

describe('handler errors in the log', () => {
  it('a card callback handler that throws: an error line with the stack that says it runs again, an ack with code 500, and so it does', async () => {
    const gw = await gateway({ redeliverAfterMs: 200, maxRedeliveries: 1 });
    const c = client(gw);
    let runs = 0;
    c.registerCallbackHandler(TOPIC_CARD, () => (runs++, buggy()));
    await c.start();
    const id = gw.pushCallback(TOPIC_CARD, { outTrackId: 'card-1' });
    const ack = await gw.waitForAck(id);
    expect(ack.code).toBe(500);
    const line = c.log.lines.find((l) => l.startsWith('error ') && l.includes('ReferenceError'))!;
    expect(line).toContain(`Handler for ${TOPIC_CARD} failed`);
    expect(line).toContain('(acked 500: the gateway redelivers it and it runs again) ReferenceError: x is not defined');
    expect(line).toMatch(/\n\s+at buggy \(.*handler-stack\.test\.ts:\d+:\d+\)/);
    // what the line says: the redelivery runs the handler again
    await gw.waitFor(() => runs === 2, 5000, 'the handler to run again on the redelivery');
    expect(gw.pushOf(id)!.deliveries).toHaveLength(2);
  });

  it('a card callback whose answer cannot be sent: the line says why, acked 500, and it runs again', async () => {
    const gw = await gateway();
    const c = client(gw);
    c.registerCallbackHandler(TOPIC_CARD, () => ({ cardData: { count: 1n } }));
    await c.start();
    expect((await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { outTrackId: 'card-3' }))).code).toBe(500);
    const line = c.log.lines.find((l) => l.startsWith('error '))!;
    expect(line).toMatch(/failed \(message .*\) \(acked 500: the gateway redelivers it and it runs again\) TypeError: its answer was not sent: it cannot be sent as JSON \(.*BigInt/);
  });

  it('an event handler that throws: acked LATER, and the line says it runs again', async () => {
    const gw = await gateway();
    const c = client(gw);
    c.registerAllEventHandler(() => buggy());
    await c.start();
    const ack = await gw.waitForAck(gw.pushEvent({ userId: ['u1'] }));
    expect(JSON.parse(ack.data)).toMatchObject({ status: 'LATER' });
    expect(c.log.lines.find((l) => l.startsWith('error '))).toContain('(acked LATER: the gateway redelivers it and it runs again) ReferenceError: x is not defined');
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
    // nothing comes again: the line points to what can still reach the user
    expect(line).toMatch(/^error .*failed.*\(acked on receipt: only registerChatbotHandler's onError can tell the user\) ReferenceError: x is not defined\n\s+at buggy \(.*handler-stack\.test\.ts:\d+/s);
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
