import { describe, expect, it, vi } from 'vitest';
import type { InFlight } from '../src/dispatch/dedup.js';
import { Dedup, payloadKey } from '../src/dispatch/dedup.js';

describe('dedup window', () => {
  it('remembers a successful outcome and forgets a failed one', () => {
    const d = new Dedup(60_000, 100);
    d.begin('ok');
    d.settle('ok', 'OUT-ok', 'remember');
    d.begin('later');
    d.settle('later', 'OUT-later', 'forget');
    expect(d.get('ok')).toBe('OUT-ok');
    expect(d.get('later')).toBeUndefined();
  });

  it('hands the outcome to duplicates that arrived while the first was in flight, once, even when finished twice', () => {
    const d = new Dedup(60_000, 100);
    d.begin('msg:A');
    const seen: Array<string | undefined> = [];
    (d.get('msg:A') as InFlight).waiters.push((o) => seen.push(o));
    d.settle('msg:A', 'OUT', 'remember');
    d.settle('msg:A', 'OUT', 'remember');
    expect(seen).toEqual(['OUT']);
    expect(d.get('msg:A')).toBe('OUT');
  });

  it('remembers an outcome finished without a begin (an ack on receipt)', () => {
    const d = new Dedup(60_000, 100);
    d.settle('msg:B', 'OUT', 'remember');
    expect(d.get('msg:B')).toBe('OUT');
  });

  it('holds at most maxEntries, drops the oldest generation whole, and never drops an in-flight key', () => {
    const d = new Dedup(60_000, 10);
    d.begin('slow'); // still in flight through every rotation below
    for (let i = 0; i < 25; i++) {
      d.begin(`m${i}`);
      d.settle(`m${i}`, `A${i}`, 'remember');
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
      d.settle('old', 'A', 'remember');
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
