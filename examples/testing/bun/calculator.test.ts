// The testing kit under Bun's own test runner: `bun test ./examples/testing/bun/calculator.test.ts`.
// The simulator runs inside the Bun test process; the bot uses the package's Bun build.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { DingTalkSimulator } from 'dingtalk-stream-universal/testing';
import { createCalculatorBot } from '../../calculator/bot.mjs';

let sim: DingTalkSimulator;
let bot: ReturnType<typeof createCalculatorBot>;

beforeAll(async () => {
  sim = await DingTalkSimulator.start({ botName: 'CalcBot' });
  bot = createCalculatorBot({ ...sim.clientOptions(), logger: null });
  await bot.start();
});

afterAll(async () => {
  await bot.stop();
  await sim.close();
});

test('answers 1+1 with 2', async () => {
  expect((await sim.chat('1+1')).text).toBe('Q: 1+1\nA: 2');
});

test('answers in the group when @-mentioned', async () => {
  expect((await sim.chat('@CalcBot 6 * 7', { conversation: 'group' })).text).toBe('Q: 6 * 7\nA: 42');
});
