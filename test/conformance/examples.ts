/**
 * Runs a runtime's example bot (examples/<runtime>/bot.ts, the README quick start) against
 * a fake gateway: it must connect, answer a chat message through the session webhook and
 * stop on SIGTERM. Keeps the quick start honest.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDingTalkGateway } from '../../src/testing/index.js';
import type { BotEnv, RunningBot } from './launch.js';

/**
 * Declares the example-bot test for one runtime.
 *
 * @example
 * ```ts
 * exampleSuite('bun', (env) => launchProcess('bun example', { command: bunBinary(), args: ['examples/bun/bot.ts'], readyPattern: /^Connected/m }, env));
 * ```
 */
export function exampleSuite(runtime: string, launch: (env: BotEnv) => Promise<RunningBot>): void {
  describe(`examples/${runtime}/bot.ts`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const fn of cleanups.splice(0).reverse()) await fn();
    });

    it('connects, answers a chat message through its session webhook and stops on SIGTERM', async () => {
      const gw = await new FakeDingTalkGateway().listen();
      cleanups.push(() => gw.close());
      const bot = await launch({ openApiHost: gw.openApiHost, clientId: gw.clientId, clientSecret: gw.clientSecret });
      cleanups.push(() => bot.stop());
      const id = gw.pushChatbotMessage('hello', { session: `example-${runtime}` });
      const ack = await gw.waitForAck(id, 10_000);
      expect(ack.code, bot.output()).toBe(200); // on receipt, before the reply
      await gw.waitFor(() => gw.webhookCalls.length === 1, 10_000, 'the reply');
      expect(gw.webhookCalls.map((r) => r.body)).toEqual([{ msgtype: 'text', text: { content: 'You said: hello' } }]);
      expect(gw.webhookCalls[0]!.query.session).toBe(`example-${runtime}`);
      await bot.stop();
      await gw.waitFor(() => gw.live().length === 0, 10_000, 'the example to close its connection');
    });
  });
}
