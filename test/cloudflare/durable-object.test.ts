/**
 * The Durable Object adapter in workerd (Miniflare, from this Node process), asserted on
 * the wire of a FakeDingTalkGateway and on the control routes' answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { constantTimeEqual } from '../../adapters/cloudflare.js';
import { FakeDingTalkGateway } from '../../src/testing/index.js';
import { TOPIC_CARD } from '../../src/index.js';
import { TOPIC_THROWS } from './constants.js';
import { record } from '../reliability/harness.js';
import { AUTH, CONTROL_TOKEN, launchWorkerd, startWorkerd, type WorkerdBot, type WorkerdOptions } from './miniflare.js';

const WATCHDOG_MS = 300;
const WAIT_MS = 10_000;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function gateway(): Promise<FakeDingTalkGateway> {
  const gw = await new FakeDingTalkGateway({ redeliverAfterMs: 300, disconnectCloseMs: 500 }).listen();
  cleanups.push(() => gw.close());
  return gw;
}

const envOf = (gw: FakeDingTalkGateway) => ({ openApiHost: gw.openApiHost, clientId: gw.clientId, clientSecret: gw.clientSecret });

/** A Worker with its bot object, not started; stopped and disposed after the test. */
async function worker(gw: FakeDingTalkGateway, options: WorkerdOptions = {}): Promise<WorkerdBot> {
  const bot = await startWorkerd(envOf(gw), { watchdogMs: WATCHDOG_MS, ...options });
  cleanups.push(() => bot.stop());
  return bot;
}

/** A Worker whose bot was started through the control route and is open. */
async function started(gw: FakeDingTalkGateway, options: WorkerdOptions = {}): Promise<WorkerdBot> {
  const bot = await launchWorkerd(envOf(gw), { watchdogMs: WATCHDOG_MS, ...options });
  cleanups.push(() => bot.stop());
  return bot;
}

function repliesTo(gw: FakeDingTalkGateway, text: string) {
  return gw.webhookCalls.filter((r) => (r.body as { text?: { content?: string } } | undefined)?.text?.content === `echo: ${text}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('control routes', () => {
  it('refuse a missing, wrong or malformed token, and start nothing', async () => {
    const gw = await gateway();
    const bot = await worker(gw);
    const refusals: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer wrong-token` },
      { authorization: `Bearer ${CONTROL_TOKEN}x` },
      { authorization: `Bearer ${CONTROL_TOKEN.slice(0, -1)}` },
      { authorization: `Basic ${CONTROL_TOKEN}` },
      { authorization: CONTROL_TOKEN },
    ];
    for (const headers of refusals) {
      for (const [method, path] of [['POST', '/start'], ['POST', '/stop'], ['GET', '/status']] as const) {
        const res = await bot.control(method, path, headers);
        expect(res.status, `${method} ${path} with ${JSON.stringify(headers)}`).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
        expect(JSON.stringify(res.body)).not.toContain(CONTROL_TOKEN);
      }
    }
    expect(gw.openCalls).toHaveLength(0);
    expect(gw.connections).toHaveLength(0);
  });

  it('refuse to stop a running bot without the token', async () => {
    const gw = await gateway();
    const bot = await started(gw);
    expect((await bot.control('POST', '/stop', { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await bot.control('POST', '/stop', {})).status).toBe(401);
    expect(gw.live()).toHaveLength(1);
    expect((await bot.status()).state).toBe('open');
  });

  it('refuse every control request when no control token is configured', async () => {
    const gw = await gateway();
    const bot = await worker(gw, { bindings: { DINGTALK_CONTROL_TOKEN: undefined } });
    for (const headers of [{}, { authorization: 'Bearer ' }, { authorization: 'Bearer undefined' }, AUTH]) {
      for (const [method, path] of [['POST', '/start'], ['POST', '/stop'], ['GET', '/status']] as const) {
        const res = await bot.control(method, path, headers);
        expect(res.status).toBe(503);
        expect(res.body.error.code).toBe('CONTROL_TOKEN_UNSET');
      }
    }
    expect(gw.openCalls).toHaveLength(0);
  });

  it('answer start with a typed CONFIG error when a credential secret is missing, and stay stopped', async () => {
    const gw = await gateway();
    const bot = await worker(gw, { bindings: { DINGTALK_CLIENT_SECRET: undefined } });
    const res = await bot.control('POST', '/start');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('CONFIG');
    expect(await bot.status()).toMatchObject({ running: false, state: 'idle' });
    expect(gw.openCalls).toHaveLength(0);
  });

  it('answer 404 off the routes and 405 to the wrong method', async () => {
    const gw = await gateway();
    const bot = await worker(gw);
    expect((await bot.control('GET', '/', AUTH)).status).toBe(404);
    expect((await bot.control('POST', '/restart', AUTH)).status).toBe(404);
    expect((await bot.control('GET', '/start', AUTH)).status).toBe(405);
    expect((await bot.control('POST', '/status', AUTH)).status).toBe(405);
    expect(gw.openCalls).toHaveLength(0);
  });

  it('report status with no secret in it', async () => {
    const gw = await gateway();
    const bot = await started(gw);
    const res = await bot.control('GET', '/status');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ running: true, state: 'open', connections: { open: 1 } });
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(gw.clientSecret);
    expect(text).not.toContain(CONTROL_TOKEN);
    expect(text).not.toContain(gw.connections[0]!.ticket);
  });

  it('compare tokens in constant time over their bytes, whatever the lengths', async () => {
    expect(await constantTimeEqual('s3cret-token', 's3cret-token')).toBe(true);
    expect(await constantTimeEqual('s3cret-token', 's3cret-tokeN')).toBe(false);
    expect(await constantTimeEqual('s3cret-token', 's3cret-token-longer')).toBe(false);
    expect(await constantTimeEqual('', 'x')).toBe(false);
    expect(await constantTimeEqual('令牌', '令牌')).toBe(true);
  });
});

