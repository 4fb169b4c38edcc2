import { describe, expect, it, vi } from 'vitest';
import type { InFlight } from '../src/dispatch/dedup.js';
import { Dedup, payloadKey } from '../src/dispatch/dedup.js';
import { ackFrame, callbackOutcome, eventOutcome, outcome } from '../src/protocol/acks.js';

describe('dedup window', () => {
  it('remembers a successful outcome and forgets a failed one', () => {
    const d = new Dedup(60_000, 100);
    d.begin('ok');
    d.settle('ok', 'OUT-ok', 'remember', true);
    d.begin('later');
    d.settle('later', 'OUT-later', 'forget', true);
    expect(d.get('ok')).toBe('OUT-ok');
    expect(d.get('later')).toBeUndefined();
  });

  it('hands the outcome to duplicates that arrived while the first was in flight, once, even when finished twice', () => {
    const d = new Dedup(60_000, 100);
    d.begin('msg:A');
    const seen: Array<string | undefined> = [];
    (d.get('msg:A') as InFlight).waiters.push((o) => seen.push(o));
    d.settle('msg:A', 'OUT', 'remember', true);
    d.settle('msg:A', 'OUT', 'remember', true);
    expect(seen).toEqual(['OUT']);
    expect(d.get('msg:A')).toBe('OUT');
  });

  it('remembers an outcome finished without a begin (an ack on receipt)', () => {
    const d = new Dedup(60_000, 100);
    d.settle('msg:B', 'OUT', 'remember', true);
    expect(d.get('msg:B')).toBe('OUT');
  });

  it('holds at most maxEntries, drops the oldest generation whole, and never drops an in-flight key', () => {
    const d = new Dedup(60_000, 10);
    d.begin('slow'); // still in flight through every rotation below
    for (let i = 0; i < 25; i++) {
      d.begin(`m${i}`);
      d.settle(`m${i}`, `A${i}`, 'remember', true);
    }
    expect(Array.from({ length: 25 }, (_, i) => d.get(`m${i}`)).filter(Boolean).length).toBeLessThanOrEqual(10);
    expect(d.get('m0')).toBeUndefined();
    expect(d.get('m24')).toBe('A24');
    expect(d.get('slow')).toEqual({ waiters: [] });
    // a key begun in one generation and finished in the next is done, not in flight, through later rotations
    for (let i = 0; i < 25; i++) expect(typeof (d.get(`m${i}`) ?? '')).toBe('string');
  });

  it('remembers a key for at least the TTL and forgets it within twice the TTL', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const d = new Dedup(1_000, 10_000);
      d.settle('old', 'A', 'remember', true);
      vi.advanceTimersByTime(999);
      d.begin('x');
      expect(d.get('old')).toBe('A');
      vi.advanceTimersByTime(1_000);
      d.begin('y'); // rotates: 'old' moves to the previous generation
      expect(d.get('old')).toBe('A');
      vi.advanceTimersByTime(1_000);
      d.begin('z'); // rotates again: 'old' is gone
      expect(d.get('old')).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('keys a payload with no business id by topic, length and a 53-bit hash: short, and distinct for 200 000 presses', () => {
    const big = JSON.stringify({ outTrackId: 'card', content: 'x'.repeat(50_000) });
    expect(payloadKey('/v1.0/card/instances/callback', big).length).toBeLessThan(80); // fits a Durable Object storage key
    expect(payloadKey('t', big)).toBe(payloadKey('t', big));
    expect(payloadKey('t', '{}')).not.toBe(payloadKey('u', '{}'));
    const keys = new Set<string>();
    for (let i = 0; i < 200_000; i++) keys.add(payloadKey('t', JSON.stringify({ outTrackId: 'card', userId: `u${i % 100}`, n: i })));
    expect(keys.size).toBe(200_000);
  });
});

/** The key of one card press, as every version since the payload key was introduced computes it. */
const PINNED_KEY = 'raw:/v1.0/card/instances/callback 32 8696070319619203';

describe('dedup window: what the mutants showed untested', () => {
  it('keeps a payload key stable across versions (it is stored in shared stores): a pinned value', () => {
    // a change of the hash would make every process of a rolling deploy miss the others' keys
    expect(payloadKey('/v1.0/card/instances/callback', '{"outTrackId":"c1","value":"ok"}')).toBe(PINNED_KEY);
  });

  it('leaves a key as it is for a "keep" effect, in flight or done', () => {
    const d = new Dedup(60_000, 100);
    d.begin('a');
    d.settle('a', 'X', 'keep', true);
    expect(d.get('a')).toEqual({ waiters: [] });
    d.settle('b', 'DONE', 'remember', true);
    d.settle('b', undefined, 'keep', true);
    expect(d.get('b')).toBe('DONE');
  });

  it('writes the shared store only when this process holds the claim, and remembers there only what ends delivery', async () => {
    const writes: Array<[string, string | undefined]> = [];
    const store = { claim: () => ({ state: 'claimed' as const }), settle: (key: string, outcome: string | undefined) => void writes.push([key, outcome]) };
    const d = new Dedup(60_000, 100, store);
    d.settle('mine', 'OK', 'remember', true);
    d.settle('theirs', 'OK', 'remember', false);
    d.settle('later', 'LATER', 'forget', true);
    d.settle('kept', 'OK', 'keep', true);
    await Promise.resolve();
    expect(writes).toEqual([['mine', 'OK'], ['later', undefined]]);
    new Dedup(60_000, 100).settle('no-store', 'OK', 'remember', true); // and nothing to write without a store
  });

  it('answers a claim with the store’s answer, and with "claimed" when the store throws or rejects', async () => {
    const answer = { state: 'done' as const, outcome: 'STORED' };
    expect(await new Dedup(60_000, 100, { claim: () => answer, settle: () => {} }).claim('k', 1_000)).toEqual(answer);
    const throwing = { claim: (): never => { throw new Error('down'); }, settle: () => {} };
    expect(await new Dedup(60_000, 100, throwing).claim('k', 1_000)).toEqual({ state: 'claimed' });
    expect(await new Dedup(60_000, 100, { claim: () => Promise.reject(new Error('down')), settle: () => {} }).claim('k', 1_000)).toEqual({ state: 'claimed' });
  });

  it('shares nothing between windows, though idle ones share one empty map', () => {
    const a = new Dedup(60_000, 100);
    const b = new Dedup(60_000, 100);
    a.settle('only-a', 'X', 'remember', true);
    expect(b.get('only-a')).toBeUndefined();
    expect(a.get('only-a')).toBe('X');
  });

  it('never holds more than maxEntries, and loses no key before half of them passed', () => {
    const d = new Dedup(60_000, 10);
    for (let i = 0; i < 40; i++) {
      d.settle(`k${i}`, 'X', 'remember', true);
      const held = Array.from({ length: i + 1 }, (_, j) => d.get(`k${j}`)).filter(Boolean).length;
      expect(held).toBeLessThanOrEqual(10);
      // the newest five are always there
      for (let j = Math.max(0, i - 4); j <= i; j++) expect(d.get(`k${j}`), `k${j} after k${i}`).toBe('X');
    }
  });

  it('keeps every key within the TTL when few keys pass', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      vi.advanceTimersByTime(5_000); // a clock that does not start at 0, as a real one does not
      const d = new Dedup(1_000, 10_000);
      for (let i = 0; i < 50; i++) {
        d.settle(`k${i}`, 'X', 'remember', true);
        vi.advanceTimersByTime(10);
      }
      expect(Array.from({ length: 50 }, (_, i) => d.get(`k${i}`)).every((v) => v === 'X')).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('acks on the wire', () => {
  it('addresses an outcome to a messageId in the ack frame, JSON-escaped', () => {
    expect(JSON.parse(ackFrame('m"1', outcome(200, 'OK', '{}')))).toEqual({ code: 200, message: 'OK', data: '{}', headers: { contentType: 'application/json', messageId: 'm"1' } });
  });

  it('answers an event LATER with the message "later" unless one is given, and a callback with no answer as {"response":null}', () => {
    expect(JSON.parse(JSON.parse(`${eventOutcome('LATER')}}`).data)).toEqual({ status: 'LATER', message: 'later' });
    expect(JSON.parse(JSON.parse(`${eventOutcome('SUCCESS')}}`).data)).toEqual({ status: 'SUCCESS', message: 'success' });
    expect(JSON.parse(`${callbackOutcome(undefined)}}`)).toEqual({ code: 200, message: 'OK', data: '{"response":null}' });
    expect(JSON.parse(`${callbackOutcome(null, 500)}}`)).toEqual({ code: 500, message: 'handler error', data: '{"response":null}' });
  });
});
