// `dev`'s command line, read by node:util's parseArgs: `--port=9000` and `--port 9000` alike,
// usage on --help (exit 0), usage and exit 2 on a bad option, and what follows `--` left to the bot.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Dev } from './helpers/dev.js';

const run = promisify(execFile);

/** Runs `dist/cli.mjs` to its end: exit code and everything it printed. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['dist/cli.mjs', ...args]);
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('dingtalk-stream-universal dev options', () => {
  it('prints the usage on --help and -h, and exits 0', async () => {
    for (const args of [['dev', '--help'], ['dev', '-h'], ['--help'], ['dev', '--port', '0', '--help']]) {
      const { code, out } = await cli(args);
      expect(code, args.join(' ')).toBe(0);
      expect(out).toContain('Usage: dingtalk-stream-universal dev');
      expect(out).toContain('--no-limits');
      expect(out).not.toContain('DingTalk simulator: open');
    }
  });

  it('refuses a bad option with the usage and exit code 2', async () => {
    for (const [args, why] of [
      [['dev', '--prot', '9000'], "Unknown option '--prot'"],
      [['dev', '--nope'], "Unknown option '--nope'"],
      [['dev', '--port=abc'], '--port must be 0–65535'],
      [['dev', '--port', '70000'], '--port must be 0–65535'],
      [['dev', '--port'], "Option '--port <value>' argument missing"],
      [['dev', 'node', 'bot.mjs'], 'Unexpected argument'], // the bot's command goes after --
      [['dev', '--card-template', 'nofile'], '--card-template wants <id>=<file.json>'],
      [['serve'], 'unknown command serve'],
    ] as const) {
      const { code, out } = await cli([...args]);
      expect(code, args.join(' ')).toBe(2);
      expect(out).toContain(why);
      expect(out).toContain('Usage: dingtalk-stream-universal dev');
    }
  });

  it('takes --port=<n> and hands everything after -- to the bot, flags included', async () => {
    const dev = new Dev('dist/cli.mjs', ['--port=0', '--no-limits', '--bot-name=Echo', '--', process.execPath, '-e', 'console.log("bot args:", process.argv.slice(1).join(" "), process.env.DINGTALK_CLIENT_ID)', '--', '--no-demo', '--port=1']);
    try {
      await dev.printed('bot args: --no-demo --port=1 ding-local-client-id');
      expect(dev.out).toMatch(/open http:\/\/127\.0\.0\.1:\d+\//);
      expect(dev.out).toContain('production limits are off');
      expect(dev.out).not.toContain('Demo bot');
    } finally {
      await dev.stop();
    }
  });
});
