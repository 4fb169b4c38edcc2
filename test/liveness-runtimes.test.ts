import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DENO_RUN_FLAGS, ROOT, bunBinary, denoBinary, denoEnv, launchProcess, type RunningBot } from './conformance/launch.js';
import { gateway } from './helpers/setup.js';

// The liveness check in the real runtimes, on the built package (npm run build first):
// Bun's client WebSocket can ping, Deno's (WHATWG) cannot. quiet-bot.mjs takes the idle
// timeout as its last argument.
const BOT = join(ROOT, 'test/liveness/quiet-bot.mjs');
const IDLE_MS = 150;

async function withBot<T>(start: () => Promise<RunningBot>, body: (bot: RunningBot) => Promise<T>): Promise<T> {
  const bot = await start();
  try {
    return await body(bot);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nbot output:\n${bot.output()}`);
  } finally {
    await bot.stop();
  }
}

describe('liveness in Bun: its client WebSocket pings', () => {
  it('keeps a quiet connection on pongs and replaces a wedged one make-before-break', async () => {
    const gw = await gateway();
    const env = { openApiHost: gw.openApiHost, clientId: gw.clientId, clientSecret: gw.clientSecret };
    await withBot(() => launchProcess('bun', { command: bunBinary(), args: [BOT, String(IDLE_MS)], env: { BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' } }, env), async (bot) => {
      expect(bot.output()).toContain('CAN_PING=true');
      const first = gw.live()[0]!;
      await gw.waitFor(() => first.pings >= 3, 5000, 'three pings from Bun');
      expect(gw.openCalls).toHaveLength(1);
      expect(gw.connections).toHaveLength(1);

      gw.silence(first);
      await gw.waitFor(() => gw.connections.length === 2 && first.closedAt !== null, 5000, 'the wedged connection to be replaced');
      expect(gw.connections[1]!.openedAt).toBeLessThanOrEqual(first.closedAt!);
      await gw.waitFor(() => /connection #1: pong-timeout; replacing it/.test(bot.output()), 2000, 'the reason in the log');
    });
  });
});

describe('liveness in Deno: a WHATWG socket cannot ping', () => {
  it('keeps the idle watchdog: a quiet connection is replaced make-before-break', async () => {
    const gw = await gateway();
    const env = { openApiHost: gw.openApiHost, clientId: gw.clientId, clientSecret: gw.clientSecret };
    await withBot(() => launchProcess('deno', { command: denoBinary(), args: [...DENO_RUN_FLAGS, BOT, String(IDLE_MS)], env: denoEnv() }, env), async (bot) => {
      expect(bot.output()).toContain('CAN_PING=false');
      const first = gw.live()[0]!;
      await gw.waitFor(() => gw.connections.length === 2 && first.closedAt !== null, 5000, 'the quiet connection to be replaced');
      expect(first.pings).toBe(0);
      expect(gw.connections[1]!.openedAt).toBeLessThanOrEqual(first.closedAt!);
      await gw.waitFor(() => /connection #1: idle; replacing it/.test(bot.output()), 2000, 'the reason in the log');
    });
  });
});
