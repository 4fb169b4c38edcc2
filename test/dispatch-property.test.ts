// Property: whatever a handler does with a delivery (answers, answers later, throws, throws
// null, rejects, hangs past its timeout, answers something JSON cannot carry), and however the
// gateway redelivers (the same business id under a new messageId, at any moment, in flight or
// after), every delivery is acked exactly once, nothing escapes as an unhandled rejection or
// uncaught exception, and the concurrency slots all come back. With stop() in the middle: at
// most one ack per messageId, and the same two last guarantees.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TOPIC_CARD, TOPIC_ROBOT, type StreamMessage } from '../adapters/node.js';
import { chatbotMessage, eventHeaders, newMessageId, type FakeConnection, type FakeDingTalkGateway } from '../src/testing/index.js';
import { escaped, until, watchEscapes } from './helpers/frames.js';
import { client, delay, gateway } from './helpers/setup.js';

const SEED = Number(process.env.DISPATCH_PROPERTY_SEED ?? 20_260_421);
const NUM_RUNS = Number(process.env.DISPATCH_PROPERTY_RUNS ?? 25);
/** The handler timeout: short, so that a hung handler costs little. */
const TIMEOUT_MS = 150;
/** A hung handler gives up this long after its timeout (it ignores its signal). */
const HANG_PAST_MS = 100;

type Kind = 'card' | 'chatbot' | 'event';
type Unserializable = 'circular' | 'bigint' | 'deep';
type Behaviour =
  | { do: 'value' | 'promise' | 'throw' | 'throw-null' | 'reject' | 'hang' }
  | { do: 'unserializable'; what: Unserializable; async: boolean };
interface Delivery {
  kind: Kind;
  behaviour: Behaviour;
}
interface Scenario {
  deliveries: Delivery[];
  /** Each step sends a delivery: its first frame, or a redelivery of it (same business id, new messageId). */
  steps: Array<{ delivery: number; gapMs: number }>;
  /** Calls stop() (not awaited) just before this step, when it is one. */
  stopAt: number | undefined;
}

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  ...(['value', 'promise', 'throw', 'throw-null', 'reject', 'hang'] as const).map((d) => fc.constant({ do: d })),
  fc.record({ do: fc.constant('unserializable' as const), what: fc.constantFrom<Unserializable>('circular', 'bigint', 'deep'), async: fc.boolean() }),
);
const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    deliveries: fc.array(fc.record({ kind: fc.constantFrom<Kind>('card', 'chatbot', 'event'), behaviour }), { minLength: 1, maxLength: 6 }),
    steps: fc.array(fc.record({ delivery: fc.nat(), gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 15 })) }), { minLength: 1, maxLength: 14 }),
    stop: fc.oneof({ arbitrary: fc.constant(null), weight: 2 }, { arbitrary: fc.nat(), weight: 1 }),
  })
  .map(({ deliveries, steps, stop }) => ({
    deliveries,
    steps: steps.map((s) => ({ ...s, delivery: s.delivery % deliveries.length })),
    stopAt: stop === null ? undefined : stop % (steps.length + 1),
  }));

/** A value JSON cannot carry, built fresh (the deep one without recursion). */
function unserializable(what: Unserializable): unknown {
  if (what === 'bigint') return { amount: 10n };
  if (what === 'circular') {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    return o;
  }
  let deep: unknown[] = [];
  // a million levels: JSON.stringify overflows any stack on it (10,000 did not under a larger stack),
  // and were it to succeed, its 2 MB would be over maxFrameSize: refused either way
  for (let i = 0; i < 1_000_000; i++) deep = [deep];
  return deep;
}

/** What a handler of `kind` answers when it answers normally. */
function answer(kind: Kind): unknown {
  if (kind === 'event') return 'SUCCESS';
  if (kind === 'card') return { cardData: { cardParamMap: { status: 'ok' } } };
  return null;
}

let runNo = 0;

