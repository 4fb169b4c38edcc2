/**
 * The conformance suite, written once and run against a bot living in each runtime under
 * test (Node, Bun, Deno, workerd). The bot is test/conformance/bot.mjs started by a
 * runtime-specific `launch`; everything is asserted on the wire of a FakeDingTalkGateway:
 * the open call it received, the acks, the session-webhook replies, the connections.
 *
 * The gateway redelivers like production, the fake's default (protocol.md §10.1: about 2 s
 * for an ack, then the frame again under a new messageId with the same msgId/eventId).
 *
 * One gateway and one bot per runtime (runtime start-up is the slow part), so every test
 * uses its own messageIds and texts and waits for the state it needs; the tests that break
 * connections run last, while a chatbot handler that takes 10 s is still running (its one
 * reply is checked just before the bot stops).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDingTalkGateway } from '../../src/testing/index.js';
import { TOPIC_CARD, TOPIC_ROBOT } from '../../src/index.js';
import type { BotEnv, RunningBot } from './launch.js';
import { recordAckLatency, recordTiming } from './timings.js';

export type { BotEnv, RunningBot } from './launch.js';

/**
 * Options of {@link conformanceSuite}.
 *
 * @example
 * ```ts
 * conformanceSuite('deno (npm:)', launchDenoNpm, { platform: 'deno', timingsAs: 'deno-npm' });
 * ```
 */
export interface SuiteOptions {
  /** The platform name the adapter must report in the `ua` (proves the export condition picked it). */
  platform?: string;
  /** The name the bot's start-up and ack latency are recorded under in $CONFORMANCE_TIMINGS (see timings.ts). */
  timingsAs?: string;
}

/** Waits up to this long for anything the bot does; generous for a loaded 2-core machine. */
const WAIT_MS = 10_000;
/** The fake's default ack timeout, production's ~2 s (protocol.md §10.1): how long a test waits to see that no redelivery comes. */
const ACK_TIMEOUT_MS = 2_000;
/** An LLM bot's think time, as in issue 11's report: five ack timeouts. */
const SLOW_HANDLER_MS = 10_000;

/**
 * Declares the conformance tests for one runtime.
 *
 * @example
 * ```ts
 * conformanceSuite('bun', (env) => launchProcess('bun', { command: bunBinary(), args: [entry] }, env), { platform: 'bun' });
 * ```
 */