describe('the Durable Object', () => {
  it('closes its socket on stop and stays down: the watchdog is disarmed', async () => {
    const gw = await gateway();
    const bot = await started(gw);
    const conn = gw.live()[0]!;
    const res = await bot.control('POST', '/stop');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ running: false, state: 'stopped', connections: { open: 0 } });
    await gw.waitFor(() => conn.closedAt !== null, WAIT_MS, 'the gateway to see the socket close');
    const opens = gw.openCalls.length;
    // several watchdog periods: a live alarm would have reconnected by now
    await sleep(WATCHDOG_MS * 4);
    expect(gw.openCalls).toHaveLength(opens);
    expect(gw.live()).toHaveLength(0);
    // and it starts again on request
    expect((await bot.control('POST', '/start')).body).toMatchObject({ running: true, state: 'open' });
    expect(gw.live()).toHaveLength(1);
  });

  it('survives a handler that throws: acks 500, keeps its connection and handles the next message', async () => {
    const gw = await gateway();
    const bot = await started(gw, { className: 'ProbeBot' });
    const before = await bot.status();
    const failed = gw.pushCallback(TOPIC_THROWS, { n: 1 });
    const ack = await gw.waitForAck(failed, WAIT_MS);
    expect(ack.code).toBe(500);
    const text = 'still alive';
    const next = gw.pushChatbotMessage(text);
    expect((await gw.waitForAck(next, WAIT_MS)).code).toBe(200);
    await gw.waitFor(() => repliesTo(gw, text).length === 1, WAIT_MS, 'the reply');
    expect(gw.connections).toHaveLength(1);
    expect(gw.live()).toHaveLength(1);
    const after = await bot.status();
    expect(after.instance).toBe(before.instance);
    expect(after).toMatchObject({ state: 'open', running: true });
    expect(after.counters.handlerErrors).toBe(1);
  });

  it('is revived by the alarm alone after its client gave up, with no request in flight', async () => {
    const gw = await gateway();
    const bot = await started(gw);
    const { instance } = await bot.status();
    // the next open call is refused as if the credentials were wrong: the client stops for
    // good (AUTH_FAILED is not retried), so only the watchdog can bring the bot back
    gw.failOpen({ status: 401 }, 1);
    gw.kill();
    // no request reaches the Worker from here until the gateway sees the new connection
    await gw.waitFor(() => gw.openCalls.length >= 3 && gw.live().length === 1, WAIT_MS, 'a new connection after the refused one');
    expect(gw.connections).toHaveLength(2);
    expect(bot.output()).toContain('the client is failed; starting a new one');
    const status = await bot.status();
    expect(status).toMatchObject({ state: 'open', running: true, instance, lastError: null });
    // and the revived client handles messages
    const id = gw.pushChatbotMessage('after the alarm');
    expect((await gw.waitForAck(id, WAIT_MS)).code).toBe(200);
  });

  it('resumes after a restart mid-traffic through the alarm, with dedup and counters surviving', async () => {
    // A restart = the workerd process disposed and a new Miniflare on the same storage folder:
    // nothing in memory survives, only Durable Object storage (and the alarm in it).
    const gw = await gateway();
    const dir = mkdtempSync(join(tmpdir(), 'dingtalk-do-state-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const first = await launchWorkerd(envOf(gw), { watchdogMs: WATCHDOG_MS, persistDir: dir });
    cleanups.push(() => first.crash());
    const { instance } = await first.status();

    const texts = Array.from({ length: 7 }, (_, i) => `restart-${i}`);
    const ids = texts.slice(0, 5).map((t) => gw.pushChatbotMessage(t));
    await gw.waitFor(() => ids.every((id) => !gw.unacked.includes(id)), WAIT_MS, 'the first acks');
    // chatbot messages are acked on receipt: a crash between the ack and the reply would lose
    // the reply (the gateway does not redeliver an acked message), so the crash comes after them
    await gw.waitFor(() => texts.slice(0, 5).every((t) => repliesTo(gw, t).length > 0), WAIT_MS, 'the first replies');
    const firstAck = gw.acks.find((a) => a.headers.messageId === ids[0])!;
    // traffic while the process goes away (card callbacks: no HTTP request of the bot is cut
    // mid-way, which the fake gateway would report as an error), and while nothing runs
    const cards = [1, 2, 3].map((n) => ({ id: gw.pushCallback(TOPIC_CARD, { n }), n }));
    await first.crash();
    await gw.waitFor(() => gw.live().length === 0, WAIT_MS, 'the old socket to die');
    for (const t of texts.slice(5)) ids.push(gw.pushChatbotMessage(t));

    const restartedAt = performance.now();
    const second = await startWorkerd(envOf(gw), { watchdogMs: WATCHDOG_MS, persistDir: dir });
    cleanups.push(() => second.stop());
    // no request: the alarm stored by the first process wakes a new instance, which reconnects
    await gw.waitFor(() => gw.live().length === 1, WAIT_MS, 'the alarm to revive the bot');
    const reviveMs = Math.round(performance.now() - restartedAt);
    await gw.waitFor(() => [...ids, ...cards.map((c) => c.id)].every((id) => !gw.unacked.includes(id)), WAIT_MS, 'every message acked');
    await gw.waitFor(() => texts.every((t) => repliesTo(gw, t).length > 0), WAIT_MS, 'every reply');
    for (const { id, n } of cards) {
      const acks = gw.acksOf(id).filter((a) => a.code === 200); // a redelivery has its own messageId
      expect(acks.length).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(acks[0]!.data)).toEqual({ response: { echo: { n } } });
    }

    // the gateway redelivers a message under a new messageId with the same msgId (protocol.md
    // §10.1): the new instance knows it from storage, acks it the same way and does not reply
    const repeatedId = gw.pushChatbotMessage(texts[0]!, { msgId: gw.pushOf(ids[0]!)!.businessId });
    const repeated = await gw.waitForAck(repeatedId, WAIT_MS);
    expect(repeated.data).toBe(firstAck.data);
    expect(repeated.code).toBe(firstAck.code);
    for (const t of texts) expect(repliesTo(gw, t), t).toHaveLength(1);
    record({ scenario: '12. Durable Object restart mid-traffic (new workerd process, same storage)', sent: texts.length + cards.length, lost: 0, duplicates: texts.reduce((n, t) => n + repliesTo(gw, t).length - 1, 0), reconnectMedianMs: reviveMs, reconnectWorstMs: reviveMs, peakConnections: 1, notes: `revived by the stored alarm alone (watchdog ${WATCHDOG_MS} ms in the test, 30 s default; time includes starting workerd); a redelivery (new messageId, same msgId) of an already-acked message got the stored ack and no second reply` });

    const status = await second.status();
    expect(status.instance).not.toBe(instance);
    expect(status).toMatchObject({ running: true, state: 'open' });
    expect(status.counters.duplicates).toBeGreaterThanOrEqual(1);
    // counters are saved with every remembered message, so they carry over the restart
    expect(status.counters.received).toBeGreaterThanOrEqual(11);
    expect(status.dedupStored).toBeGreaterThanOrEqual(10);
    // the revived bot runs the same handlers
    const id = gw.pushChatbotMessage('after restart');
    expect((await gw.waitForAck(id, WAIT_MS)).code).toBe(200);
    await gw.waitFor(() => repliesTo(gw, 'after restart').length === 1, WAIT_MS, 'the reply');
  });

  it('stays down after a restart when it was stopped', async () => {
    const gw = await gateway();
    const dir = mkdtempSync(join(tmpdir(), 'dingtalk-do-state-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const first = await launchWorkerd(envOf(gw), { watchdogMs: WATCHDOG_MS, persistDir: dir });
    cleanups.push(() => first.crash());
    await first.stop();
    const opens = gw.openCalls.length;
    const second = await startWorkerd(envOf(gw), { watchdogMs: WATCHDOG_MS, persistDir: dir });
    cleanups.push(() => second.stop());
    await sleep(WATCHDOG_MS * 4);
    expect(gw.openCalls).toHaveLength(opens);
    expect(await second.status()).toMatchObject({ running: false, state: 'idle' });
  });
});
