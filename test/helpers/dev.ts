import { spawn, type ChildProcess } from 'node:child_process';
import { expect, vi } from 'vitest';

/**
 * A `dingtalk-stream-universal dev` process: its output, its simulator's URL, a chat through
 * the page's own API, and a Ctrl+C stop.
 *
 * @example
 * ```ts
 * const dev = new Dev('dist/cli.mjs', ['--port', '0', '--', 'node', 'bot.mjs']);
 * expect(await dev.chat('hello')).toBe('You said: hello');
 * await dev.stop();
 * ```
 */
export class Dev {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  out = '';
  /** `options.node`: the Node binary that runs `dev` (default this one); `options.env`: added to this process's environment. */
  constructor(cli: string, args: string[], cwd?: string, options: { node?: string; env?: Record<string, string> } = {}) {
    this.child = spawn(options.node ?? process.execPath, [cli, 'dev', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    this.child.stdout!.on('data', (c: Buffer) => (this.out += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.out += c.toString()));
  }

  /** Resolves once the output contains `text`. */
  async printed(text: string, timeout = 20_000): Promise<void> {
    await vi.waitFor(() => expect(this.out).toContain(text), { timeout, interval: 50 });
  }

  /** The simulator's address, from the banner. */
  get url(): string {
    return /open (http:\/\/127\.0\.0\.1:\d+)\//.exec(this.out)![1]!;
  }

  /** Says `text` in the 1:1 chat, as the page does, and resolves with the bot's answer. */
  chat(text: string): Promise<string> {
    return simChat(this.url, text);
  }

  /** Every message in the simulator, from the first event of the page's stream. */
  messages(): Promise<SimMessageSeen[]> {
    return simMessages(this.url);
  }

  /** Ctrl+C, and waits for the exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGINT');
    await exited;
  }
}

/** A message as the page's event stream shows it. */
export interface SimMessageSeen {
  from: string;
  at: number;
  kind?: string;
  text?: string;
}

/** Says `text` in the 1:1 chat of the simulator at `url`, as the page does, and resolves with the bot's answer. */
export async function simChat(url: string, text: string): Promise<string> {
  const sent = await fetch(`${url}/sim/api/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  expect(sent.status).toBe(200);
  const { message } = (await sent.json()) as { message: { at: number } };
  let answer: string | undefined;
  await vi.waitFor(async () => {
    answer = (await simMessages(url)).find((m) => m.from === 'bot' && m.at >= message.at)?.text;
    expect(answer).toBeDefined();
  }, { timeout: 20_000, interval: 100 });
  return answer!;
}

/** Every message in the simulator at `url`, from the first event of the page's stream. */
export async function simMessages(url: string): Promise<SimMessageSeen[]> {
  const controller = new AbortController();
  const res = await fetch(`${url}/sim/events`, { signal: controller.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  while (!buffer.includes('\n\n')) buffer += (await reader.read()).value ?? '';
  controller.abort();
  return (JSON.parse(buffer.slice('data: '.length, buffer.indexOf('\n\n'))) as { state: { messages: SimMessageSeen[] } }).state.messages;
}
