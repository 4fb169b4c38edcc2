/**
 * Runs the test Worker (test/cloudflare/worker.ts: the conformance bot inside the Durable
 * Object adapter) in workerd through Miniflare, from the Node test process. The Worker is
 * bundled once per test file with esbuild and the `workerd,worker` conditions, as wrangler
 * bundles it. Every Miniflare started here is disposed by `stop()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import type { Readable } from 'node:stream';
import type { BotStatus } from '../../adapters/cloudflare.js';
import type { BotEnv, RunningBot } from '../conformance/launch.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The control token the tests use; a wrong one is anything else. */
export const CONTROL_TOKEN = 'test-control-token-5b0c1e';
export const AUTH = { authorization: `Bearer ${CONTROL_TOKEN}` };

let bundled: Promise<{ dir: string; script: string }> | undefined;

/** Bundles the test Worker once (per test file); the temp folder goes when the process exits. */
export function bundleWorker(): Promise<{ dir: string; script: string }> {
  bundled ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dingtalk-workerd-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'worker.mjs');
    await build({
      entryPoints: [resolve(HERE, 'worker.ts')],
      outfile: script,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['workerd', 'worker'],
      target: 'es2022',
      logLevel: 'silent',
    });
    return { dir, script };
  })();
  return bundled;
}

/**
 * A Worker with its bot object in workerd.
 *
 * @example
 * ```ts
 * const bot = await startWorkerd(env);
 * await bot.control('POST', '/start');
 * ```
 */
export interface WorkerdBot extends RunningBot {
  mf: Miniflare;
  /** Calls a control route with the right token (or the `headers` given). */
  control(method: string, path: string, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** GET /status. */
  status(): Promise<BotStatus>;
  /** Polls /status until `predicate` holds. */
  waitStatus(predicate: (s: BotStatus) => boolean, what: string, timeoutMs?: number): Promise<BotStatus>;
  /** Disposes Miniflare without stopping the bot: the process (and every object) is gone. */
  crash(): Promise<void>;
}

export interface WorkerdOptions {
  /** Watchdog alarm period (ms). */
  watchdogMs?: number;
  /** Folder for Durable Object storage that outlives this Miniflare (a restart). */
  persistDir?: string;
  /** The Durable Object class bound as BOT (default `ConformanceBot`; `ProbeBot` adds a throwing topic). */
  className?: 'ConformanceBot' | 'ProbeBot';
  /** Override or drop bindings (e.g. `{ DINGTALK_CONTROL_TOKEN: undefined }`). */
  bindings?: Record<string, string | undefined>;
}

/** Starts Miniflare with the bot bound to the gateway of `env`; nothing is started yet. */
export async function startWorkerd(env: BotEnv, options: WorkerdOptions = {}): Promise<WorkerdBot> {
  const { dir, script } = await bundleWorker();
  let out = '';
  const bindings: Record<string, string> = {};
  const all: Record<string, string | undefined> = {
    DINGTALK_CLIENT_ID: env.clientId,
    DINGTALK_CLIENT_SECRET: env.clientSecret,
    DINGTALK_OPENAPI_HOST: env.openApiHost,
    DINGTALK_CONTROL_TOKEN: CONTROL_TOKEN,
    DINGTALK_WATCHDOG_MS: String(options.watchdogMs ?? 30_000),
    ...options.bindings,
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) bindings[k] = v;
  const mf = new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: dir, // the bundle lives outside the cwd; workerd refuses `..` module paths
    compatibilityDate: '2026-04-20',
    durableObjects: { BOT: { className: options.className ?? 'ConformanceBot', useSQLite: true } },
    bindings,
    ...(options.persistDir ? { durableObjectsPersist: options.persistDir } : {}),
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    },
  });
  try {
    await mf.ready;
  } catch (err) {
    await mf.dispose().catch(() => {});
    throw new Error(`workerd did not start: ${(err as Error).message}\n${out}`);
  }
  let disposed: Promise<void> | undefined;
  const dispose = () => (disposed ??= mf.dispose());

  const control = async (method: string, path: string, headers: Record<string, string> = AUTH) => {
    const res = await mf.dispatchFetch(`http://bot.test${path}`, { method, headers });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* keep the text */
    }
    return { status: res.status, body: body as any };
  };
  const status = async () => {
    const res = await control('GET', '/status');
    if (res.status !== 200) throw new Error(`status answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as BotStatus;
  };
  const waitStatus = async (predicate: (s: BotStatus) => boolean, what: string, timeoutMs = 10_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = await status();
      if (predicate(s)) return s;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(s)}\n${out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      try {
        if (!disposed) {
          const res = await control('POST', '/stop');
          if (res.status === 200 && res.body.state === 'stopped') out += 'STOPPED\n';
          else out += `stop answered ${res.status} ${JSON.stringify(res.body)}\n`;
        }
      } finally {
        await dispose();
      }
    })());
  return { mf, control, status, waitStatus, stop, output: () => out, crash: dispose };
}

/**
 * The conformance launcher: start Miniflare, POST /start with the token, wait for `open`.
 * `openMs` is the time from that first request to the object's first open connection.
 *
 * @example
 * ```ts
 * conformanceSuite('workerd', launchWorkerd, { platform: 'workerd' });
 * ```
 */
export async function launchWorkerd(env: BotEnv, options: WorkerdOptions = {}): Promise<WorkerdBot> {
  const started = performance.now();
  const bot = await startWorkerd(env, options);
  try {
    const first = performance.now();
    const res = await bot.control('POST', '/start');
    if (res.status !== 200) throw new Error(`start answered ${res.status}: ${JSON.stringify(res.body)}`);
    await bot.waitStatus((s) => s.state === 'open', 'the first open connection');
    const now = performance.now();
    return Object.assign(bot, { openMs: Math.round(now - first), readyMs: Math.round(now - started) });
  } catch (err) {
    await bot.crash();
    throw err;
  }
}
