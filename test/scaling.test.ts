// One bot on three processes sharing one Redis and one fake gateway. The gateway spreads
// pushes over every connection, and a redelivery (a new messageId, the same msgId/eventId:
// protocol.md §10.1) usually lands on a connection of another process: here every message
// is delivered twice, to two different processes, the copy 0–300 ms after the original.
import { execPath } from 'node:process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPIC_ROBOT } from '../src/index.js';
import { chatbotMessage, FakeDingTalkGateway, type FakeConnection } from '../src/testing/index.js';
import { launchProcess, ROOT, type RunningBot } from './conformance/launch.js';
import { redisAvailable, startRedis, type RedisServer } from './helpers/redis.js';
import { delay } from './helpers/setup.js';
import { record } from './reliability/harness.js';

const PROCESSES = 3;
const MESSAGES = 60;
const EVENTS = MESSAGES / 2; // one event with every other message

interface Run {
  gw: FakeDingTalkGateway;
  ids: string[];
  /** Replies per msgId, and which process sent each. */
  replies: Map<string, string[]>;
  /** Handler runs per eventId. */
  eventRuns: Map<string, number>;
}

/**
 * Three bot processes on `store`, every message delivered to two of them. The traffic comes in
 * three phases of equal size; each settles (acked, answered) before `between(phase)` runs.
 */
async function runThree(store: 'redis' | 'memory', redis: RedisServer | undefined, between?: (phase: number) => Promise<void>): Promise<Run> {
  const gw = await new FakeDingTalkGateway().listen();
  const bots: RunningBot[] = [];
  try {
    for (let p = 0; p < PROCESSES; p++) {
      bots.push(await launchProcess(`p${p}`, { command: execPath, args: ['test/scaling/bot.mjs'], cwd: ROOT, env: { STORE: store, REDIS_URL: redis?.url ?? '', PROCESS_NAME: `p${p}` } }, { openApiHost: gw.openApiHost, clientId: gw.clientId, clientSecret: gw.clientSecret }));
    }
    await gw.waitFor(() => gw.live().length === PROCESSES, 10_000, 'three connections');
    const conns = gw.live();
    const ids: string[] = [];
    const copies: Array<Promise<void>> = [];
    const twice = (i: number, push: (to: FakeConnection) => string) => {
      ids.push(push(conns[i % PROCESSES]!));
      copies.push(delay(Math.floor(Math.random() * 300)).then(() => void ids.push(push(conns[(i + 1) % PROCESSES]!))));
    };
    const perPhase = MESSAGES / 3;
    const nonce = Math.random().toString(36).slice(2, 8); // the Redis of one test file serves every run
    for (let phase = 0; phase < 3; phase++) {
      for (let i = phase * perPhase; i < (phase + 1) * perPhase; i++) {
        const data = chatbotMessage({ text: `q${i}`, msgId: `msgScale${nonce}${i}==`, sessionWebhook: gw.sessionWebhook(`chat-${i}`) });
        twice(i, (to) => gw.pushCallback(TOPIC_ROBOT, data, { to }));
        if (i % 2 === 0) twice(i, (to) => gw.pushEvent({ seq: i }, { eventId: `evtScale${nonce}${i}`, to }));
        await delay(10);
      }
      await Promise.all(copies.splice(0));
      const answered = (i: number) => gw.webhookCalls.some((r) => r.query.session === `chat-${i}`);
      await gw.waitFor(() => gw.unacked.length === 0 && Array.from({ length: (phase + 1) * perPhase }, (_, i) => i).every(answered), 15_000, `phase ${phase + 1} acked and answered`);
      await delay(400); // a second answer would have come by now
      await between?.(phase + 1);
    }
    const replies = new Map<string, string[]>();
    const eventRuns = new Map<string, number>();
    for (const call of gw.webhookCalls) {
      const session = call.query.session ?? '';
      const event = /^event-(evtScale\w+?\d+)-(p\d)$/.exec(session);
      if (event) eventRuns.set(event[1]!, (eventRuns.get(event[1]!) ?? 0) + 1);
      const text = (call.body as { text?: { content?: string } }).text?.content ?? '';
      const answer = /^answer: (q\d+) \[(p\d)\]$/.exec(text);
      if (answer) replies.set(answer[1]!, [...(replies.get(answer[1]!) ?? []), answer[2]!]);
    }
    return { gw, ids, replies, eventRuns };
  } finally {
    for (const bot of bots) await bot.stop();
    await gw.close();
  }
}

