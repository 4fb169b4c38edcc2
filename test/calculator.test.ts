import { spawn } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
// @ts-expect-error plain JS example without types
import { answer, evaluate, NotArithmeticError } from '../examples/calculator/arithmetic.mjs';
// @ts-expect-error plain JS example without types
import { createCalculatorBot } from '../examples/calculator/bot.mjs';
import { simChat } from './helpers/dev.js';
import { gateway } from './helpers/setup.js';

describe('calculator arithmetic', () => {
  it('answers "1+1" in the seed format', () => {
    expect(answer('1+1')).toBe('Q: 1+1\nA: 2');
  });

  it('honours precedence, parentheses, powers and unary minus', () => {
    expect(evaluate('2 + 3 * 4')).toBe(14);
    expect(evaluate('(2 + 3) * 4')).toBe(20);
    expect(evaluate('2 ^ 3 ^ 2')).toBe(512);
    expect(evaluate('-3 + 4 * -2')).toBe(-11);
    expect(evaluate('7 % 3 + 1.5')).toBe(2.5);
  });

  it('rejects input that is not arithmetic instead of running it', () => {
    for (const bad of ['hello', 'process.exit()', 'constructor', '1 + ', '((1)', '1/0', '', 'a'.repeat(300), '2 ^ 99999']) {
      expect(() => evaluate(bad), bad).toThrow(NotArithmeticError);
    }
    expect(answer('require("fs")')).toMatch(/^Q: require\("fs"\)\nA: Error: /);
  });
});

describe('calculator bot', () => {
  it('replies "Q: 1+1\\nA: 2" through the session webhook, @-mentioning the sender', async () => {
    const gw = await gateway();
    const bot = createCalculatorBot({ clientId: gw.clientId, clientSecret: gw.clientSecret, openApiHost: gw.openApiHost, logger: null });
    try {
      await bot.start();
      const id = gw.pushChatbotMessage('1+1', { senderStaffId: 'staff-42' });
      await gw.waitForAck(id); // on receipt, before the reply
      await gw.waitFor(() => gw.webhookCalls.length === 1, 5_000, 'the reply');
      expect(gw.webhookCalls[0]!.body).toEqual({ msgtype: 'text', text: { content: 'Q: 1+1\nA: 2' }, at: { atUserIds: ['staff-42'], isAtAll: false } });
    } finally {
      await bot.stop();
    }
  });

  it('npm start without credentials runs the bot against the local simulator and stops cleanly on Ctrl+C', async () => {
    const child = spawn(process.execPath, ['examples/calculator/start.mjs', '1+1'], { env: { ...process.env, DINGTALK_CLIENT_ID: '', DINGTALK_CLIENT_SECRET: '', PORT: '0' } });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await vi.waitFor(() => expect(stdout).toContain('Chat with the bot in your browser'), { timeout: 20_000, interval: 50 });
      expect(stdout).toContain('you › 1+1');
      expect(stdout).toContain('bot › Q: 1+1\n        A: 2');
      const url = /browser: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)![1]!;
      expect((await fetch(url)).status).toBe(200); // the chat page is served
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('npm start prints how to connect your own bot; a bot run with exactly that command gets every message', async () => {
    const start = spawn(process.execPath, ['examples/calculator/start.mjs', '1+1'], { env: { ...process.env, DINGTALK_CLIENT_ID: '', DINGTALK_CLIENT_SECRET: '', PORT: '0' } });
    let stdout = '';
    start.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => start.once('exit', resolve));
    let bot: ReturnType<typeof spawn> | undefined;
    try {
      await vi.waitFor(() => expect(stdout).toContain(' node bot.mjs\n'), { timeout: 20_000, interval: 50 });
      const url = /browser: (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)![1]!;
      // the same local credentials as `dev`, printed with the host
      expect(stdout).toContain('  DINGTALK_CLIENT_ID=ding-local-client-id\n  DINGTALK_CLIENT_SECRET=local-client-secret\n');
      expect(stdout).toContain(`  DINGTALK_OPENAPI_HOST=${url}\n`);
      const line = /^ {2}(DINGTALK_CLIENT_ID=\S+ DINGTALK_CLIENT_SECRET=\S+ DINGTALK_OPENAPI_HOST=\S+) node bot\.mjs$/m.exec(stdout)![1]!;
      const env = Object.fromEntries(line.split(' ').map((kv) => kv.split('=', 2) as [string, string]));
      bot = spawn(process.execPath, ['examples/markdown-bot/main.mjs'], { env: { ...process.env, DINGTALK_OPENAPI_ENDPOINT: '', ...env }, stdio: 'ignore' });
      await vi.waitFor(() => expect(stdout).toContain('Another bot connected: the calculator bot left'), { timeout: 20_000, interval: 50 });
      // every message reaches your bot, none the calculator
      for (const text of ['2+2', '3+3']) expect(await simChat(url, text)).toContain('You said');
    } finally {
      const botExited = bot && bot.exitCode === null ? new Promise((resolve) => bot!.once('exit', resolve)) : undefined;
      bot?.kill('SIGINT');
      await botExited;
      start.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
