// Scenarios 13–16: what the production gateway does that the first release did not survive
// (protocol.md §10.1). The gateway waits ~2 s for an ack, then redelivers under a NEW messageId
// with the same msgId/eventId; a backlog can arrive after a reconnect storm. The fake runs with
// its production defaults here (2 s ack timeout, new messageId, 3 redeliveries).
import { describe, expect, it, vi } from 'vitest';
import { registerChatbotHandler } from '../../src/chatbot/index.js';
import { client, delay, gateway } from '../helpers/setup.js';
import { median, record, watch } from './harness.js';

type Gateway = Awaited<ReturnType<typeof gateway>>;

/** Session-webhook replies whose text is `answer: <text>`. */
const repliesTo = (gw: Gateway, text: string) => gw.webhookCalls.filter((r) => (r.body as { text?: { content?: string } }).text?.content === `answer: ${text}`);

/** Records when each ack reached the gateway (its records carry no time); returns the lookup. */
function timeAcks(gw: Gateway): (messageId: string) => number {
  const at = new Map<string, number>();
  gw.tap((e) => e.dir === 'in' && e.ack.headers.messageId && !at.has(e.ack.headers.messageId) && at.set(e.ack.headers.messageId, performance.now()));
  const sentAt = new Map<string, number>();
  gw.tap((e) => e.dir === 'out' && sentAt.set(JSON.parse(e.text).headers.messageId, performance.now()));
  return (messageId) => Math.round((at.get(messageId) ?? NaN) - (sentAt.get(messageId) ?? NaN));
}