const duplicates = (run: Run) => [...run.replies.values()].reduce((n, r) => n + r.length - 1, 0) + [...run.eventRuns.values()].reduce((n, k) => n + k - 1, 0);
const spread = (run: Run) => {
  const per = new Map<string, number>();
  for (const procs of run.replies.values()) for (const p of procs) per.set(p, (per.get(p) ?? 0) + 1);
  return [...per.entries()].sort().map(([p, n]) => `${p} ${n}`).join(', ');
};

describe.runIf(redisAvailable())('one bot on three processes', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('with a shared Redis store: one reply per msgId and one run per eventId across the processes, every delivery acked, load spread', async () => {
    const run = await runThree('redis', redis);
    record({ scenario: '17. one bot on 3 processes, shared RedisDedupStore, every message delivered to two processes', sent: run.ids.length, lost: MESSAGES - run.replies.size + EVENTS - run.eventRuns.size, duplicates: duplicates(run), peakConnections: PROCESSES, notes: `${MESSAGES} chatbot messages and ${EVENTS} events, each pushed twice (new messageId, same msgId/eventId, the copy 0–300 ms later to another process); all ${run.ids.length} deliveries acked; answers per process: ${spread(run)}` });
    expect(run.replies.size).toBe(MESSAGES);
    expect(run.eventRuns.size).toBe(EVENTS);
    expect(duplicates(run)).toBe(0);
    for (const id of run.ids) expect(run.gw.pushOf(id)!.state).toBe('acked');
    expect(new Set([...run.replies.values()].flat()).size).toBe(PROCESSES); // every process worked
  });

  it('with the in-memory store only: the duplicates a per-process window lets through, as a figure', async () => {
    const run = await runThree('memory', undefined);
    const dup = duplicates(run);
    record({ scenario: '17. one bot on 3 processes, in-memory dedup only (the default), every message delivered to two processes', sent: run.ids.length, lost: MESSAGES - run.replies.size + EVENTS - run.eventRuns.size, duplicates: dup, peakConnections: PROCESSES, notes: `the same traffic without a shared store: each process dedups only what it saw, so ${dup} of ${MESSAGES + EVENTS} messages were handled twice` });
    expect(run.replies.size).toBe(MESSAGES);
    expect(dup).toBeGreaterThan(0); // what the shared store is for
  });

  it('keeps acking with no crash when Redis is killed mid-traffic, and shares dedup again once it is back', async () => {
    // phase 1 with Redis; phase 2 without it (killed: each process decides alone); phase 3
    // after it came back (empty: no persistence) and the processes reconnected (≤ 1 s)
    const run = await runThree('redis', redis, async (phase) => {
      if (phase === 1) await redis.kill();
      if (phase === 2) {
        await redis.start();
        await delay(1_500);
      }
    });
    const inPhase = (p: number) => [...run.replies.entries()].filter(([q]) => Math.floor(Number(q.slice(1)) / (MESSAGES / 3)) === p - 1);
    const twice = (p: number) => inPhase(p).filter(([, procs]) => procs.length > 1).length;
    record({ scenario: '17. one bot on 3 processes, Redis killed for the middle third of the traffic, then back', sent: run.ids.length, lost: MESSAGES - run.replies.size + EVENTS - run.eventRuns.size, duplicates: duplicates(run), peakConnections: PROCESSES, notes: `every delivery acked, no process crashed; chatbot messages answered twice: ${twice(1)} before the outage, ${twice(2)} of ${MESSAGES / 3} during it (each process deciding alone), ${twice(3)} after Redis came back` });
    expect(run.replies.size).toBe(MESSAGES);
    expect(run.eventRuns.size).toBe(EVENTS);
    for (const id of run.ids) expect(run.gw.pushOf(id)!.state).toBe('acked');
    expect(twice(1)).toBe(0);
    expect(twice(3)).toBe(0);
  });
});
