import { describe, expect, it, vi } from 'vitest';
import { DedupWindow } from '../src/dispatch/dedup.js';

describe('dedup window', () => {
  it('remembers a successful outcome and forgets a failed one', () => {
    const d = new DedupWindow(60_000, 100);
    d.begin('ok');
    d.finish('ok', 'OUT-ok', true);
    d.begin('later');
    d.finish('later', 'OUT-later', false);
    expect(d.get('ok')).toEqual({ outcome: 'OUT-ok' });
    expect(d.get('later')).toBeUndefined();
  });

  it('hands the outcome to duplicates that arrived while the first was in flight, once, even when two keys share the entry', () => {
    const d = new DedupWindow(60_000, 100);
    const entry = d.begin('m1');
    d.begin('msg:A', entry);
    const seen: Array<string | undefined> = [];
    d.get('msg:A')!.waiters!.push((o) => seen.push(o));
    d.finish('m1', 'OUT', true);
    d.finish('msg:A', 'OUT', true);
    expect(seen).toEqual(['OUT']);
    expect(d.get('msg:A')).toEqual({ outcome: 'OUT' });
  });

  it('holds at most maxEntries, drops the oldest generation whole, and never drops an in-flight key', () => {
    const d = new DedupWindow(60_000, 10);
    d.begin('slow'); // still in flight through every rotation below
    for (let i = 0; i < 25; i++) {
      d.begin(`m${i}`);
      d.finish(`m${i}`, `A${i}`, true);
    }
    expect(d.snapshot().length).toBeLessThanOrEqual(10);
    expect(d.get('m0')).toBeUndefined();
    expect(d.get('m24')).toEqual({ outcome: 'A24' });
    expect(d.get('slow')?.waiters).toEqual([]);
  });

  it('remembers a key for at least the TTL and forgets it within twice the TTL', () => {
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
