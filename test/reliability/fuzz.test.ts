// Fault scenario 7: property-based fuzzing of downstream frames. Bad frames of every kind,
// interleaved with valid ones: no crash, every valid message acked, every bad one reported once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameError, TOPIC_CARD } from '../../adapters/node.js';
import { client, gateway } from '../helpers/setup.js';
import { record, watch } from './harness.js';

type Case = { kind: 'valid' | 'unknown-topic' | 'bad'; text: string; messageId?: string };

let counter = 0;
const id = () => `fuzz_${++counter}`;
const frame = (o: Record<string, unknown>) => JSON.stringify(o);

/** Frames that must be rejected as malformed, built by category so each one is certainly bad. */
const badFrame: fc.Arbitrary<Case> = fc.oneof(
  fc.string().filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }).map((text) => ({ kind: 'bad' as const, text })),
  fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer())).map((v) => ({ kind: 'bad' as const, text: JSON.stringify(v) })),
  fc.oneof(fc.integer(), fc.constant('event'), fc.constant('PING'), fc.string({ maxLength: 8 }).filter((t) => !['SYSTEM', 'EVENT', 'CALLBACK'].includes(t)))
    .map((type) => ({ kind: 'bad' as const, text: frame({ type, headers: { topic: TOPIC_CARD, messageId: id() }, data: '{}' }) })),
  fc.constantFrom('EVENT', 'CALLBACK').map((type) => ({ kind: 'bad' as const, text: frame({ type, data: '{}' }) })), // no headers
  fc.constantFrom('EVENT', 'CALLBACK').map((type) => ({ kind: 'bad' as const, text: frame({ type, headers: { topic: TOPIC_CARD }, data: '{}' }) })), // no messageId
  fc.constantFrom('EVENT', 'CALLBACK', 'SYSTEM').map((type) => ({ kind: 'bad' as const, text: frame({ type, headers: { messageId: id() }, data: '{}' }) })), // no topic
  fc.record({ v: fc.oneof(fc.object(), fc.array(fc.string()), fc.constant(null)) }).map(({ v }) => ({ kind: 'bad' as const, text: frame({ type: 'CALLBACK', headers: { topic: TOPIC_CARD, messageId: id(), bad: v }, data: '{}' }) })), // header not a string
  fc.oneof(fc.integer(), fc.object(), fc.constant(null)).map((data) => ({ kind: 'bad' as const, text: frame({ type: 'CALLBACK', headers: { topic: TOPIC_CARD, messageId: id() }, data }) })), // data not a string
  fc.string().filter((s) => { try { JSON.parse(s); return false; } catch { return true; } })
    .map((data) => ({ kind: 'bad' as const, text: frame({ type: 'EVENT', headers: { topic: '*', messageId: id() }, data }) })), // data not JSON
  fc.constant(null).map(() => ({ kind: 'bad' as const, text: `{"type":"CALLBACK","headers":{"topic":"${TOPIC_CARD}","messageId":"${id()}"},"data":"${'x'.repeat(64_000)}` })), // huge and truncated
);

const validFrame: fc.Arbitrary<Case> = fc.oneof(
  fc.jsonValue().map((v) => {
    const messageId = id();
    return { kind: 'valid' as const, messageId, text: frame({ specVersion: '1.0', type: 'CALLBACK', headers: { topic: TOPIC_CARD, messageId, contentType: 'application/json', time: '1690362102194' }, data: JSON.stringify(v) }) };
  }),
  fc.constant(null).map(() => {
    const messageId = id();
    return { kind: 'valid' as const, messageId, text: frame({ type: 'EVENT', headers: { topic: '*', messageId, eventType: 'x' }, data: JSON.stringify({ blob: 'y'.repeat(64_000) }) }) }; // huge but valid
  }),
  fc.string({ minLength: 1, maxLength: 30 }).filter((t) => t !== TOPIC_CARD).map((topic) => {
    const messageId = id();
    return { kind: 'unknown-topic' as const, messageId, text: frame({ type: 'CALLBACK', headers: { topic, messageId }, data: '{}' }) };
  }),
);

describe('reliability: fuzzed frames', () => {
  it('survives 10,000+ fuzzed frames: valid ones acked, bad ones reported once each (scenario 7)', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const errors: unknown[] = [];
    const c = client(gw, { maxQueue: 20_000 });
    c.addEventListener('error', (e) => errors.push((e as CustomEvent).detail));
    watch(gw, c.log, errors);
    const handled = new Set<string>();
    c.registerCallbackHandler(TOPIC_CARD, (m) => void handled.add(m.messageId));
    c.registerAllEventHandler((m) => void handled.add(m.messageId));
    await c.start();
    const cases = fc.sample(fc.oneof({ arbitrary: badFrame, weight: 3 }, { arbitrary: validFrame, weight: 2 }), { numRuns: 10_500, seed: 20261125 });
    for (const [i, k] of cases.entries()) {
      gw.sendRaw(k.text);
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 5)); // let the socket breathe
    }
    const valid = cases.filter((k) => k.kind === 'valid');
    const unknown = cases.filter((k) => k.kind === 'unknown-topic');
    const bad = cases.filter((k) => k.kind === 'bad');
    const allAcked = () => {
      const seen = new Set(gw.acks.map((a) => a.headers.messageId));
      return [...valid, ...unknown].every((k) => seen.has(k.messageId!));
    };
    // valid card callbacks with identical data count as one (no business id: the payload is the
    // key, see dedup.ts): the copies are acked with the first one's answer, not handed out again
    const dedupedOrHandled = () => handled.size + c.status().counters.duplicates;
    await gw.waitFor(() => errors.length >= bad.length && dedupedOrHandled() >= valid.length && gw.acks.length >= valid.length + unknown.length && allAcked(), 30_000, 'every frame processed');
    const ackCodes = new Map(gw.acks.map((a) => [a.headers.messageId, a.code]));
    const lost = valid.filter((k) => ackCodes.get(k.messageId) !== 200).length;
    record({ scenario: '7. fuzzed frames (fast-check)', sent: cases.length, lost, duplicates: 0, peakConnections: gw.maxLive, notes: `${valid.length} valid (all acked 200; ${c.status().counters.duplicates} of them identical card callbacks answered from dedup), ${unknown.length} unknown topics (acked 404), ${bad.length} malformed (${errors.length} reported)` });
    // the sample must hold each kind in numbers (the count of cases is fixed by numRuns and proves nothing)
    expect(Math.min(valid.length, unknown.length, bad.length)).toBeGreaterThan(500);
    expect(lost).toBe(0);
    expect(dedupedOrHandled()).toBe(valid.length);
    expect(unknown.every((k) => ackCodes.get(k.messageId) === 404)).toBe(true);
    expect(errors).toHaveLength(bad.length);
    expect(errors.every((e) => e instanceof FrameError)).toBe(true);
    expect(c.status().counters.malformed).toBe(bad.length);
    expect(c.status().state).toBe('open');
    expect(gw.connections).toHaveLength(1);
  });
});
