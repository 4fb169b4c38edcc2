import { describe, expect, it, vi } from 'vitest';
import { DedupWindow } from '../src/dispatch/dedup.js';

describe('dedup window', () => {
  it('remembers a successful outcome and forgets a failed one', () => {
    const d = new DedupWindow(60_000, 100);
    d.begin('ok');
    d.finish('ok', 'ACK-ok', true);
    d.begin('later');
    d.finish('later', 'ACK-later', false);
    expect(d.get('ok')).toEqual({ state: 'done', ack: 'ACK-ok' });
    expect(d.get('later')).toBeUndefined();
  });

  it('hands the ack to duplicates that arrived while the first was in flight', () => {
    const d = new DedupWindow(60_000, 100);
    d.begin('m');
    const seen: Array<string | undefined> = [];
    const entry = d.get('m');
    if (entry?.state === 'inflight') entry.waiters.push((ack) => seen.push(ack));
    d.finish('m', 'ACK', true);
    expect(seen).toEqual(['ACK']);
  });

  it('holds at most maxEntries, drops the oldest generation whole, and never drops an in-flight id', () => {
    const d = new DedupWindow(60_000, 10);
    d.begin('slow'); // still in flight through every rotation below
    for (let i = 0; i < 25; i++) {
      d.begin(`m${i}`);
      d.finish(`m${i}`, `A${i}`, true);
    }
    expect(d.snapshot().length).toBeLessThanOrEqual(10);
    expect(d.get('m0')).toBeUndefined();
    expect(d.get('m24')).toEqual({ state: 'done', ack: 'A24' });
    expect(d.get('slow')?.state).toBe('inflight');
  });

  it('remembers an id for at least the TTL and forgets it within twice the TTL', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const d = new DedupWindow(1_000, 10_000);
      d.restore([['old', 'A']]);
      vi.advanceTimersByTime(999);
      d.begin('x');
      expect(d.get('old')).toBeDefined();
      vi.advanceTimersByTime(1_000);
      d.begin('y'); // rotates: 'old' moves to the previous generation
      expect(d.get('old')).toBeDefined();
      vi.advanceTimersByTime(1_000);
      d.begin('z'); // rotates again: 'old' is gone
      expect(d.get('old')).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});
