import { describe, expect, it, vi } from 'vitest';
import { Message, type Registration } from '../src/dispatch/message.js';
import type { Verdict } from '../src/dispatch/policy.js';
import { Scheduler, type Job } from '../src/dispatch/scheduler.js';

// The scheduler on its own: jobs in, exactly one `finish` per job out, slots always given back.
// (The router's tests drive it over real sockets; these pin its rules one by one.)

type Ended = { id: string; verdict: Verdict; value: unknown };

function setup(limits = { maxConcurrency: 2, maxQueue: 10, maxQueueSize: 1_000 }, onFinish?: (job: Job, verdict: Verdict) => void) {
  const ended: Ended[] = [];
  const s = new Scheduler(limits, (job, verdict, value) => {
    ended.push({ id: job.message.messageId, verdict, value });
    onFinish?.(job, verdict);
  });
  return { s, ended };
}

function job(id: string, handler: (m: Message) => unknown, options: Partial<Registration> & { size?: number } = {}): Job {
  const { size = 1, ...reg } = options;
  return {
    target: { send: () => true },
    message: new Message('CALLBACK', '/t', id, {}, {}),
    key: id,
    reg: { handler, ack: 'after', timeoutMs: 10_000, chatbot: false, sequential: undefined, maxWaiting: 10, onBusy: undefined, replace: undefined, ...reg } as Registration,
    size,
    own: true,
    order: undefined,
    deadline: 0,
  };
}

/** A handler held until released. */
function held() {
  const releases: Array<(v?: unknown) => void> = [];
  return { handler: () => new Promise((r) => releases.push(r)), release: (i: number, v?: unknown) => releases[i]!(v), get count() { return releases.length; } };
}

const turn = () => new Promise((r) => setTimeout(r, 0));

/** Submits held handlers with these timeouts, then one that answers after `markerMs`, to order the timeouts against. */
function deadlines(s: Scheduler, timeouts: number[], markerMs: number): void {
  for (const t of timeouts) s.submit(job(`t${t}`, held().handler, { timeoutMs: t }));
  s.submit(job(`done${markerMs}`, () => new Promise((r) => setTimeout(() => r('answer'), markerMs))));
}

