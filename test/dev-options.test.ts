// `dev`'s command line, read by node:util's parseArgs: `--port=9000` and `--port 9000` alike,
// usage on --help (exit 0), usage and exit 2 on a bad option, and what follows `--` left to the bot.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
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

describe('dev -- <command>: a signal to dev alone stops the bot it started', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dtsu-dev-signal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** A bot that writes its pid to `pidFile` and does `onTerm` on SIGTERM. */
  const bot = (name: string, onTerm: string) => {
    const file = join(dir, `${name}.mjs`);
    writeFileSync(file, `import { writeFileSync } from 'node:fs';
writeFileSync(process.argv[2], String(process.pid));
process.on('SIGTERM', () => { console.log('bot got SIGTERM'); ${onTerm} });
setInterval(() => {}, 1000);
console.log('bot ready');
`);
    return file;
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  /** SIGTERM to dev's pid only (not its group), and its exit code. */
  const terminate = (dev: Dev) => {
    const exited = new Promise<number | null>((resolve) => dev.child.once('exit', (code) => resolve(code)));
    dev.child.kill('SIGTERM');
    return exited;
  };

  it('forwards SIGTERM to the bot and exits once the bot has: no bot left running', async () => {
    const pidFile = join(dir, 'graceful.pid');
    const dev = new Dev('dist/cli.mjs', ['--port', '0', '--', process.execPath, bot('graceful', 'setTimeout(() => process.exit(0), 300);'), pidFile]);
    await dev.printed('bot ready');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await terminate(dev)).toBe(0);
    expect(dev.out).toContain('bot got SIGTERM');
    expect(dev.out).not.toContain('your bot exited'); // stopping: not the "keeps running" notice
    expect(alive(pid)).toBe(false); // exited and reaped before dev itself exited
  });

  it('reaches what a shell started: the signal goes to the bot\'s process group', async () => {
    const pidFile = join(dir, 'shell.pid');
    const dev = new Dev('dist/cli.mjs', ['--port', '0', '--', 'sh', '-c', `"${process.execPath}" "${bot('shell', 'process.exit(0);')}" "${pidFile}"; echo after`]);
    await dev.printed('bot ready');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await terminate(dev)).toBe(0);
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 5000 });
    expect(dev.out).toContain('bot got SIGTERM');
  });

  it('kills a bot that ignores the signal after 5 s, and says so', async () => {
    const pidFile = join(dir, 'stubborn.pid');
    const dev = new Dev('dist/cli.mjs', ['--port', '0', '--', process.execPath, bot('stubborn', ''), pidFile]);
    await dev.printed('bot ready');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const started = Date.now();
    expect(await terminate(dev)).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
    expect(dev.out).toContain('your bot did not exit within 5 s of SIGTERM: killed (SIGKILL)');
    expect(alive(pid)).toBe(false);
  }, 20_000);
});
