import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DingTalkStreamError } from '../src/errors.js';
import { registration } from '../src/dispatch/message.js';
import { Router, type RouterSettings } from '../src/dispatch/router.js';
import type { DedupStore } from '../src/dispatch/store.js';
import { parseFrame } from '../src/protocol/frames.js';
import { TOPIC_CARD, TOPIC_ROBOT, TOPIC_ROBOT_DELEGATE } from '../src/protocol/topics.js';

// The router on its own, with a recording ack target in place of a socket: what each path
// acks, counts, logs and reports. (The sockets' side is in ack-policy, client and dispatch-* tests.)

const SETTINGS: RouterSettings = { maxConcurrency: 4, maxQueue: 4, maxQueueSize: 1_000_000, staleAfterMs: 60_000, maxFrameSize: 1_048_576, dedupTtlMs: 60_000, dedupMaxEntries: 1_000 };

function setup(settings: Partial<RouterSettings> = {}, store?: DedupStore) {
  const lines: string[] = [];
  const logger = { debug: (m: string) => void lines.push(`debug ${m}`), info: (m: string) => void lines.push(`info ${m}`), warn: (m: string) => void lines.push(`warn ${m}`), error: (m: string, ...a: unknown[]) => void lines.push(`error ${m}${a.length ? ` ${String(a[0])}` : ''}`) };
  const errors: DingTalkStreamError[] = [];
  const router = new Router({ ...SETTINGS, ...settings }, store, logger, (e) => errors.push(e));
  const sent: Array<{ messageId: string; code: number; data: unknown }> = [];
  let open = true;
  const target = {
    send: (text: string) => {
      if (!open) return false;
      const f = JSON.parse(text) as { code: number; data: string; headers: { messageId: string } };
      sent.push({ messageId: f.headers.messageId, code: f.code, data: JSON.parse(f.data) });
      return true;
    },
  };
  const on = (topic: string | undefined, handler: (m: { data: unknown; signal: AbortSignal }) => unknown, options: object = {}) =>
    router.set(topic, registration('test', topic, handler, options, 5_000));
  const push = (type: 'EVENT' | 'CALLBACK' | 'SYSTEM', headers: Record<string, string>, data: unknown = {}) => {
    const text = JSON.stringify({ type, headers, data: JSON.stringify(data) });
    router.handle(target, parseFrame(text), text.length);
  };
  return { router, lines, errors, sent, target, on, push, close: () => (open = false) };
}

const turn = () => new Promise((r) => setTimeout(r, 0));