/** One property run: a fresh client on the shared gateway, the scenario played over its socket. */
async function play(gw: FakeDingTalkGateway, s: Scenario): Promise<void> {
  const run = ++runNo;
  const c = client(gw, { handlerTimeoutMs: TIMEOUT_MS, logger: null });
  let started = 0;
  let finished = 0;
  const behaviourOf = (m: StreamMessage): Behaviour => s.deliveries[(m.data as { d: number }).d]!.behaviour;
  const handler = (kind: Kind) => (m: StreamMessage): unknown => {
    const b = behaviourOf(m);
    started++;
    const done = <T>(v: T): T => (finished++, v);
    switch (b.do) {
      case 'value':
        return done(answer(kind));
      case 'promise':
        return delay(1).then(() => done(answer(kind)));
      case 'throw':
        finished++;
        throw new Error('handler bug');
      case 'throw-null':
        finished++;
        throw null;
      case 'reject':
        return delay(1).then(() => {
          finished++;
          throw new Error('rejected');
        });
      case 'hang':
        return delay(TIMEOUT_MS + HANG_PAST_MS).then(() => done(answer(kind)));
      case 'unserializable': {
        // an event's answer carries it in its message; a callback's is the answer itself
        const make = () => (kind === 'event' ? { status: 'SUCCESS', message: unserializable(b.what) } : unserializable(b.what));
        return b.async ? delay(1).then(() => done(make())) : done(make());
      }
    }
  };
  c.registerCallbackHandler(TOPIC_CARD, handler('card'));
  c.registerCallbackHandler(TOPIC_ROBOT, handler('chatbot'));
  c.registerAllEventHandler(handler('event') as (m: StreamMessage) => undefined);
  // stopped however the run ends, so that a failed run leaves no client on the shared gateway
  try {
    const before = gw.connections.length;
    await c.start();
    await gw.waitFor(() => gw.connections.length > before, 2_000, 'the run’s connection');
    const conn: FakeConnection = gw.connections[before]!;

    /** The frame of delivery `i` under a new messageId: the same data and business id every time. */
    const frame = (i: number, messageId: string): string => {
      const { kind } = s.deliveries[i]!;
      if (kind === 'event') {
        const headers = { ...eventHeaders('user_add_org'), eventId: `evt-${run}-${i}`, messageId };
        return JSON.stringify({ specVersion: '1.0', type: 'EVENT', headers, data: JSON.stringify({ d: i }) });
      }
      const topic = kind === 'card' ? TOPIC_CARD : TOPIC_ROBOT;
      // a card callback's dedup key is its whole payload; a chatbot message's is data.msgId
      const data = kind === 'card' ? { outTrackId: `card-${run}-${i}`, d: i } : chatbotMessage({ text: `m${i}`, msgId: `msg-${run}-${i}==`, sessionWebhook: gw.sessionWebhook(), extra: { d: i } });
      const headers = { topic, messageId, contentType: 'application/json', time: String(Date.now()) };
      return JSON.stringify({ specVersion: '1.0', type: 'CALLBACK', headers, data: JSON.stringify(data) });
    };

    const sent: string[] = [];
    let stopping: Promise<void> | undefined;
    for (const [n, step] of s.steps.entries()) {
      if (n === s.stopAt) stopping = c.stop();
      if (step.gapMs) await delay(step.gapMs);
      const messageId = newMessageId();
      if (gw.sendRaw(frame(step.delivery, messageId), conn)) sent.push(messageId);
    }
    if (s.stopAt === s.steps.length) stopping = c.stop();

    const acksOf = (id: string) => gw.acks.filter((a) => a.headers.messageId === id).length;
    const handlersDone = () => started === finished;
    const report = () => JSON.stringify({ run, started, finished, status: c.status(), unacked: sent.filter((id) => acksOf(id) === 0).length, sent: sent.length });
    if (stopping) {
      await stopping;
      // closed on the gateway's side: no ack can come after this
      await gw.waitFor(() => conn.closedAt !== null, 2_000, 'the stopped client’s socket to close');
      await until(() => handlersDone() || escaped.length > 0, 3_000);
      expect([...escaped], report()).toEqual([]);
      expect(handlersDone(), `every handler finished: ${report()}`).toBe(true);
      expect(sent.filter((id) => acksOf(id) > 1), `acked more than once: ${report()}`).toEqual([]);
    } else {
      // a positive signal: every delivery acked and every handler done (or something escaped)
      await until(() => (sent.every((id) => acksOf(id) > 0) && handlersDone()) || escaped.length > 0, 3_000);
      expect([...escaped], report()).toEqual([]);
      expect(sent.filter((id) => acksOf(id) === 0), `deliveries with no ack: ${report()}`).toEqual([]);
      expect(handlersDone(), `every handler finished: ${report()}`).toBe(true);
      // a barrier: the ping's ack comes after every ack the client sent before it, on one socket
      await gw.waitForAck(gw.ping(conn), 2_000);
      expect(sent.filter((id) => acksOf(id) !== 1), `deliveries not acked exactly once: ${report()}`).toEqual([]);
    }
    expect(c.status().inFlight, report()).toBe(0);
  } finally {
    await c.stop();
  }
}

describe('dispatch property', () => {
  it('acks every delivery exactly once (at most once across a stop), lets nothing escape, and frees every slot, whatever the handlers do and however the gateway redelivers', async () => {
    watchEscapes();
    const gw = await gateway({ redeliverAfterMs: 0 });
    console.info(`dispatch property: seed ${SEED}, ${NUM_RUNS} runs (DISPATCH_PROPERTY_SEED / DISPATCH_PROPERTY_RUNS to change)`);
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        escaped.length = 0;
        await play(gw, s);
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  }, 300_000);
});
