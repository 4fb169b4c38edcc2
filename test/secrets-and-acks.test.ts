import { describe, expect, it, vi } from 'vitest';
import { TOPIC_CARD, type DingTalkStreamError } from '../adapters/node.js';
import { Redactor } from '../src/logger.js';
import { client, gateway } from './helpers/setup.js';

describe('secrets never reach a log line or an error', () => {
  it('keeps scrubbing the clientSecret after far more than 64 tickets and tokens came and went', () => {
    const r = new Redactor();
    r.add('the-client-secret-0123', true);
    for (let i = 0; i < 500; i++) r.add(`ticket-${i}-abcdef`);
    expect(r.scrub('leak: the-client-secret-0123')).toBe('leak: ***');
    expect(r.scrub('ticket-499-abcdef')).toBe('***'); // recent ones too
  });

  it('keeps the clientSecret out of a 4xx error when the open endpoint echoes the request', async () => {
    const gw = await gateway();
    gw.route('POST', '/v1.0/gateway/connections/open', (req) => ({ status: 403, body: { code: 'Forbidden', message: `you sent ${req.rawBody}` } }));
    const c = client(gw);
    const errors: DingTalkStreamError[] = [];
    c.addEventListener('error', (e) => errors.push((e as CustomEvent<DingTalkStreamError>).detail));
    const failure = await c.start().then(() => undefined, (err: Error) => err);
    expect(failure).toBeInstanceOf(Error);
    const seen = [String(failure?.message), JSON.stringify(c.status().lastError), ...errors.map((e) => e.message), ...c.log.lines].join('\n');
    expect(seen).toContain('you sent'); // the body is still there to read
    expect(seen).not.toContain(gw.clientSecret);
  });
});

describe('every message ends in exactly one ack, whatever the handler did', () => {
  it('acks a callback whose handler throws a value that cannot be printed, and keeps handling the next ones', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    c.registerCallbackHandler(TOPIC_CARD, (m) => {
      if ((m.data as { bad?: boolean }).bad) throw Object.create(null); // String() of it throws
      return { ok: true };
    });
    await c.start();
    const bad = await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { bad: true }));
    expect(bad.code).toBe(500);
    expect(c.log.lines.some((l) => l.startsWith('error') && l.includes('[unprintable object]'))).toBe(true);
    const good = await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { bad: false }));
    expect(JSON.parse(good.data)).toEqual({ response: { ok: true } });
  });

  it('acks even when the user’s logger itself throws', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const explode = () => {
      throw new Error('logger down');
    };
    const c = client(gw, { logger: { debug: explode, info: explode, warn: explode, error: explode } });
    c.registerCallbackHandler(TOPIC_CARD, () => {
      throw new Error('handler bug');
    });
    await c.start();
    expect((await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { n: 1 }))).code).toBe(500);
  });
});

describe('stop() is final', () => {
  it('drops queued work and aborts running handlers: nothing runs after stop() resolves, and a redelivery is handled afresh', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw, { maxConcurrency: 2 });
    const started: number[] = [];
    const aborted: number[] = [];
    c.registerCallbackHandler(TOPIC_CARD, async (m) => {
      const { n } = m.data as { n: number };
      started.push(n);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 300);
        m.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          aborted.push(n);
          resolve(null);
        });
      });
      return null;
    });
    await c.start();
    for (let n = 0; n < 10; n++) gw.pushCallback(TOPIC_CARD, { n });
    await vi.waitFor(() => expect(started).toHaveLength(2));
    await new Promise((r) => setTimeout(r, 20));
    await c.stop();
    const atStop = started.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(atStop).toBe(2);
    expect(started).toHaveLength(2); // the 8 queued ones never ran
    expect(aborted.sort()).toEqual([...started].sort());
    // started again, the same message (a redelivery) is handled: its dedup key was forgotten
    await c.start();
    const again = gw.pushCallback(TOPIC_CARD, { n: 9 });
    await gw.waitForAck(again);
    expect(started).toContain(9);
  });
});

describe('durations are checked', () => {
  it('treats a duration beyond the timer maximum as no limit instead of firing at once, and refuses a negative or NaN one', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw, { connectionTtlMs: 30 * 24 * 3_600_000 }); // 30 days: overflowed the timer, which fired after 1 ms
    let done = 0;
    c.registerCallbackHandler(TOPIC_CARD, async () => {
      await new Promise((r) => setTimeout(r, 100));
      done++;
      return { ok: true };
    }, { timeoutMs: Infinity }); // timed the handler out at once
    await c.start();
    const ack = await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { n: 1 }));
    expect(JSON.parse(ack.data)).toEqual({ response: { ok: true } });
    expect(done).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.openCalls).toHaveLength(1); // no rotation storm
    expect(c.settings.connectionTtlMs).toBe(0); // 30 days ≈ never: off
    expect(c.status().counters.handlerTimeouts).toBe(0);
    for (const bad of [-1, Number.NaN, '5000']) {
      expect(() => client(gw, { idleTimeoutMs: bad as number }), String(bad)).toThrow(/idleTimeoutMs must be a number/);
    }
  });
});

describe('the proxy password is a credential', () => {
  it('is scrubbed from the client’s log lines for the client’s life', async () => {
    const { DingTalkStreamClient } = await import('../adapters/node.js');
    const lines: string[] = [];
    const logger = { debug: (m: string) => void lines.push(m), info: (m: string) => void lines.push(m), warn: (m: string) => void lines.push(m), error: (m: string) => void lines.push(m) };
    const c = new DingTalkStreamClient({ clientId: 'id', clientSecret: 'secret-0123456', openApiHost: 'http://127.0.0.1:9', proxy: 'http://user:pr0xy-passw0rd@127.0.0.1:3128', logger, logLevel: 'debug' });
    // a hundred tickets later (more than the redactor's bounded list of recent ones) the password is still known
    for (let i = 0; i < 100; i++) c.redactor.add(`ticket-${i}-abcdef`);
    c.logger.warn('dial http://user:pr0xy-passw0rd@proxy failed', new Error('at pr0xy-passw0rd'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).toContain('dial http://user:***@proxy failed');
    expect(lines.join('\n')).not.toContain('pr0xy-passw0rd');
  });
});

describe('the open call decides per status', () => {
  it('retries a throttled 403 (QpsLimit) and a 425, and stops for good on a 403 that is not', async () => {
    const gw = await gateway();
    gw.failOpen({ status: 403, body: JSON.stringify({ code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', message: 'qps limit' }) }, 2);
    gw.failOpen({ status: 425, body: '{}' }, 1);
    const c = client(gw);
    await c.start(); // through three refusals that pass with time
    expect(gw.openCalls).toHaveLength(4);
    const gw2 = await gateway();
    gw2.failOpen({ status: 403, body: JSON.stringify({ code: 'Forbidden.AccessDenied', message: 'Stream Mode is not enabled' }) }, 5);
    const c2 = client(gw2);
    const err = await c2.start().then(() => undefined, (e: unknown) => e);
    expect((err as DingTalkStreamError).code).toBe('AUTH_FAILED');
    expect(gw2.openCalls).toHaveLength(1);
  });
});
