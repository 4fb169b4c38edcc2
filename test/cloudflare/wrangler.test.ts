/**
 * The repository's wrangler.toml with the real wrangler CLI: `deploy --dry-run` builds the
 * example Durable Object bot, and `wrangler dev` runs it against the local fake gateway.
 * Both use the built package (dist/), as a user's project would: `npm test` builds first.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../helpers/ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDingTalkGateway } from '../../src/testing/index.js';
import { ROOT } from '../conformance/launch.js';

const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');
// quiet: no metrics, no colours, no interactive session
const QUIET = { WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' };
// offline too: no Request.cf lookup
const ENV = { ...process.env, ...QUIET, CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

/** The README's local command, `VAR=value … npx wrangler dev <args>`: its variables and arguments. */
function readmeWranglerDev(): { env: Record<string, string>; args: string[] } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const command = /`((?:[A-Z_]+=\S+ )*)npx wrangler dev ([^`]+)`/.exec(readme);
  if (!command) throw new Error('README.md shows no `… npx wrangler dev …` command');
  const env = Object.fromEntries(command[1]!.trim().split(/\s+/).filter(Boolean).map((pair) => pair.split('=') as [string, string]));
  return { env, args: command[2]!.trim().split(/\s+/) };
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs wrangler; resolves with its exit code and output once it printed `until` (then it keeps running) or exited. */
function wrangler(args: string[], until?: RegExp, env: NodeJS.ProcessEnv = ENV) {
  // its own process group, so that stopping it also stops the workerd it starts
  const child = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid!, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.push(stop);
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  const settled = new Promise<{ code: number | null; ready: boolean }>((resolve) => {
    if (until) child.stdout.on('data', () => until.test(out) && resolve({ code: null, ready: true }));
    void exited.then((code) => resolve({ code, ready: false }));
  });
  return { settled, output: () => out, stop };
}

describe('wrangler', () => {
  it('builds the example Durable Object bot with deploy --dry-run', async () => {
    expect(existsSync(join(ROOT, 'dist/adapters/cloudflare.mjs')), 'run `npm run build` first').toBe(true);
    const outdir = tempDir('dingtalk-wrangler-out-');
    const run = wrangler(['deploy', '--dry-run', '--outdir', outdir]);
    const { code } = await run.settled;
    expect(code, run.output()).toBe(0);
    expect(run.output()).toMatch(/env\.DINGTALK_BOT \(EchoBot\)\s+Durable Object/);
    const bundle = readFileSync(join(outdir, 'worker.js'), 'utf8');
    expect(bundle).toContain('EchoBot');
    expect(bundle).toMatch(/export\s*\{[^}]*EchoBot/);
  });

  it('type-checks the example against the built package and @cloudflare/workers-types', async () => {
    const tsc = spawn(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'examples/cloudflare/tsconfig.json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    tsc.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    tsc.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const code = await new Promise<number | null>((resolve) => tsc.once('exit', resolve));
    expect(code, out).toBe(0);
  });

  it('shows one local command everywhere: the README\'s, in docs, wrangler.toml and the example files', () => {
    const { env, args } = readmeWranglerDev();
    expect(args).toEqual(['--env-file', 'examples/cloudflare/local.env']);
    const readme = `${Object.entries(env).map(([name, value]) => `${name}=${value} `).join('')}npx wrangler dev ${args.join(' ')}`;
    for (const file of ['docs/cloudflare.md', 'wrangler.toml', 'examples/cloudflare/local-gateway.mjs', 'examples/cloudflare/local.env']) {
      const shown = readFileSync(join(ROOT, file), 'utf8').match(/(?:[A-Z_]+=\S+ )*npx wrangler dev [^\s`#]+ [^\s`#]+/g);
      expect(shown, file).toEqual([readme]);
    }
  });

  it('runs it with wrangler dev, as the README says, against the fake gateway: start, reply, stop; no ENOTFOUND', async () => {
    const gw = await new FakeDingTalkGateway().listen();
    cleanups.push(() => gw.close());
    const port = await freePort();
    // the README's variables, not the test's own CLOUDFLARE_CF_FETCH_ENABLED: they must silence wrangler offline
    const readme = readmeWranglerDev();
    const { CLOUDFLARE_CF_FETCH_ENABLED: _, ...inherited } = process.env;
    const run = wrangler(
      ['dev', ...readme.args, '--var', `DINGTALK_OPENAPI_HOST:${gw.openApiHost}`, '--ip', '127.0.0.1', '--port', String(port), '--persist-to', tempDir('dingtalk-wrangler-state-'), '--show-interactive-dev-session=false'],
      /Ready on http/,
      { ...inherited, ...QUIET, ...readme.env },
    );
    const { ready } = await run.settled;
    expect(ready, run.output()).toBe(true);
    expect(run.output()).not.toMatch(/ENOTFOUND|Unable to fetch/);
    const control = async (method: string, path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: 'Bearer local-dev-token' } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    const started = await control('POST', '/start');
    expect(started.status, run.output()).toBe(200);
    expect(started.body).toMatchObject({ running: true, state: 'open' });
    expect(gw.openCalls).toHaveLength(1);
    expect((gw.openCalls[0]!.body as { ua: string }).ua).toContain('(workerd)');

    const id = gw.pushChatbotMessage('hello');
    await gw.waitFor(() => gw.webhookCalls.length === 1, 10_000, 'the reply');
    expect(gw.webhookCalls[0]!.body).toEqual({ msgtype: 'text', text: { content: 'You said: hello' } });
    expect((await gw.waitForAck(id)).code).toBe(200);

    const stopped = await control('POST', '/stop');
    expect(stopped.body).toMatchObject({ running: false, state: 'stopped' });
    await gw.waitFor(() => gw.live().length === 0, 10_000, 'the socket to close');
    await run.stop();
  });
});
