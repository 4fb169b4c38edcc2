// Scenario 18: a gateway that misbehaves on purpose or by a bug (issue 13): a disconnect
// storm, floods of copies of one message, oversized frames, a queue flooded by size.
import { describe, expect, it, vi } from 'vitest';
import { TOPIC_CARD } from '../../adapters/node.js';
import { client, gateway } from '../helpers/setup.js';
import { record } from './harness.js';

describe('a hostile or broken gateway', () => {
  it('backs off when the gateway sends disconnect to every new socket, and keeps few sockets draining', async () => {
    const gw = await gateway({ disconnectCloseMs: 15_000 }); // the server leaves each socket open a long time
    gw.tap((e) => {
      if (e.dir === 'socket' && e.event === 'open') setTimeout(() => gw.disconnect(gw.connections.find((c) => c.id === e.connectionId)), 5);
    });
    const c = client(gw, { backoffBaseMs: 20, backoffCapMs: 200, drainTimeoutMs: 15_000 });
    await c.start();
    await new Promise((r) => setTimeout(r, 1_500));
    const opens = gw.openCalls.length;
    const peak = gw.maxLive;
    await c.stop();
    // without backoff this was ~400 open calls a second, and every socket drained for 15 s
    record({ scenario: '18. disconnect storm: the gateway sends disconnect to every new socket', sent: 0, lost: 0, duplicates: 0, peakConnections: peak, notes: `${opens} open calls in 1.5 s with the test backoff (20 ms base, 200 ms cap; production 1 s / 60 s); at most ${peak} sockets at once (the first release: ~400 open calls a second, each socket draining 15 s)` });
    expect(opens).toBeLessThan(60);
    expect(peak).toBeLessThanOrEqual(3); // the open one, the one retiring, one older draining
    expect(c.log.lines.some((l) => l.includes('retired soon after it opened'))).toBe(true);
  });
});

describe('bounds against a hostile gateway', () => {
  it('parks at most 16 copies of one message in flight, refuses a frame over maxFrameSize unparsed, and bounds the queue by size', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw, { maxFrameSize: 10_000, maxConcurrency: 1, maxQueueSize: 5_000 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    c.registerCallbackHandler(TOPIC_CARD, async (m) => ((m.data as { hold?: boolean }).hold ? held.then(() => ({ ok: 1 })) : { ok: 2 }));
    await c.start();
    const conn = gw.live()[0];
    const first = gw.pushCallback(TOPIC_CARD, { hold: true }, { to: conn });
    const frame = (messageId: string, data: unknown) => JSON.stringify({ specVersion: '1.0', type: 'CALLBACK', headers: { topic: TOPIC_CARD, messageId, contentType: 'application/json', time: '1' }, data: JSON.stringify(data) });
    for (let i = 0; i < 500; i++) gw.sendRaw(frame(`copy-${i}`, { hold: true }), conn); // the same payload: copies of the first
    // a frame over the limit, and frames that would queue more than 5,000 characters
    gw.sendRaw(frame('huge', { blob: 'x'.repeat(20_000) }), conn);
    for (let i = 0; i < 3; i++) gw.sendRaw(frame(`big-${i}`, { n: i, blob: 'y'.repeat(2_000) }), conn);
    await vi.waitFor(() => expect(c.status().counters.malformed).toBe(1));
    release();
    await gw.waitForAck(first);
    await vi.waitFor(() => expect(gw.acks.filter((a) => a.headers.messageId?.startsWith('copy-'))).toHaveLength(16));
    expect(c.log.lines.some((l) => l.includes('over maxFrameSize'))).toBe(true);
    expect(c.status().counters.overflow).toBeGreaterThanOrEqual(1); // the third 2,000-character frame did not fit
    const copiesAcked = gw.acks.filter((a) => a.headers.messageId?.startsWith('copy-')).length;
    record({ scenario: '18. hostile gateway: 500 copies of one in-flight message, an oversized frame, a queue over its size', sent: 505, lost: 0, duplicates: 0, peakConnections: 1, notes: `${copiesAcked} copies waited for the outcome and were acked with it, the other ${500 - copiesAcked} left unacked (the gateway sends again); the 20,000-character frame refused unparsed (maxFrameSize 10,000 in the test, 1 Mi default); ${c.status().counters.overflow} frame left for redelivery by maxQueueSize (5,000 in the test, 32 Mi default)` });
  });
});