/** A router under a fake performance clock, with handlers held until released (for the slow-answer warning). */
function slowSetup() {
  vi.useFakeTimers({ toFake: ['performance'] });
  const releases: Array<() => void> = [];
  const slow = () => new Promise<null>((r) => releases.push(() => r(null)));
  return { ...setup(), releases, slow };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Router', () => {
  it('acks a poison frame 400 when it has a messageId (not a SYSTEM one, not one without), counts and reports it', () => {
    const { router, sent, errors, lines, target } = setup();
    for (const text of ['{"type":"CALLBACK","headers":{"messageId":"p1"},"data":"{"}', '{"type":"SYSTEM","headers":{"messageId":"p2"},"data":"{"}', '{', 'x'.repeat(10)]) router.handle(target, parseFrame(text), text.length);
    expect(sent).toEqual([{ messageId: 'p1', code: 400, data: {} }]);
    expect(router.counters).toMatchObject({ received: 4, malformed: 4, acked: 1 });
    expect(errors.map((e) => e.code)).toEqual(['MALFORMED_FRAME', 'MALFORMED_FRAME', 'MALFORMED_FRAME', 'MALFORMED_FRAME']);
    expect(lines.filter((l) => l.startsWith('warn Malformed frame ignored'))).toHaveLength(4);
  });

  it('leaves a parsed SYSTEM frame to its connection: no ack, no handler', () => {
    const { router, sent, push, on } = setup();
    const seen: unknown[] = [];
    on(undefined, (m) => void seen.push(m));
    push('SYSTEM', { topic: 'ping', messageId: 's1' });
    expect([sent, seen, router.counters.received]).toEqual([[], [], 1]);
    expect(router.counters.unknownTopic).toBe(0); // not routed as a topic without a handler
  });

  it('acks an unknown topic 404, counts it and names the topic', () => {
    const { router, sent, lines, push } = setup();
    push('CALLBACK', { topic: '/nobody', messageId: 'u1' });
    push('EVENT', { topic: '*', messageId: 'u2', eventId: 'e' }); // no event handler either
    expect(sent).toEqual([{ messageId: 'u1', code: 404, data: {} }, { messageId: 'u2', code: 404, data: {} }]);
    expect(router.counters.unknownTopic).toBe(2);
    expect(lines).toContain('warn no handler for /nobody: acked 404');
  });

  it('answers a duplicate of a done key with its stored ack, a duplicate in flight with the first one’s (at most 16 wait)', async () => {
    const { router, sent, lines, push, on } = setup();
    let release!: (v: unknown) => void;
    const runs: string[] = [];
    on(TOPIC_CARD, (m) => (runs.push((m.data as { n: number }).n.toString()), new Promise((r) => (release = r))));
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'first' }, { n: 1 });
    for (let i = 0; i < 17; i++) push('CALLBACK', { topic: TOPIC_CARD, messageId: `copy${i}` }, { n: 1 });
    await turn();
    expect(sent).toEqual([]);
    release({ ok: true });
    await turn();
    expect(runs).toEqual(['1']);
    // each waiting copy gets the first one's ack, the 17th is left for redelivery
    expect(sent.map((s) => s.messageId).sort()).toEqual(['first', ...Array.from({ length: 16 }, (_, i) => `copy${i}`)].sort());
    expect(sent.every((s) => JSON.stringify(s.data) === '{"response":{"ok":true}}')).toBe(true);
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'later' }, { n: 1 });
    expect(sent.at(-1)).toEqual({ messageId: 'later', code: 200, data: { response: { ok: true } } });
    expect(router.counters.duplicates).toBe(18);
    // one debug line per duplicate, naming how it was recognised; none for the first delivery
    expect(lines.filter((l) => l.startsWith('debug duplicate copy') && l.endsWith('(inFlight): not handled again'))).toHaveLength(17);
    expect(lines).toContain('debug duplicate later (duplicate): not handled again');
    expect(lines.some((l) => l.includes('first'))).toBe(false);
  });

  it('acks and skips a stale chatbot message, counting it; a fresh one, and any other topic, is handled', async () => {
    const { router, sent, lines, push, on } = setup({ staleAfterMs: 60_000 });
    const runs: string[] = [];
    on(TOPIC_ROBOT, (m) => void runs.push((m.data as { msgId: string }).msgId));
    on(TOPIC_CARD, () => void runs.push('card'));
    push('CALLBACK', { topic: TOPIC_ROBOT, messageId: 'old' }, { msgId: 'A', createAt: Date.now() - 120_000 });
    push('CALLBACK', { topic: TOPIC_ROBOT, messageId: 'new' }, { msgId: 'B', createAt: Date.now() });
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'card' }, { createAt: Date.now() - 120_000 });
    await turn();
    expect(runs).toEqual(['B', 'card']);
    expect(sent.find((s) => s.messageId === 'old')).toEqual({ messageId: 'old', code: 200, data: { response: null } });
    expect(router.counters.stale).toBe(1);
    expect(lines).toContain('debug stale chatbot message old: acked, not handled');
  });

  it('with a shared store: runs what it claims, acks the stored outcome of what is done elsewhere and remembers it here, and writes only its own', async () => {
    const writes: string[] = [];
    const claims: string[] = [];
    const leases: number[] = [];
    const store: DedupStore = {
      claim: (key, leaseMs) => {
        claims.push(key);
        leases.push(leaseMs);
        if (key === 'evt:done') return { state: 'done', outcome: '{"code":200,"message":"OK","data":"{\\"status\\":\\"SUCCESS\\",\\"message\\":\\"there\\"}"' };
        if (key === 'evt:pending') return Promise.resolve({ state: 'pending' });
        return { state: 'claimed' };
      },
      settle: (key) => void writes.push(key),
    };
    const { router, sent, push, on } = setup({}, store);
    const runs: string[] = [];
    on(undefined, (m) => void runs.push((m as unknown as { headers: { eventId: string } }).headers.eventId));
    push('EVENT', { topic: '*', messageId: 'm1', eventId: 'mine' });
    push('EVENT', { topic: '*', messageId: 'm2', eventId: 'done' });
    push('EVENT', { topic: '*', messageId: 'm3', eventId: 'pending' });
    await vi.waitFor(() => expect(sent).toHaveLength(3));
    expect(runs).toEqual(['mine']);
    expect(sent.find((s) => s.messageId === 'm2')!.data).toEqual({ status: 'SUCCESS', message: 'there' });
    expect(sent.find((s) => s.messageId === 'm3')!.data).toEqual({ status: 'LATER', message: 'later' });
    expect(writes).toEqual(['evt:mine']);
    expect(leases[0]).toBe(5_000 + 15_000); // the handler's time and the ack's margin: a claim outlives its handler
    expect(router.counters.duplicates).toBe(2);
    // the outcome done elsewhere is now known here: a redelivery is answered without asking again
    push('EVENT', { topic: '*', messageId: 'm4', eventId: 'done' });
    expect(sent.at(-1)).toEqual({ messageId: 'm4', code: 200, data: { status: 'SUCCESS', message: 'there' } });
    expect(claims.filter((k) => k === 'evt:done')).toHaveLength(1);
    // one pending elsewhere is forgotten here: its redelivery asks the store again
    push('EVENT', { topic: '*', messageId: 'm5', eventId: 'pending' });
    await vi.waitFor(() => expect(claims.filter((k) => k === 'evt:pending')).toHaveLength(2));
  });

  it('refuses a message of a busy sequence: logs it, tells onBusy (whose throw is logged), acks by policy', async () => {
    const { sent, lines, push, on } = setup();
    const busy: string[] = [];
    on(TOPIC_ROBOT, () => new Promise(() => {}), { sequential: () => 'chat', maxWaiting: 0, onBusy: (m: { data: unknown }) => { busy.push((m.data as { msgId: string }).msgId); throw new Error('onBusy bug'); } });
    push('CALLBACK', { topic: TOPIC_ROBOT, messageId: 'a' }, { msgId: 'A' });
    push('CALLBACK', { topic: TOPIC_ROBOT, messageId: 'b' }, { msgId: 'B' });
    await vi.waitFor(() => expect(lines.some((l) => l.startsWith('error onBusy failed for b'))).toBe(true));
    expect(busy).toEqual(['B']);
    expect(lines).toContain('warn b refused: its sequence is busy');
    expect(sent.map((s) => s.messageId)).toEqual(['a', 'b']); // both acked on receipt
  });

  it('leaves for redelivery what finds no slot and no room, saying so and counting it', async () => {
    const { router, sent, lines, push, on } = setup({ maxConcurrency: 1, maxQueue: 0 });
    on(TOPIC_CARD, () => new Promise(() => {}));
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'a' }, { n: 1 });
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'b' }, { n: 2 });
    expect(sent).toEqual([]);
    expect(router.counters.overflow).toBe(1);
    expect(lines).toContain('warn queue full: b left for redelivery');
  });

  it('reports a handler that threw: the error event, one error line with the cause and what comes next', async () => {
    const { router, errors, lines, sent, push, on } = setup();
    on(TOPIC_CARD, () => { throw new Error('card bug'); });
    on(TOPIC_ROBOT, () => { throw new Error('chat bug'); });
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'c' }, { n: 1 });
    push('CALLBACK', { topic: TOPIC_ROBOT, messageId: 'r' }, { msgId: 'R' });
    await turn();
    expect(errors.map((e) => [e.code, (e as { messageId?: string }).messageId])).toEqual([['HANDLER_FAILED', 'c'], ['HANDLER_FAILED', 'r']]);
    expect(lines).toContain(`error Handler for ${TOPIC_CARD} failed (message c) (acked 500: the gateway redelivers it and it runs again) Error: card bug`);
    expect(lines).toContain(`error Handler for ${TOPIC_ROBOT} failed (message r) (acked on receipt: only registerChatbotHandler's onError can tell the user) Error: chat bug`);
    expect(sent.find((s) => s.messageId === 'c')!.code).toBe(500);
    expect(router.counters.handlerErrors).toBe(2);
  });

  it('counts an answer that cannot be sent once, as a handler error, with why as the cause', async () => {
    const { router, errors, lines, push, on } = setup();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    on(TOPIC_CARD, () => circular);
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'c' }, { n: 1 });
    await turn();
    expect(router.counters.handlerErrors).toBe(1);
    expect((errors[0]!.cause as Error).message).toMatch(/^its answer was not sent: it cannot be sent as JSON/);
    expect(lines.filter((l) => l.startsWith('error'))).toHaveLength(1);
  });

  it('times a handler out: aborts its signal with the error, warns, reports, counts', async () => {
    const { router, errors, lines, sent, push, on } = setup();
    let signal!: AbortSignal;
    router.set(TOPIC_CARD, registration('test', TOPIC_CARD, (m: { signal: AbortSignal }) => ((signal = m.signal), new Promise(() => {})), { timeoutMs: 20 }, 5_000));
    void on;
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 't' }, { n: 1 });
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]!.code).toBe('HANDLER_TIMEOUT');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(errors[0]);
    expect(lines).toContain(`warn Handler for ${TOPIC_CARD} timed out; acked by policy (message t)`);
    expect(sent).toEqual([{ messageId: 't', code: 200, data: { response: null } }]);
    expect(router.counters.handlerTimeouts).toBe(1);
  });

  it('warns when a callback acked after its handler took over 1.5 s, and not when it was quick or acked on receipt', async () => {
    const { lines, push, on, releases, slow } = slowSetup();
    on(TOPIC_CARD, slow);
    on(TOPIC_ROBOT, slow);
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'slow' }, { n: 1 });
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'quick' }, { n: 2 });
    push('CALLBACK', { topic: TOPIC_ROBOT, messageId: 'chat' }, { msgId: 'C' });
    await Promise.resolve();
    releases[1]!(); // the quick one, at once
    await turn();
    vi.advanceTimersByTime(1_600);
    releases[0]!();
    releases[2]!();
    await Promise.resolve();
    await Promise.resolve();
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([`warn ${TOPIC_CARD} handler took 1600 ms: answer in under 2 s (the gateway redelivers), update the card later`]);
  });

  it('removes a handler: its topic is no longer subscribed, and its frames are acked 404', () => {
    const { router, sent, push, on } = setup();
    on(TOPIC_CARD, () => 'x');
    on(undefined, () => 'SUCCESS');
    expect(router.topics()).toEqual({ callbacks: [TOPIC_CARD], events: true });
    router.set(TOPIC_CARD, undefined);
    router.set(undefined, undefined);
    expect(router.topics()).toEqual({ callbacks: [], events: false });
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'gone' }, { n: 1 });
    expect(sent).toEqual([{ messageId: 'gone', code: 404, data: {} }]);
  });

  it('after close takes no work (no ack: the gateway redelivers) and aborts what runs; after open it takes work again', async () => {
    const { router, sent, push, on } = setup();
    let signal!: AbortSignal;
    on(TOPIC_CARD, (m) => ((signal = m.signal), new Promise(() => {})));
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'running' }, { n: 1 });
    await turn();
    router.close();
    expect(signal.aborted).toBe(true);
    expect(router.load()).toEqual({ inFlight: 0, queued: 0 });
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'closed' }, { n: 2 });
    expect(sent).toEqual([]);
    router.open();
    on(TOPIC_CARD, () => 'back');
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'open' }, { n: 3 });
    await turn();
    expect(sent).toEqual([{ messageId: 'open', code: 200, data: { response: 'back' } }]);
  });

  it('keeps exactly the documented counters', async () => {
    const { router, push, on } = setup();
    on(TOPIC_CARD, () => 'x');
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'a' }, { n: 1 });
    await turn();
    expect(Object.keys(router.counters).sort()).toEqual(['acked', 'duplicates', 'handlerErrors', 'handlerTimeouts', 'malformed', 'overflow', 'received', 'stale', 'unknownTopic']);
  });

  it('warns about a slow answer only for a callback acked after its handler, and only past 1.5 s', async () => {
    const { lines, push, on, releases, slow } = slowSetup();
    on(TOPIC_CARD, slow);
    on(undefined, slow);
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'edge' }, { n: 1 });
    push('EVENT', { topic: '*', messageId: 'event', eventId: 'e1' });
    await Promise.resolve();
    vi.advanceTimersByTime(1_500); // exactly the bound: not over it
    for (const release of releases) release();
    await turn();
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([]);
  });

  it('counts an ack only when the connection took it', async () => {
    const { router, push, on, close } = setup();
    on(TOPIC_CARD, () => 'x');
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'a' }, { n: 1 });
    await turn();
    close();
    push('CALLBACK', { topic: TOPIC_CARD, messageId: 'b' }, { n: 2 });
    await turn();
    expect(router.counters.acked).toBe(1);
    expect(router.counters.received).toBe(2);
  });
  it('treats both chatbot topics as chatbot registrations (ack on receipt, msgId dedup), and others not', () => {
    const noop = () => undefined;
    for (const topic of [TOPIC_ROBOT, TOPIC_ROBOT_DELEGATE]) expect(registration('t', topic, noop, {}, 1_000)).toMatchObject({ ack: 'immediate', chatbot: true, timeoutMs: 1_000 });
    expect(registration('t', TOPIC_CARD, noop, {}, 1_000)).toMatchObject({ ack: 'after', chatbot: false });
    expect(registration('t', undefined, noop, { ack: 'immediate', timeoutMs: 5 }, 1_000)).toMatchObject({ ack: 'immediate', chatbot: false, timeoutMs: 5 });
  });
});
