import { describe, expect, it, vi } from 'vitest';
import { HandlerError, TOPIC_CARD, type DedupStore, type DingTalkStreamError } from '../adapters/node.js';
import type { FakeDingTalkGateway, RecordedAck } from '../src/testing/index.js';
import { escaped, sendCallback, sendEvent, until, watchEscapes } from './helpers/frames.js';
import { client, delay, gateway } from './helpers/setup.js';

// Regression tests for the three dispatch defects of issue 21. Each one drives the public API
// against the fake gateway over real sockets, pushing CALLBACK/EVENT frames by hand (no
// redelivery by the fake: redeliverAfterMs 0) so that every redelivery happens when the test
// says so, with the same business id under a new messageId (protocol.md §10.1).

/** A topic of our own: any CALLBACK topic that is not a chatbot one acks after its handler. */
const CUSTOM_TOPIC = '/v1.0/acme/approval/callback';

const acked = (gw: FakeDingTalkGateway, id: string) => gw.acks.some((a) => a.headers.messageId === id);
const ackData = (ack: RecordedAck): unknown => JSON.parse(ack.data);

/** A million nested arrays, built without recursion: JSON.stringify overflows any stack on it (10,000 did not under a larger one), and its 2 MB would be over maxFrameSize anyway. */
function deepArray(depth = 1_000_000): unknown[] {
  let value: unknown[] = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('dispatch defects (issue 21)', () => {
  it('a callback answer JSON cannot carry (circular, BigInt, a million levels deep) costs one ack 500 and a HANDLER_FAILED error, not the bot: with maxConcurrency 2 the next callback is still answered', async () => {
    watchEscapes();
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw, { maxConcurrency: 2 });
    const errors: DingTalkStreamError[] = [];
    c.addEventListener('error', (e) => errors.push(e.detail));
    const circular: Record<string, unknown> = { cardData: { cardParamMap: { status: 'ok' } } };
    circular.self = circular;
    // each bad answer a different way: returned as is, in a resolved promise, after a real wait
    const answer = (m: { data: unknown }): unknown => {
      const kind = (m.data as { answer: string }).answer;
      if (kind === 'circular') return circular;
      if (kind === 'bigint') return Promise.resolve({ cardData: { cardParamMap: { amount: 10n } } });
      if (kind === 'deep') return delay(5).then(() => deepArray());
      return { cardData: { cardParamMap: { status: 'ok' } } };
    };
    c.registerCallbackHandler(TOPIC_CARD, answer);
    c.registerCallbackHandler(CUSTOM_TOPIC, answer);
    await c.start();

    // one at a time, each with a positive signal: its ack, or something escaping the client
    const bad: Array<{ topic: string; id: string }> = [];
    const outcomes: string[] = [];
    for (const [topic, answer] of [[TOPIC_CARD, 'circular'], [CUSTOM_TOPIC, 'deep'], [TOPIC_CARD, 'bigint']] as const) {
      const before = escaped.length;
      const id = sendCallback(gw, topic, { outTrackId: `card-${answer}`, answer });
      bad.push({ topic, id });
      const settled = await until(() => acked(gw, id) || escaped.length > before, 10_000); // a positive signal: the bound only matters when it never comes
      const ack = gw.acks.find((a) => a.headers.messageId === id);
      const { inFlight, queued } = c.status();
      outcomes.push(
        `${answer}: ${ack ? `ack ${ack.code}` : 'no ack'}` +
          (escaped.length > before ? `, escaped: ${escaped.slice(before).join(' | ')}` : '') +
          (settled ? '' : ` within 10 s (inFlight ${inFlight}, queued ${queued})`),
      );
    }
    expect(outcomes, outcomes.join(' / ')).toEqual(['circular: ack 500', 'deep: ack 500', 'bigint: ack 500']);
    await vi.waitFor(() => expect(errors).toHaveLength(3));
    expect(errors.map((e) => e.code)).toEqual(['HANDLER_FAILED', 'HANDLER_FAILED', 'HANDLER_FAILED']);
    expect(errors.map((e) => (e as HandlerError).topic).sort()).toEqual([CUSTOM_TOPIC, TOPIC_CARD, TOPIC_CARD].sort());
    expect(errors.every((e) => e instanceof HandlerError)).toBe(true);
    for (const { id } of bad) {
      expect(errors.some((e) => (e as HandlerError).messageId === id), `an error event for ${id}`).toBe(true);
    }
    // a log line naming the topic (at error level: the answer is lost)
    expect(c.log.lines.filter((l) => l.startsWith('error') && l.includes(TOPIC_CARD)).length).toBeGreaterThanOrEqual(2);
    expect(c.log.lines.filter((l) => l.startsWith('error') && l.includes(CUSTOM_TOPIC)).length).toBeGreaterThanOrEqual(1);

    // the bot is still there: both concurrency slots are free again
    const ok = await gw.waitForAck(sendCallback(gw, TOPIC_CARD, { outTrackId: 'card-ok', answer: 'ok' }), 3_000);
    expect(ok.code).toBe(200);
    expect(ackData(ok)).toEqual({ response: { cardData: { cardParamMap: { status: 'ok' } } } });
    const okCustom = await gw.waitForAck(sendCallback(gw, CUSTOM_TOPIC, { outTrackId: 'custom-ok', answer: 'ok' }), 3_000);
    expect(ackData(okCustom)).toEqual({ response: { cardData: { cardParamMap: { status: 'ok' } } } });
    expect(c.status().inFlight).toBe(0);
    expect(escaped).toEqual([]);
  });

  it('an event refused LATER because its sequential key is busy (maxWaiting 0) is not remembered: its redelivery after the key frees reaches the handler', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    const ran: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    c.registerAllEventHandler(async (event) => {
      ran.push(event.headers.eventId!);
      if (event.headers.eventId === 'evt-first') await held;
    }, { ack: 'immediate', sequential: () => 'k', maxWaiting: 0 });
    await c.start();

    const first = await gw.waitForAck(sendEvent(gw, 'evt-first'));
    expect(ackData(first)).toMatchObject({ status: 'SUCCESS' });
    await vi.waitFor(() => expect(ran).toEqual(['evt-first']));

    // the key is busy and nothing may wait: acked LATER, so the gateway redelivers it
    const busy = await gw.waitForAck(sendEvent(gw, 'evt-second'));
    expect(ackData(busy)).toMatchObject({ status: 'LATER' });
    expect(ran).toEqual(['evt-first']);

    release();
    await vi.waitFor(() => expect(c.status().inFlight).toBe(0)); // the first one is done: the key is free

    // the gateway's redelivery: same eventId, new messageId
    const again = await gw.waitForAck(sendEvent(gw, 'evt-second'));
    await vi.waitFor(() => expect(ran, 'the redelivery of evt-second reaches the handler').toEqual(['evt-first', 'evt-second']), { timeout: 2_000 });
    expect(ackData(again)).toMatchObject({ status: 'SUCCESS' });
  });

  it('an event that a shared dedup store says is pending elsewhere is acked event-shaped, SUCCESS (ack immediate), not {"response":null}', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const claims: string[] = [];
    // a user-supplied shared store: another process owns the events whose id says so
    const store: DedupStore = {
      claim(key) {
        claims.push(key);
        return key.includes('owned-elsewhere') ? { state: 'pending' } : { state: 'claimed' };
      },
      settle() {},
    };
    const c = client(gw, { dedupStore: store });
    const ran: string[] = [];
    c.registerAllEventHandler((event) => void ran.push(event.headers.eventId!), { ack: 'immediate' });
    await c.start();

    // an event this process claims: handled, acked SUCCESS (the store is wired up as intended)
    const mine = await gw.waitForAck(sendEvent(gw, 'evt-mine'));
    expect(ackData(mine)).toMatchObject({ status: 'SUCCESS' });
    await vi.waitFor(() => expect(ran).toEqual(['evt-mine']));

    // one the other process owns and (ack immediate) acked on receipt: SUCCESS here too
    const id = sendEvent(gw, 'evt-owned-elsewhere');
    const ack = await gw.waitForAck(id);
    expect(claims.some((k) => k.includes('evt-owned-elsewhere'))).toBe(true);
    expect(ack.code).toBe(200);
    expect(ackData(ack)).toMatchObject({ status: 'SUCCESS' });
    expect(ran).toEqual(['evt-mine']);
  });
  it('a shared dedup store that throws instead of answering (claim and settle) neither escapes nor costs the ack: the process decides alone', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const store: DedupStore = {
      claim() {
        throw new Error('store down');
      },
      settle() {
        throw new Error('store down');
      },
    };
    const c = client(gw, { dedupStore: store });
    const ran: string[] = [];
    c.registerAllEventHandler((event) => void ran.push(event.headers.eventId!));
    await c.start();
    watchEscapes();
    const ack = await gw.waitForAck(sendEvent(gw, 'evt-store-down'));
    expect(ackData(ack)).toMatchObject({ status: 'SUCCESS' });
    expect(ran).toEqual(['evt-store-down']);
    // a redelivery is still recognised by this process's own window
    const again = await gw.waitForAck(sendEvent(gw, 'evt-store-down'));
    expect(ackData(again)).toMatchObject({ status: 'SUCCESS' });
    expect(ran).toEqual(['evt-store-down']);
    expect(escaped).toEqual([]);
  });
});
