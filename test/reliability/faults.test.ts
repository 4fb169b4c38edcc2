// Fault scenarios 4, 5, 6 and 10: a failing open endpoint, rejected and stalled handshakes,
// bad credentials, and wall-clock jumps.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeDingTalkGateway, type OpenFault } from '../../src/testing/index.js';
import { GatewayAuthError, TOPIC_ROBOT } from '../../adapters/node.js';
import { client, delay, gateway } from '../helpers/setup.js';
import { record, Tally, watch } from './harness.js';

const retryDelays = (lines: readonly string[]) => lines.map((l) => /retry \d+ in (\d+) ms/.exec(l)?.[1]).filter(Boolean).map(Number);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('reliability: gateway faults', () => {
  const faults: Array<[string, OpenFault]> = [
    ['HTTP 503', { status: 503 }],
    ['HTTP 429', { status: 429, body: '{"code":"Throttling","message":"busy"}' }],
    ['a body that is not JSON', 'not-json'],
    ['200 without a ticket', 'no-ticket'],
    ['no answer (open timeout)', 'timeout'],
    ['connection reset', 'reset'],
  ];
  for (const [name, fault] of faults) {
    it(`backs off with jitter on ${name}, with one retry loop and at most one socket, and recovers (scenario 4)`, async () => {
      const gw = await gateway();
      gw.failOpen(fault, 5);
      const errors: unknown[] = [];
      const c = client(gw, { openTimeoutMs: fault === 'timeout' ? 300 : 5_000 }); // a short timeout only where it is the fault
      c.addEventListener('error', (e) => errors.push((e as CustomEvent).detail));
      watch(gw, c.log, errors);
      const tally = new Tally(gw);
      c.registerCallbackHandler(TOPIC_ROBOT, tally.handler);
      await c.start();
      tally.sent.push(gw.pushChatbotMessage('after recovery'));
      await gw.waitFor(() => gw.unacked.length === 0, 3_000, 'the message after recovery');
      const delays = retryDelays(c.log.lines);
      record({ scenario: `4. open endpoint: ${name} ×5`, sent: 1, lost: tally.lost(), duplicates: tally.duplicates, peakConnections: gw.maxLive, notes: `retry delays ${delays.join(', ')} ms (test base 20 ms, cap 200 ms); max concurrent open calls ${gw.maxConcurrentOpens}` });
      expect(gw.openCalls).toHaveLength(6);
      expect(delays).toHaveLength(5);
      // full jitter: each delay uniform in [0, min(cap, base·2^attempt)] (test base 20 ms, cap 200 ms),
      // so the bare exponential sequence (every delay at its bound) is what a missing jitter gives
      const bounds = delays.map((_, attempt) => Math.min(200, 20 * 2 ** attempt));
      expect(delays.every((d, attempt) => d >= 0 && d <= bounds[attempt]!)).toBe(true);
      expect(delays).not.toEqual(bounds);
      expect(gw.maxConcurrentOpens).toBe(1);
      expect(gw.maxLive).toBe(1);
      expect(errors.length).toBe(5);
      expect(tally.lost()).toBe(0);
    });
  }

  it('retries a refused connection until the endpoint comes up (scenario 4)', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => resolve(p));
      });
    });
    const gw = new FakeDingTalkGateway();
    const c = client({ ...gw, openApiHost: `http://127.0.0.1:${port}`, clientId: gw.clientId, clientSecret: gw.clientSecret } as FakeDingTalkGateway);
    watch(gw, c.log);
    const started = c.start();
    await vi.waitFor(() => expect(retryDelays(c.log.lines).length).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    await gw.listen(port);
    try {
      await started;
      expect(gw.live()).toHaveLength(1);
      record({ scenario: '4. open endpoint: connection refused, then up', sent: 0, lost: 0, duplicates: 0, peakConnections: gw.maxLive, notes: `retry delays ${retryDelays(c.log.lines).join(', ')} ms` });
    } finally {
      await c.stop();
      await gw.close();
    }
  });

  it('ends with exactly one live connection after handshakes were rejected or stalled (scenario 5)', async () => {
    const gw = await gateway();
    gw.rejectHandshakes(6);
    const c = client(gw, { handshakeTimeoutMs: 150 });
    watch(gw, c.log);
    await c.start();
    gw.kill();
    gw.stallHandshakes(2);
    await gw.waitFor(() => gw.live().length === 1 && gw.connections.length === 2, 5_000, 'the reconnect');
    await delay(500);
    record({ scenario: '5. handshake rejected ×6, then stalled ×2', sent: 0, lost: 0, duplicates: 0, peakConnections: gw.maxLive, notes: `${gw.openCalls.length} open calls (a fresh ticket each), ${gw.live().length} live socket afterwards` });
    expect(gw.live()).toHaveLength(1);
    expect(gw.maxLive).toBe(1);
    expect(c.status().connections).toMatchObject({ open: 1, draining: 0 });
    expect(gw.openCalls).toHaveLength(10);
  });

  it('fails fast with a typed, non-retrying error on bad credentials (scenario 6)', async () => {
    const gw = await gateway();
    const c = client(gw, { clientSecret: 'not-the-right-secret-42' });
    const errors: unknown[] = [];
    c.addEventListener('error', (e) => errors.push((e as CustomEvent).detail));
    watch(gw, c.log, errors);
    const started = performance.now();
    const err = await c.start().then(() => null, (e: unknown) => e);
    const ms = Math.round(performance.now() - started);
    await delay(300);
    record({ scenario: '6. bad credentials', sent: 0, lost: 0, duplicates: 0, peakConnections: gw.maxLive, notes: `AUTH_FAILED after ${ms} ms and ${gw.openCalls.length} open call; no retry` });
    expect(err).toBeInstanceOf(GatewayAuthError);
    expect((err as GatewayAuthError).message).toMatch(/HTTP 401.*InvalidAuthentication/);
    expect((err as Error).message).not.toContain('not-the-right-secret-42');
    expect(c.log.lines.join('\n')).not.toContain('not-the-right-secret-42');
    expect(gw.openCalls).toHaveLength(1);
    expect(c.status().state).toBe('failed');
    await expect(c.startForever()).rejects.toBeInstanceOf(GatewayAuthError);
  });

  it('replaces the connection when the wall clock jumps, as after sleep/wake (scenario 10)', async () => {
    const gw = await gateway();
    const c = client(gw, { clockJumpMs: 400, drainTimeoutMs: 100 });
    watch(gw, c.log);
    const tally = new Tally(gw);
    c.registerCallbackHandler(TOPIC_ROBOT, tally.handler);
    await c.start();
    const realNow = Date.now.bind(Date);
    const jumped = performance.now();
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 15 * 60_000); // woke up 15 min later
    await gw.waitFor(() => gw.connections.length === 2 && gw.live().length === 1, 3_000, 'a liveness rotation');
    const ms = Math.round(performance.now() - jumped);
    vi.restoreAllMocks();
    tally.sent.push(gw.pushChatbotMessage('after wake'));
    await gw.waitFor(() => gw.unacked.length === 0, 3_000);
    record({ scenario: '10. wall clock jumps 15 min (sleep/wake)', sent: 1, lost: tally.lost(), duplicates: tally.duplicates, reconnectMedianMs: ms, reconnectWorstMs: ms, peakConnections: c.status().connections.peak, notes: 'clockJumpMs 400 in the test (default 60 s)' });
    expect(c.log.lines.some((l) => l.includes('clock-jump'))).toBe(true);
    expect(tally.lost()).toBe(0);
  });
});
