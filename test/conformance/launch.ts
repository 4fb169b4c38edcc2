/**
 * Starts a conformance bot as a child process of the runtime under test and stops it:
 * spawn with the gateway's env, wait for `READY` (the child's output goes into the error
 * if it never comes), and on stop send SIGTERM, then SIGKILL if it lingers, and await the
 * exit. A child left behind by a crashed test run is killed when this process exits, and
 * stops by itself when its stdin closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BotEnv } from './bot.d.mts';

export type { BotEnv } from './bot.d.mts';

/**
 * A bot running in some runtime, as the suite sees it.
 *
 * @example
 * ```ts
 * const bot = await launchProcess('node', { command: process.execPath, args: [entry] }, env);
 * await bot.stop();
 * ```
 */
export interface RunningBot {
  /** Stops the bot and waits until it is gone; safe to call twice. */
  stop(): Promise<void>;
  /** Everything the bot printed so far (stdout and stderr). */
  output(): string;
  /** Milliseconds from spawn until READY, measured by the test (includes runtime start-up). */
  readyMs?: number;
  /** The OPEN_MS the bot printed: its own clock from process start to the first open. */
  openMs?: number;
}

/** The repository root (this file is test/conformance/launch.ts). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** This folder, where the entry files are. */
export const HERE = join(ROOT, 'test/conformance');

/**
 * How to start one runtime.
 *
 * @example
 * ```ts
 * const spec: LaunchSpec = { command: bunBinary(), args: [join(HERE, 'run-bun.ts')] };
 * ```
 */
export interface LaunchSpec {
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** How long the runtime may take to print READY (default 20 s: a cold Deno cache is slow). */
  readyTimeoutMs?: number;
  /** The output line that means ready (default `READY` on a line of its own). */
  readyPattern?: RegExp;
}

const children = new Set<ChildProcess>();
// a test run that dies half-way must not leave runtimes behind
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Spawns `spec` with the gateway's credentials in DINGTALK_* env vars and resolves once it
 * printed READY. Rejects (after killing the child) on timeout or early exit, with its output.
 *
 * @example
 * ```ts
 * const bot = await launchProcess('node', { command: process.execPath, args: [join(HERE, 'run-node.mjs')] }, env);
 * ```
 */
export async function launchProcess(name: string, spec: LaunchSpec, env: BotEnv): Promise<RunningBot> {
  const started = performance.now();
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd ?? ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...spec.env,
      // no colour codes in the output the tests read
      NO_COLOR: '1',
      DINGTALK_OPENAPI_HOST: env.openApiHost,
      DINGTALK_CLIENT_ID: env.clientId,
      DINGTALK_CLIENT_SECRET: env.clientSecret,
    },
  });
  children.add(child);
  let out = '';
  const exited = new Promise<number | string | null>((resolveExit) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolveExit(code ?? signal);
    });
    child.once('error', (err) => {
      children.delete(child);
      out += `\n[spawn error] ${err.message}`;
      resolveExit('spawn-error');
    });
  });
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    })());

  const readyTimeoutMs = spec.readyTimeoutMs ?? 20_000;
  const readyPattern = spec.readyPattern ?? /^READY$/m;
  const ready = await new Promise<'ready' | 'exit' | 'timeout'>((resolveReady) => {
    const timer = setTimeout(() => resolveReady('timeout'), readyTimeoutMs);
    const check = () => {
      if (readyPattern.test(out)) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolveReady('ready');
      }
    };
    child.stdout.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolveReady(readyPattern.test(out) ? 'ready' : 'exit');
    });
  });
  if (ready !== 'ready') {
    await stop();
    const why = ready === 'timeout' ? `did not print ${readyPattern} within ${readyTimeoutMs} ms` : `exited (${String(await exited)}) before READY`;
    throw new Error(`${name} bot ${why}; its output:\n${out}`);
  }
  const openMs = Number(/^OPEN_MS=(\d+)/m.exec(out)?.[1]);
  return { stop, output: () => out, readyMs: Math.round(performance.now() - started), openMs: Number.isFinite(openMs) ? openMs : undefined };
}

/** True if `path` is a real executable, not a placeholder script (Bun's pre-postinstall stub). */
function isBinary(path: string): boolean {
  if (!existsSync(path)) return false;
  const head = readFileSync(path).subarray(0, 4);
  return head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF' && statSync(path).size > 1_000_000;
}

/**
 * The Bun binary from the `bun` devDependency. Its postinstall puts the real binary at
 * bin/bun.exe; when install scripts did not run that is a stub, and the platform
 * package's binary is used instead.
 *
 * @example
 * ```ts
 * spawn(bunBinary(), ['--version']);
 * ```
 */
export function bunBinary(): string {
  const candidates = [join(ROOT, 'node_modules/bun/bin/bun.exe'), join(ROOT, `node_modules/@oven/bun-${process.platform}-${process.arch}/bin/bun`), join(ROOT, `node_modules/@oven/bun-${process.platform}-${process.arch}-baseline/bin/bun`)];
  const found = candidates.find(isBinary);
  if (!found) throw new Error(`no Bun binary in node_modules (looked at ${candidates.join(', ')}): run npm ci`);
  return found;
}

/**
 * The Deno binary from the `deno` devDependency, spawned directly (not through its Node
 * wrapper `bin.cjs`) so that our SIGTERM reaches Deno itself.
 *
 * @example
 * ```ts
 * spawn(denoBinary(), ['--version']);
 * ```
 */
export function denoBinary(): string {
  const arch = process.arch === 'x64' ? 'x64' : process.arch;
  const candidates = [join(ROOT, 'node_modules/deno/deno'), join(ROOT, `node_modules/@deno/${process.platform}-${arch}-glibc/deno`), join(ROOT, `node_modules/@deno/${process.platform}-${arch}/deno`)];
  const found = candidates.find(isBinary);
  if (!found) throw new Error(`no Deno binary in node_modules (looked at ${candidates.join(', ')}): run npm ci`);
  return found;
}

/**
 * Env for Deno in tests: a project-local cache (no writes to ~/.cache), no update check,
 * no colours; Deno never needs the network here (only npm:/bare/relative imports).
 *
 * @example
 * ```ts
 * launchProcess('deno', { command: denoBinary(), args, env: denoEnv() }, env);
 * ```
 */
export function denoEnv(): Record<string, string> {
  const dir = join(ROOT, 'node_modules/.cache/dingtalk-stream-universal/deno');
  mkdirSync(dir, { recursive: true });
  return { DENO_DIR: dir, DENO_NO_UPDATE_CHECK: '1', RUST_BACKTRACE: '0' };
}

/**
 * Deno flags for the bot: only loopback network and the three DINGTALK_* variables, so a
 * test run also proves the package asks for nothing more; `--cached-only` turns any attempt
 * to fetch a remote module into an error instead of a network call.
 *
 * @example
 * ```ts
 * [...DENO_RUN_FLAGS, join(HERE, 'run-deno-bare.mjs')]
 * ```
 */
export const DENO_RUN_FLAGS = ['run', '--cached-only', '--no-prompt', '--allow-net=127.0.0.1', '--allow-env=DINGTALK_OPENAPI_HOST,DINGTALK_CLIENT_ID,DINGTALK_CLIENT_SECRET'];