describe('reliability: production redelivery (new messageId after ~2 s)', () => {
  it('answers each message of a 10 s LLM handler once, with its ack on receipt (scenario 13)', async () => {
    const gw = await gateway();
    const ackMs = timeAcks(gw);
    const c = client(gw);
    watch(gw, c.log);
    let runs = 0;
    registerChatbotHandler(c, async (message, reply) => {
      runs++;
      await delay(10_000); // an LLM thinking, five times the gateway's patience
      await reply.text(`answer: ${message.text}`);
    });
    await c.start();
    const texts = Array.from({ length: 10 }, (_, i) => `question ${i}`);
    const ids = texts.map((t) => gw.pushChatbotMessage(t));
    await gw.waitFor(() => texts.every((t) => repliesTo(gw, t).length > 0), 20_000, 'every answer');
    await delay(2_500); // past another ack timeout: no late copy comes
    const latencies = ids.map(ackMs); // from the frame leaving the gateway to its ack arriving
    const deliveries = ids.map((id) => gw.pushOf(id)!.deliveries.length);
    const duplicates = texts.reduce((n, t) => n + repliesTo(gw, t).length - 1, 0);
    record({ scenario: '13. LLM handler taking 10 s under 2 s redelivery', sent: 10, lost: texts.filter((t) => repliesTo(gw, t).length === 0).length, duplicates, peakConnections: gw.maxLive, notes: `one reply per msgId; acked on receipt: ack ${median(latencies)} ms median, ${Math.max(...latencies)} ms worst after the push (first release: after 10 s, so 3 replies each); ${deliveries.reduce((a, b) => a + b, 0) - 10} redeliveries` });
    for (const t of texts) expect(repliesTo(gw, t), t).toHaveLength(1);
    expect(runs).toBe(10);
    expect(deliveries.every((n) => n === 1), 'acked before the gateway redelivered').toBe(true);
    expect(gw.unacked).toHaveLength(0);
  });

  it('runs one msgId once when it arrives under two messageIds 500 ms apart (scenario 14)', async () => {
    const gw = await gateway();
    const c = client(gw);
    watch(gw, c.log);
    let runs = 0;
    registerChatbotHandler(c, async (message, reply) => {
      runs++;
      await delay(1_000);
      await reply.text(`answer: ${message.text}`);
    });
    await c.start();
    const texts = Array.from({ length: 10 }, (_, i) => `twice ${i}`);
    const first = texts.map((t) => gw.pushChatbotMessage(t));
    await delay(500);
    const second = texts.map((t, i) => gw.pushChatbotMessage(t, { msgId: gw.pushOf(first[i]!)!.businessId }));
    await gw.waitFor(() => texts.every((t) => repliesTo(gw, t).length > 0) && gw.unacked.length === 0, 10_000, 'every answer and ack');
    await delay(500);
    const duplicates = texts.reduce((n, t) => n + repliesTo(gw, t).length - 1, 0);
    record({ scenario: '14. one msgId under two messageIds 500 ms apart', sent: 20, lost: texts.filter((t) => repliesTo(gw, t).length === 0).length, duplicates, peakConnections: gw.maxLive, notes: `10 messages pushed twice; ${c.status().counters.duplicates} copies recognised by msgId and acked without running the handler (first release: 2 replies each)` });
    expect(duplicates).toBe(0);
    expect(runs).toBe(10);
    for (const id of [...first, ...second]) expect(gw.pushOf(id)!.state, id).toBe('acked');
  });

  it('runs an event once when the gateway redelivers it with the same eventId while its handler works (scenario 15)', async () => {
    const gw = await gateway();
    const c = client(gw);
    watch(gw, c.log);
    const runs = new Map<string, number>();
    c.registerAllEventHandler(async (event) => {
      const eventId = event.headers.eventId!;
      runs.set(eventId, (runs.get(eventId) ?? 0) + 1);
      await delay(3_000); // longer than the gateway waits: it redelivers meanwhile
      return 'SUCCESS' as const;
    });
    await c.start();
    const ids = Array.from({ length: 10 }, (_, i) => gw.pushEvent({ seq: i }, { eventType: 'user_add_org' }));
    await gw.waitFor(() => ids.every((id) => gw.pushOf(id)!.state !== 'pending'), 15_000, 'every event settled');
    const redelivered = ids.filter((id) => gw.pushOf(id)!.deliveries.length > 1).length;
    const duplicates = [...runs.values()].reduce((n, k) => n + k - 1, 0);
    record({ scenario: '15. event redelivered with the same eventId while its 3 s handler runs', sent: 10, lost: ids.filter((id) => gw.pushOf(id)!.state !== 'acked').length, duplicates, peakConnections: gw.maxLive, notes: `${redelivered} of 10 redelivered after 2 s under a new messageId; each redelivery waited for the first run and was acked SUCCESS with it (first release: the handler ran twice)` });
    expect(redelivered).toBe(10);
    expect(duplicates).toBe(0);
    expect(runs.size).toBe(10);
    for (const id of ids) expect(JSON.parse(gw.pushOf(id)!.ack!.data).status).toBe('SUCCESS');
  });

  it('acks and skips a stale backlog delivered after a reconnect, and answers the fresh messages (scenario 16)', async () => {
    const gw = await gateway();
    const c = client(gw, { backoffBaseMs: 200, backoffCapMs: 200 });
    watch(gw, c.log);
    registerChatbotHandler(c, (message, reply) => reply.text(`answer: ${message.text}`));
    await c.start();
    gw.kill(gw.live()[0]);
    await gw.waitFor(() => gw.live().length === 0, 2_000, 'the socket to die');
    // while the bot is away the gateway holds a backlog: an hour-old storm and fresh messages
    const stale = Array.from({ length: 20 }, (_, i) => `from an hour ago ${i}`);
    const fresh = Array.from({ length: 5 }, (_, i) => `just now ${i}`);
    const ids = [
      ...stale.map((t) => gw.pushChatbotMessage(t, { extra: { createAt: Date.now() - 60 * 60_000 } })),
      ...fresh.map((t) => gw.pushChatbotMessage(t)),
    ];
    await gw.waitFor(() => fresh.every((t) => repliesTo(gw, t).length > 0) && gw.unacked.length === 0, 10_000, 'the backlog acked and the fresh answers');
    await vi.waitFor(() => expect(c.status().counters.stale).toBe(20));
    const staleReplies = stale.reduce((n, t) => n + repliesTo(gw, t).length, 0);
    record({ scenario: '16. stale backlog after a reconnect', sent: 25, lost: fresh.filter((t) => repliesTo(gw, t).length === 0).length, duplicates: 0, peakConnections: gw.maxLive, notes: `20 chatbot messages an hour old (staleAfterMs 30 min): all acked, ${staleReplies} answered, status().counters.stale = ${c.status().counters.stale}; the 5 fresh ones answered` });
    expect(staleReplies).toBe(0);
    for (const t of fresh) expect(repliesTo(gw, t), t).toHaveLength(1);
    for (const id of ids) expect(gw.pushOf(id)!.state).toBe('acked');
  });
});