describe('Scheduler', () => {
  it('starts a handler in a microtask, not in submit, and ends it once with its value', async () => {
    const { s, ended } = setup();
    const ran: string[] = [];
    expect(s.submit(job('a', () => ran.push('a') && 'answer'))).toBeUndefined();
    expect(ran).toEqual([]);
    expect(s.active).toBe(1);
    await Promise.resolve();
    expect(ended).toEqual([{ id: 'a', verdict: 'handled', value: 'answer' }]);
    expect(s.active).toBe(0);
  });

  it('runs at most maxConcurrency handlers, queues the rest in order, and hands a freed slot to the oldest', async () => {
    const { s, ended } = setup();
    const h = held();
    for (const id of ['a', 'b', 'c', 'd']) expect(s.submit(job(id, h.handler))).toBeUndefined();
    await turn();
    expect([s.active, s.queued, h.count]).toEqual([2, 2, 2]);
    h.release(1, 'B');
    await turn();
    expect(ended).toEqual([{ id: 'b', verdict: 'handled', value: 'B' }]);
    expect([s.active, s.queued, h.count]).toEqual([2, 1, 3]); // c started
    h.release(0);
    h.release(2);
    await turn();
    h.release(3);
    await turn();
    expect(ended.map((e) => e.id)).toEqual(['b', 'a', 'c', 'd']);
    expect([s.active, s.queued]).toEqual([0, 0]);
  });

  it('refuses beyond maxQueue waiting jobs, and beyond maxQueueSize characters waiting: overflow, nothing started', async () => {
    const { s } = setup({ maxConcurrency: 1, maxQueue: 2, maxQueueSize: 100 });
    const h = held();
    s.submit(job('run', h.handler));
    expect(s.submit(job('w1', h.handler, { size: 60 }))).toBeUndefined();
    expect(s.submit(job('big', h.handler, { size: 41 }))).toBe('overflow'); // 60 + 41 > 100
    expect(s.submit(job('w2', h.handler, { size: 40 }))).toBeUndefined(); // 60 + 40 = 100 fits
    expect(s.submit(job('w3', h.handler, { size: 0 }))).toBe('overflow'); // two already wait
    expect(s.queued).toBe(2);
    await turn();
    h.release(0);
    await turn();
    // once w1 left the queue its size no longer counts
    expect(s.submit(job('w4', h.handler, { size: 60 }))).toBeUndefined();
  });

  it('runs the jobs of one sequence key one at a time in arrival order, others beside them, and refuses beyond maxWaiting as busy', async () => {
    const { s, ended } = setup({ maxConcurrency: 10, maxQueue: 10, maxQueueSize: 1_000 });
    const h = held();
    const byChat = (chat: string) => ({ sequential: () => chat, maxWaiting: 1 });
    expect(s.submit(job('a1', h.handler, byChat('A')))).toBeUndefined();
    expect(s.submit(job('a2', h.handler, byChat('A')))).toBeUndefined();
    expect(s.submit(job('a3', h.handler, byChat('A')))).toBe('busy');
    expect(s.submit(job('b1', h.handler, byChat('B')))).toBeUndefined();
    await turn();
    expect(h.count).toBe(2); // a1 and b1: a2 waits for a1, holding no slot
    expect(s.active).toBe(2);
    h.release(0);
    await turn();
    expect(h.count).toBe(3);
    h.release(2);
    h.release(1);
    await turn();
    expect(ended.map((e) => e.id)).toEqual(['a1', 'a2', 'b1']);
    // the key is free again: a new job of it runs at once
    expect(s.submit(job('a4', () => 'x', byChat('A')))).toBeUndefined();
    await turn();
    expect(ended.at(-1)).toEqual({ id: 'a4', verdict: 'handled', value: 'x' });
  });

  it('ends a follower of a sequence overflow when no slot and no queue room is left for it, and moves the sequence on', async () => {
    const { s, ended } = setup({ maxConcurrency: 1, maxQueue: 0, maxQueueSize: 1_000 });
    const h = held();
    s.submit(job('other', h.handler)); // holds the one slot
    await turn();
    const seq = { sequential: () => 'A', maxWaiting: 5 };
    expect(s.submit(job('a1', h.handler, seq))).toBe('overflow'); // no slot, no queue
    expect(s.submit(job('a2', () => 'ok', seq))).toBe('overflow'); // the key is not left busy by a1
    h.release(0);
    await turn();
    expect(ended.map((e) => `${e.id} ${e.verdict}`)).toEqual(['other handled']);
    expect(s.active).toBe(0);
  });

  it('ends a handler that throws, rejects, throws null or has a throwing then as threw, and the others of its batch still run', async () => {
    const { s, ended } = setup({ maxConcurrency: 10, maxQueue: 10, maxQueueSize: 1_000 });
    const boom = new Error('boom');
    s.submit(job('sync', () => { throw boom; }));
    s.submit(job('null', () => { throw null; }));
    s.submit(job('reject', () => Promise.reject(boom)));
    s.submit(job('then', () => ({ then: () => { throw boom; } })));
    s.submit(job('fine', () => 'ok'));
    await turn();
    expect(ended.map((e) => `${e.id} ${e.verdict}`).sort()).toEqual(['fine handled', 'null threw', 'reject threw', 'sync threw', 'then threw']);
    expect(ended.find((e) => e.id === 'null')!.value).toBeNull();
    expect(s.active).toBe(0);
  });

  it('times out an awaited handler once, ignores its later answer, and gives its slot back after the abort listeners ran', async () => {
    const { s, ended } = setup({ maxConcurrency: 1, maxQueue: 10, maxQueueSize: 1_000 });
    const h = held();
    s.submit(job('slow', h.handler, { timeoutMs: 30 }));
    s.submit(job('next', () => 'ok'));
    // the slot is freed by the timeout: the queued job runs after it, not before
    await vi.waitFor(() => expect(ended.map((e) => e.id)).toEqual(['slow', 'next']));
    expect(ended[0]).toEqual({ id: 'slow', verdict: 'timedOut', value: undefined });
    h.release(0, 'late');
    await turn();
    expect(ended).toHaveLength(2);
    expect(s.active).toBe(0);
  });

  it('gives the slot back even when finish throws', async () => {
    const { s } = setup({ maxConcurrency: 1, maxQueue: 10, maxQueueSize: 1_000 }, () => {
      throw new Error('finish failed');
    });
    s.submit(job('a', () => 'x'));
    await Promise.resolve().catch(() => {});
    await turn().catch(() => {});
    expect(s.active).toBe(0);
  });

  it('on close, ends waiting and running jobs stopped at once (aborting the running ones), refuses new ones, and takes them again after open', async () => {
    const { s, ended } = setup({ maxConcurrency: 1, maxQueue: 10, maxQueueSize: 1_000 });
    const h = held();
    const running = job('running', h.handler);
    s.submit(running);
    s.submit(job('waiting', h.handler));
    s.submit(job('seq1', h.handler, { sequential: () => 'A' }));
    s.submit(job('seq2', h.handler, { sequential: () => 'A' }));
    await turn();
    s.close(new Error('stopped'));
    expect(ended.map((e) => `${e.id} ${e.verdict}`).sort()).toEqual(['running stopped', 'seq1 stopped', 'seq2 stopped', 'waiting stopped']);
    expect(running.message.signal.aborted).toBe(true);
    expect([s.active, s.queued]).toEqual([0, 0]);
    expect(s.submit(job('late', () => 'x'))).toBe('stopped');
    h.release(0, 'after stop'); // a handler that ends after stop() changes nothing
    await turn();
    expect(ended).toHaveLength(4);
    s.open();
    expect(s.submit(job('again', () => 'y'))).toBeUndefined();
    await turn();
    expect(ended.at(-1)).toEqual({ id: 'again', verdict: 'handled', value: 'y' });
  });

  it('ends a job that got a slot but had not started when close came as stopped, and never runs its handler', async () => {
    const { s, ended } = setup();
    const ran: string[] = [];
    s.submit(job('a', () => ran.push('a')));
    s.close(new Error('stopped'));
    await turn();
    expect(ran).toEqual([]);
    expect(ended).toEqual([{ id: 'a', verdict: 'stopped', value: undefined }]);
    expect(s.active).toBe(0);
  });
  it('ends a handler that returns nothing (undefined or null) as handled', async () => {
    const { s, ended } = setup();
    s.submit(job('undefined', () => undefined));
    s.submit(job('null', () => null));
    await turn();
    expect(ended.map((e) => `${e.id} ${e.verdict}`)).toEqual(['undefined handled', 'null handled']);
  });

  it('overflows a sequence follower whose turn comes when the queue has no room left for its size, and moves on to the next', async () => {
    const { s, ended } = setup({ maxConcurrency: 1, maxQueue: 10, maxQueueSize: 100 });
    const h = held();
    const seq = { sequential: () => 'A', maxWaiting: 5 };
    s.submit(job('a1', h.handler, seq)); // runs
    await turn();
    s.submit(job('w1', () => 'w1', { size: 10 })); // wait for the slot
    s.submit(job('w2', h.handler, { size: 90 }));
    s.submit(job('a2', () => 'a2', { ...seq, size: 20 })); // waits behind a1, holding no slot
    s.submit(job('a3', () => 'a3', { ...seq, size: 0 }));
    h.release(0); // a1 ends: w1 takes the slot, a2's 20 would make the queue 110 > 100
    await turn();
    expect(ended.slice(0, 2).map((e) => `${e.id} ${e.verdict}`)).toEqual(['a1 handled', 'a2 overflow']);
    await vi.waitFor(() => expect(h.count).toBe(2)); // w2 runs now, a3 waits for the slot
    h.release(1);
    await vi.waitFor(() => expect(ended.map((e) => e.id)).toContain('a3')); // the sequence did not stall
  });

  it('closes cleanly while a sequenced job runs', async () => {
    const { s, ended } = setup();
    const h = held();
    s.submit(job('a1', h.handler, { sequential: () => 'A' }));
    s.submit(job('a2', h.handler, { sequential: () => 'A' }));
    await turn();
    expect(() => s.close(new Error('stopped'))).not.toThrow();
    expect(ended.map((e) => `${e.id} ${e.verdict}`).sort()).toEqual(['a1 stopped', 'a2 stopped']);
    expect(s.active).toBe(0);
  });

  it('gives a timed-out job’s slot back only after what its end started in the same turn (its abort listeners) has run', async () => {
    let activeThen = -1;
    const { s } = setup({ maxConcurrency: 1, maxQueue: 10, maxQueueSize: 1_000 }, (j, verdict) => {
      if (verdict === 'timedOut') queueMicrotask(() => (activeThen = s.active));
    });
    s.submit(job('slow', held().handler, { timeoutMs: 20 }));
    await vi.waitFor(() => expect(activeThen).not.toBe(-1));
    expect(activeThen).toBe(1);
    await turn();
    expect(s.active).toBe(0);
  });
  it('times out each awaited handler at its own deadline: a later one keeps running, an earlier one is not kept waiting for a later sweep', async () => {
    const { s, ended } = setup({ maxConcurrency: 10, maxQueue: 10, maxQueueSize: 1_000 });
    deadlines(s, [500, 20, 80], 200);
    await vi.waitFor(() => expect(ended.map((e) => e.id)).toEqual(['t20', 't80', 'done200']), { timeout: 2_000 });
    // the 500 ms one is still running then, and times out last
    expect(s.active).toBe(1);
    await vi.waitFor(() => expect(ended.map((e) => `${e.id} ${e.verdict}`)).toEqual(['t20 timedOut', 't80 timedOut', 'done200 handled', 't500 timedOut']), { timeout: 2_000 });
  });
  it('keeps the earliest deadline armed whatever the order handlers start in', async () => {
    const { s, ended } = setup({ maxConcurrency: 10, maxQueue: 10, maxQueueSize: 1_000 });
    deadlines(s, [20, 80, 600], 250);
    await vi.waitFor(() => expect(ended.map((e) => e.id)).toEqual(['t20', 't80', 'done250', 't600']), { timeout: 3_000 });
  });
});