export function conformanceSuite(runtime: string, launch: (env: BotEnv) => Promise<RunningBot>, options: SuiteOptions = {}): void {
  describe(`conformance: ${runtime}`, () => {
    let gw: FakeDingTalkGateway;
    let bot: RunningBot | undefined;
    // the bot's output rides along in assertion messages: it is what explains a failure
    const said = () => `\n--- ${runtime} bot output ---\n${bot?.output() ?? '(not started)'}`;

    beforeAll(async () => {
      // production redelivery (the defaults); a short drain window keeps the disconnect test fast
      gw = await new FakeDingTalkGateway({ disconnectCloseMs: 500 }).listen();
      bot = await launch({ openApiHost: gw.openApiHost, clientId: gw.clientId, clientSecret: gw.clientSecret });
      if (options.timingsAs) recordTiming(options.timingsAs, bot);
      await gw.waitFor(() => gw.live().length === 1, WAIT_MS, 'the bot to connect');
    });

    afterAll(async () => {
      try {
        await bot?.stop();
      } finally {
        await gw?.close();
      }
    });

    /** The single connection the bot has once it settled (after a reconnect, the new one). */
    async function settled() {
      await gw.waitFor(() => gw.live().length === 1 && !gw.live()[0]!.goingAway, WAIT_MS, 'one settled connection');
      return gw.live()[0]!;
    }

    /** Webhook replies carrying exactly `echo: <text>`. */
    function repliesTo(text: string) {
      return gw.webhookCalls.filter((r) => (r.body as { text?: { content?: string } } | undefined)?.text?.content === `echo: ${text}`);
    }

    /**
     * The chatbot message whose handler takes 10 s: pushed by one test, its single reply
     * checked by one of the last, so that those 10 s overlap the tests in between.
     */
    let slow: { text: string; msgId: string; messageIds: string[]; ackMs: number } | undefined;

    it('opens its connection with clientId, clientSecret, subscriptions for robot, card and all events, and its ua', () => {
      expect(gw.openCalls, said()).toHaveLength(1);
      const open = gw.openCalls[0]!;
      expect(open.method).toBe('POST');
      expect(open.headers['content-type']).toBe('application/json');
      const body = open.body as { clientId: string; clientSecret: string; subscriptions: unknown[]; ua: string };
      expect(body.clientId).toBe(gw.clientId);
      expect(body.clientSecret).toBe(gw.clientSecret);
      expect(body.subscriptions).toHaveLength(3);
      expect(body.subscriptions).toEqual(
        expect.arrayContaining([
          { type: 'EVENT', topic: '*' },
          { type: 'CALLBACK', topic: TOPIC_ROBOT },
          { type: 'CALLBACK', topic: TOPIC_CARD },
        ]),
      );
      expect(body.ua).toMatch(/^dingtalk-stream-universal\/\d+\.\d+\.\d+/);
      if (options.platform) expect(body.ua, 'the export condition picked the wrong adapter').toContain(`(${options.platform})`);
      // the ticket from that open call is the one the WebSocket connected with
      expect(gw.connections[0]!.subscriptions).toEqual(body.subscriptions);
    });

    it('acks a chatbot message whose handler takes 10 s on receipt, and the same msgId again under a new messageId', async () => {
      await settled();
      const text = `slow from ${runtime}`;
      let id = '';
      let ackedAt: number | undefined;
      // the time the fake received the ack, not when a waiter woke up
      const untap = gw.tap((e) => {
        if (e.dir === 'in' && e.ack.headers.messageId === id) ackedAt ??= performance.now();
      });
      const pushedAt = performance.now();
      id = gw.pushChatbotMessage(`slow:${SLOW_HANDLER_MS} ${text}`);
      const ack = await gw.waitForAck(id, WAIT_MS).catch((e: Error) => expect.fail(e.message + said()));
      untap();
      // recorded, not asserted: speed is a benchmark (issue 11 wants it within 100 ms)
      const ackMs = Math.round(ackedAt! - pushedAt);
      if (options.timingsAs) recordAckLatency(options.timingsAs, ackMs);
      expect(ack.code).toBe(200);
      expect(JSON.parse(ack.data)).toEqual({ response: null });
      expect(repliesTo(text), `the ack (${ackMs} ms after the push) waited for the handler`).toHaveLength(0);

      // what production sends when an ack is late: the same msgId under a new messageId
      const msgId = gw.pushOf(id)!.businessId!;
      const again = gw.pushChatbotMessage(`slow:${SLOW_HANDLER_MS} ${text}`, { msgId });
      const againAck = await gw.waitForAck(again, WAIT_MS).catch((e: Error) => expect.fail(e.message + said()));
      expect(againAck.code).toBe(200);
      expect(JSON.parse(againAck.data)).toEqual({ response: null });
      expect(repliesTo(text)).toHaveLength(0);
      slow = { text, msgId, messageIds: [id, again], ackMs };
    });

    it('echoes a SYSTEM ping with code 200 and the same data', async () => {
      await settled();
      const data = { opaque: `ping-${runtime}` };
      const id = gw.ping(undefined, data);
      const ack = await gw.waitForAck(id, WAIT_MS);
      expect(ack.code).toBe(200);
      expect(ack.headers.messageId).toBe(id);
      expect(JSON.parse(ack.data)).toEqual(data);
    });

    it('acks an EVENT with SUCCESS', async () => {
      await settled();
      const id = gw.pushEvent({ corpId: 'ding9f50b15bccd16741', userId: ['manager1'] }, { eventType: 'user_add_org' });
      const ack = await gw.waitForAck(id, WAIT_MS);
      expect(ack.code).toBe(200);
      expect(ack.headers).toEqual({ contentType: 'application/json', messageId: id });
      expect(JSON.parse(ack.data)).toMatchObject({ status: 'SUCCESS' });
      expect(gw.unacked).not.toContain(id);
    });

    it("acks a CALLBACK with the handler's response", async () => {
      await settled();
      const data = { outTrackId: `card-${runtime}`, value: { cardPrivateData: { params: { n: 42, text: '你好' } } } };
      const id = gw.pushCallback(TOPIC_CARD, data);
      const ack = await gw.waitForAck(id, WAIT_MS);
      expect(ack.code).toBe(200);
      expect(ack.headers.messageId).toBe(id);
      expect(JSON.parse(ack.data)).toEqual({ response: { echo: data } });
    });

    it("acks a chatbot message with a null response and posts the handler's reply to its session webhook", async () => {
      await settled();
      const text = `hello from ${runtime}`;
      const id = gw.pushChatbotMessage(text, { session: `chat-${runtime}` });
      await gw.waitFor(() => repliesTo(text).length === 1, WAIT_MS, 'the webhook reply').catch((e: Error) => expect.fail(e.message + said()));
      const reply = repliesTo(text)[0]!;
      expect(reply.method).toBe('POST');
      expect(reply.query.session).toBe(`chat-${runtime}`);
      expect(reply.headers['content-type']).toContain('application/json');
      expect(reply.body).toEqual({ msgtype: 'text', text: { content: `echo: ${text}` } });
      const ack = await gw.waitForAck(id, WAIT_MS);
      expect(ack.code).toBe(200);
      expect(JSON.parse(ack.data)).toEqual({ response: null });
    });

    it('moves to a new connection on a server disconnect without losing or repeating a message', async () => {
      const old = await settled();
      const texts = Array.from({ length: 15 }, (_, i) => `disconnect-${runtime}-${i}`);
      const ids: string[] = [];
      // before the disconnect (on the old socket), inside the drain window, and after it
      for (const text of texts.slice(0, 5)) ids.push(gw.pushChatbotMessage(text));
      gw.disconnect(old);
      for (const text of texts.slice(5, 10)) ids.push(gw.pushChatbotMessage(text));
      const fresh = await settled();
      expect(fresh.id).not.toBe(old.id);
      for (const text of texts.slice(10)) ids.push(gw.pushChatbotMessage(text));

      await gw.waitFor(() => ids.every((id) => !gw.unacked.includes(id)), WAIT_MS, 'every message acked').catch((e: Error) => expect.fail(e.message + said()));
      await gw.waitFor(() => texts.every((t) => repliesTo(t).length > 0), WAIT_MS, 'every reply').catch((e: Error) => expect.fail(e.message + said()));
      for (const text of texts) expect(repliesTo(text), `replies to ${text}`).toHaveLength(1);
      for (const id of ids) expect(gw.acks.find((a) => a.headers.messageId === id)?.code).toBe(200);
      await gw.waitFor(() => old.closedAt !== null, WAIT_MS, 'the old connection to close');
      expect(gw.live()).toHaveLength(1);
    });

    it('reconnects after the connection is killed and gets a message pushed around the kill', async () => {
      const old = await settled();
      const opensBefore = gw.openCalls.length;
      gw.kill(old);
      // pushed while the TCP connection is already gone: lost on the wire, so the gateway
      // redelivers it to the next connection
      const during = `kill-${runtime}-during`;
      const duringId = gw.pushChatbotMessage(during);
      await gw.waitFor(() => old.closedAt !== null, WAIT_MS, 'the gateway to see the kill');
      const fresh = await settled();
      expect(fresh.id).not.toBe(old.id);
      expect(gw.openCalls.length).toBeGreaterThan(opensBefore);
      const after = `kill-${runtime}-after`;
      const afterId = gw.pushChatbotMessage(after);
      // the one lost on the dead socket comes back under a new messageId, as in production
      for (const id of [duringId, afterId]) expect((await gw.waitForAck(id, WAIT_MS, { anyDelivery: true })).code).toBe(200);
      await gw.waitFor(() => repliesTo(during).length > 0 && repliesTo(after).length > 0, WAIT_MS, 'both replies').catch((e: Error) => expect.fail(e.message + said()));
      expect(repliesTo(during)).toHaveLength(1);
      expect(repliesTo(after)).toHaveLength(1);
    });

    it(
      'replies once to that slow chatbot message, which the gateway never redelivered',
      async () => {
        if (!slow) return expect.fail('the slow chatbot message was not acked: see the test that pushes it');
        const { text, msgId, messageIds, ackMs } = slow;
        await gw.waitFor(() => repliesTo(text).length > 0, SLOW_HANDLER_MS + WAIT_MS, 'the slow reply').catch((e: Error) => expect.fail(e.message + said()));
        // a second handler run, for the second messageId or for a redelivery after the ack
        // timeout, would have replied within one more ack timeout
        await new Promise((resolve) => setTimeout(resolve, ACK_TIMEOUT_MS + 500));
        expect(repliesTo(text), `replies to msgId ${msgId}${said()}`).toHaveLength(1);
        for (const messageId of messageIds) {
          const push = gw.pushOf(messageId)!;
          expect(push.deliveries, `redelivered: not acked within the ${ACK_TIMEOUT_MS} ms ack timeout (the first ack took ${ackMs} ms)`).toHaveLength(1);
          expect(push.state).toBe('acked');
          // one ack per frame: the handler's end must not send another (protocol.md §10.1)
          expect(gw.acksOf(messageId)).toHaveLength(1);
        }
        expect(gw.deliveryCount(msgId), 'frames carrying the msgId: the two pushes, no redelivery').toBe(2);
      },
      SLOW_HANDLER_MS + 3 * WAIT_MS,
    );

    it('stops when asked, closing its connection', async () => {
      await settled();
      await bot!.stop();
      await gw.waitFor(() => gw.live().length === 0, WAIT_MS, 'the connection to close');
      expect(bot!.output(), said()).toMatch(/^STOPPED$/m);
      expect(bot!.output()).not.toContain(gw.clientSecret);
    });
  });
}
