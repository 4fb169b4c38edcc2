import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { TOPIC_ROBOT } from '../adapters/node.js';
import { RedisDedupStore } from '../adapters/redis.js';
import { registerChatbotHandler } from '../src/chatbot/index.js';
import { chatbotMessage } from '../src/testing/index.js';
import { client, delay, gateway } from './helpers/setup.js';
import { redisAvailable, startRedis, type RedisServer } from './helpers/redis.js';

const OUTCOME = '{"code":200,"message":"OK","data":"{\\"response\\":null}"';

describe.runIf(redisAvailable())('RedisDedupStore against a real redis-server', () => {
  let redis: RedisServer;
  const stores: RedisDedupStore[] = [];
  const store = (options: Partial<ConstructorParameters<typeof RedisDedupStore>[0]> = {}) => {
    const s = new RedisDedupStore({ url: redis.url, logger: null, ...options });
    stores.push(s);
    return s;
  };
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await redis?.stop();
  });

  it('lets exactly one of many concurrent claims win, then hands out the outcome; keys are prefixed and expire', async () => {
    const a = store({ prefix: 'botA:' });
    const b = store({ prefix: 'botA:' });
    const claims = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim('msg:one', 60_000)));
    expect(claims.filter((c) => c.state === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c.state === 'pending')).toHaveLength(39);
    await a.settle('msg:one', OUTCOME, 600_000);
    expect(await b.claim('msg:one', 60_000)).toEqual({ state: 'done', outcome: OUTCOME });
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      const ttl = Number(await raw.sendCommand(['PTTL', 'botA:msg:one']));
      expect(ttl).toBeGreaterThan(590_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
      expect(await raw.sendCommand(['EXISTS', 'msg:one'])).toBe(0); // only under the prefix
      expect(Number(await raw.sendCommand(['PTTL', 'botA:msg:lease']))).toBeLessThan(0);
      await a.claim('msg:lease', 5_000);
      const lease = Number(await raw.sendCommand(['PTTL', 'botA:msg:lease']));
      expect(lease).toBeGreaterThan(4_000); // a claim is a lease: a process that dies lets go
      expect(lease).toBeLessThanOrEqual(5_000);
    } finally {
      raw.destroy();
    }
  });

  it('releases a key settled without an outcome (LATER, an error), so a redelivery is claimed again', async () => {
    const s = store({ prefix: 'release:' });
    expect((await s.claim('evt:1', 60_000)).state).toBe('claimed');
    await s.settle('evt:1', undefined, 600_000);
    expect((await s.claim('evt:1', 60_000)).state).toBe('claimed');
  });

  it('runs a chatbot handler once for one msgId delivered to two clients that share the store', async () => {
    const gw = await gateway();
    const shared = { dedupStore: store({ prefix: 'two-clients:' }) };
    let runs = 0;
    const bots = [client(gw, shared), client(gw, shared)];
    for (const bot of bots) registerChatbotHandler(bot, async (m, reply) => {
      runs++;
      await delay(200);
      await reply.text(`answer: ${m.text}`);
    });
    for (const bot of bots) await bot.start();
    await gw.waitFor(() => gw.live().length === 2, 5_000, 'two connections');
    const [first, second] = gw.live();
    const data = chatbotMessage({ text: 'shared', msgId: 'msgShared==', sessionWebhook: gw.sessionWebhook() });
    const ids = [gw.pushCallback(TOPIC_ROBOT, data, { to: first }), gw.pushCallback(TOPIC_ROBOT, data, { to: second })];
    for (const id of ids) expect((await gw.waitForAck(id)).code).toBe(200);
    await gw.waitFor(() => gw.webhookCalls.length === 1, 5_000, 'the answer');
    await delay(400);
    expect(runs).toBe(1);
    expect(gw.webhookCalls).toHaveLength(1);
  });

  it('keeps acking when Redis goes away, warns once, and shares dedup again when it returns', async () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const s = store({ prefix: 'outage:', timeoutMs: 200, logger: { warn: (m) => warnings.push(m), info: (m) => infos.push(m) } });
    expect((await s.claim('msg:before', 60_000)).state).toBe('claimed');
    await redis.kill();
    const started = performance.now();
    const during = await Promise.all([s.claim('msg:during-1', 60_000), s.claim('msg:during-2', 60_000), s.settle('msg:during-1', OUTCOME, 60_000)]);
    expect(performance.now() - started).toBeLessThan(2_000); // answered, not hung: the bound is the point (10x the 200 ms timeout)
    expect(during.slice(0, 2)).toEqual([{ state: 'claimed' }, { state: 'claimed' }]); // this process decides alone
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Redis unreachable .*in this process only/);
    await redis.start();
    let key = '';
    for (let i = 0; i < 50 && infos.length === 0; i++) {
      await delay(100);
      key = `msg:after-${i}`;
      await s.claim(key, 60_000);
    }
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatch(/Redis is back/);
    expect((await s.claim(key, 60_000)).state).toBe('pending'); // claimed in Redis: shared again
    expect(warnings).toHaveLength(1);
  });

  it('never prints the password of a redis:// URL', async () => {
    const warnings: string[] = [];
    const s = store({ url: `redis://default:hunter2-secret@127.0.0.1:1`, timeoutMs: 100, logger: { warn: (m) => warnings.push(m), info: () => {} } });
    expect((await s.claim('msg:x', 1_000)).state).toBe('claimed');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('hunter2-secret');
  });
});
