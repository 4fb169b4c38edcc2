// The first ten minutes (issue 14): the README's Node quick start, copied verbatim into an
// empty project that installed the packed package, answers under `dev`; the same bot runs
// on Node 22 installed with `--omit=optional` (no `ws`: Node 22 has a global WebSocket),
// and so does `dev` itself (issue 22); on Node 20 without `ws` the bot says what to install
// instead of failing to import. The README's Deno and Bun snippets, saved as bot.ts in a
// folder of their own, answer under the `dev -- …` command the README gives.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, bunBinary, denoBinary, denoEnv } from './conformance/launch.js';
import { Dev } from './helpers/dev.js';
import { required } from './helpers/required.js';
import { installedProject, packInto } from './helpers/packed.js';

const run = promisify(execFile);

/** The README's Node quick-start snippet, exactly as a reader copies it. */
function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const snippet = /```js\n(\/\/ bot\.mjs\n[\s\S]*?)```/.exec(readme)?.[1];
  if (!snippet) throw new Error('README.md has no ```js block starting with // bot.mjs');
  return snippet;
}

/** An empty project with the packed package installed by `npm install <flags> <tarball>`, and bot.mjs. */
async function project(root: string, name: string, tarball: string, flags: string[]): Promise<string> {
  const { dir } = await installedProject(root, name, [tarball], flags);
  writeFileSync(join(dir, 'bot.mjs'), readmeSnippet());
  return dir;
}

/** `dev` as installed in `project`, running `command` in `cwd` as the bot. */
const devFrom = (project: string, cwd: string, command: string[], options: { node?: string; env?: Record<string, string> } = {}) =>
  new Dev(join(project, 'node_modules/dingtalk-stream-universal/dist/cli.mjs'), ['--port', '0', '--', ...command], cwd, options);

/** Waits for `dev` to print `ready`, says `text` in the 1:1 chat, and resolves with the answer; `dev` is stopped whatever happens. */
async function answer(dev: Dev, ready: string, text: string, timeout?: number): Promise<string> {
  try {
    await dev.printed(ready, timeout);
    return await dev.chat(text);
  } finally {
    await dev.stop();
  }
}

/**
 * The README's `// bot.ts (<runtime>)` snippet, and the command its section gives after
 * `npx dingtalk-stream-universal dev -- `, with the runtime's name replaced by `binary`.
 */
function readmeBot(runtime: 'Deno' | 'Bun', binary: string): { snippet: string; command: string[] } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const fence = '```';
  const section = new RegExp(`${fence}ts\\n(// bot\\.ts \\(${runtime}\\)\\n[\\s\\S]*?)${fence}\\n([\\s\\S]*?)\\n### `).exec(readme);
  if (!section) throw new Error(`README.md has no \`\`\`ts block starting with // bot.ts (${runtime})`);
  const line = /^npx dingtalk-stream-universal dev -- (.+?)(\s+#.*)?$/m.exec(section[2]!)?.[1];
  if (!line) throw new Error(`README.md's ${runtime} section has no \`npx dingtalk-stream-universal dev -- …\` line`);
  const [name, ...args] = line.split(/\s+/);
  expect(name).toBe(runtime.toLowerCase());
  return { snippet: section[1]!, command: [binary, ...args] };
}

describe('the README quick start, as a newcomer runs it', () => {
  let root: string;
  let tarball: string;
  let full: string;
  let noOptional: string;
  let node22: Promise<string> | undefined;
  /** Node 22 from the npm registry (the `node` package ships the binary). */
  const node22Binary = () =>
    (node22 ??= run('npx', ['-y', 'node@22', '-p', 'process.execPath'], { cwd: root, timeout: 120_000 }).then(async ({ stdout }) => {
      const binary = stdout.trim();
      expect((await run(binary, ['--version'])).stdout).toMatch(/^v22\./);
      return binary;
    }));
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'dtsu-quick-start-'));
    tarball = await packInto(root);
    [full, noOptional] = await Promise.all([project(root, 'newcomer', tarball, []), project(root, 'no-optional', tarball, ['--omit=optional'])]);
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('the Node snippet, verbatim, answers under `dev -- node bot.mjs` (Node 20, with ws)', async () => {
    // what a plain install brings: valibot, and ws (optional); undici only for a proxy (an optional peer)
    expect(existsSync(join(full, 'node_modules/ws'))).toBe(true);
    expect(existsSync(join(full, 'node_modules/undici'))).toBe(false);
    const dev = devFrom(full, full, [process.execPath, 'bot.mjs']);
    expect(await answer(dev, 'bot connected', 'hello')).toBe('You said: hello');
    expect(dev.out).not.toContain('No bot is connected');
  }, 60_000);

  /** Node 22, or the one skip rule: a NOTICE and a skip outside CI, a failure in CI. */
  const node22OrSkip = async (skip: () => void) => {
    const bin = await node22Binary().catch(() => '');
    if (!required('Node 22 (npx -y node@22, from the npm registry)', !!bin, 'a path to the npm registry, or its npx cache')) skip();
    return bin;
  };

  it('the same bot runs on Node 22 installed with --omit=optional (no ws)', async ({ skip }) => {
    expect(existsSync(join(noOptional, 'node_modules/ws'))).toBe(false);
    expect(await answer(devFrom(full, noOptional, [await node22OrSkip(skip), 'bot.mjs']), 'bot connected', 'hi from Node 22')).toBe('You said: hi from Node 22');
  }, 180_000);

  it('`dev` itself runs on Node 22 installed with --omit=optional (no ws): its fake gateway serves WebSockets without ws, the demo bot answers', async ({ skip }) => {
    // no `--`: the calculator demo bot connects (on Node 22's global WebSocket)
    const demo = new Dev(join(noOptional, 'node_modules/dingtalk-stream-universal/dist/cli.mjs'), ['--port', '0'], noOptional, { node: await node22OrSkip(skip) });
    expect(await answer(demo, 'Demo bot', '1+1')).toBe('Q: 1+1\nA: 2');
    expect(demo.out).not.toContain('ERR_MODULE_NOT_FOUND');
  }, 180_000);

  it('the Deno snippet, saved as bot.ts in a folder of its own, answers under the README\'s `dev -- deno run …`', async () => {
    const { snippet, command } = readmeBot('Deno', denoBinary());
    // `npm:dingtalk-stream-universal` as the registry will serve it: the packed tarball,
    // installed in the folder (with a package.json there, Deno resolves npm: from node_modules)
    const { dir } = await installedProject(root, 'deno-user', [tarball]);
    writeFileSync(join(dir, 'bot.ts'), snippet);
    expect(await answer(devFrom(full, dir, command, { env: denoEnv() }), 'bot connected', 'hi from Deno', 60_000)).toBe('You said: hi from Deno');
  }, 120_000);

  it('the Bun snippet, saved as bot.ts where `bun add` installed the package, answers under the README\'s `dev -- bun bot.ts`', async () => {
    const bun = bunBinary();
    const { snippet, command } = readmeBot('Bun', bun);
    const dir = join(root, 'bun-user');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bun-user', private: true }));
    // the README's `bun add dingtalk-stream-universal`, from the packed tarball
    await run(bun, ['add', tarball], { cwd: dir, timeout: 120_000 });
    writeFileSync(join(dir, 'bot.ts'), snippet);
    expect(await answer(devFrom(full, dir, command), 'bot connected', 'hi from Bun', 60_000)).toBe('You said: hi from Bun');
  }, 180_000);

  it('on Node 20 without ws the bot stops at once with a CONFIG error that says to install ws', async () => {
    const env = { ...process.env, DINGTALK_CLIENT_ID: 'ding-local-client-id', DINGTALK_CLIENT_SECRET: 'local-client-secret', DINGTALK_OPENAPI_HOST: 'http://127.0.0.1:9' };
    const failed = await run(process.execPath, ['bot.mjs'], { cwd: noOptional, env, timeout: 20_000 }).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain('has no global WebSocket, so it needs the ws package: npm install ws');
    expect((failed as { stderr: string }).stderr).toContain("code: 'CONFIG'");
  });

  it('behind a proxy (HTTPS_PROXY) without the optional peer undici, the bot says to install it', async () => {
    const env = { ...process.env, HTTPS_PROXY: 'http://127.0.0.1:9', DINGTALK_CLIENT_ID: 'ding-local-client-id', DINGTALK_CLIENT_SECRET: 'local-client-secret' };
    const failed = await run(process.execPath, ['bot.mjs'], { cwd: full, env, timeout: 20_000 }).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { stderr: string }).stderr).toContain('A proxy needs the undici package: npm install undici');
  });

  /** Compiles `file` (from test/types) in the newcomer's project with these compiler options; resolves with tsc's output. */
  async function typecheck(file: string, as: string, options: object): Promise<string> {
    copyFileSync(join(ROOT, 'test/types', file), join(full, as));
    const config = `tsconfig.${as}.json`;
    const compilerOptions = { target: 'ES2022', lib: ['ES2022', 'DOM'], types: [], strict: true, skipLibCheck: false, noEmit: true, ...options };
    writeFileSync(join(full, config), JSON.stringify({ compilerOptions, files: [as] }));
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', config], { cwd: full }).catch((e: { stdout: string }) => e);
    return result.stdout;
  }

  const strictest = { exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true };

  it('TypeScript (moduleResolution bundler): typed topic data, events and options; the Node proxy option; each mistake a compile error', async () => {
    expect(await typecheck('consumer.ts', 'consumer.ts', { module: 'ESNext', moduleResolution: 'Bundler', ...strictest })).toBe('');
  });

  it('TypeScript (moduleResolution nodenext): the same', async () => {
    expect(await typecheck('consumer.ts', 'consumer.mts', { module: 'NodeNext', moduleResolution: 'NodeNext', ...strictest })).toBe('');
  });

  /** Type packages from this repository's node_modules (the versions in package.json), linked into the newcomer's project. */
  function link(...deps: string[]): void {
    for (const dep of deps) {
      mkdirSync(join(full, 'node_modules', dep, '..'), { recursive: true });
      if (!existsSync(join(full, 'node_modules', dep))) symlinkSync(join(ROOT, 'node_modules', dep), join(full, 'node_modules', dep), 'dir');
    }
  }

  it('TypeScript: the /testing types need @types/node only, not @types/ws', async () => {
    expect(existsSync(join(full, 'node_modules/@types/ws'))).toBe(false);
    link('@types/node', 'undici-types');
    expect(await typecheck('testing.ts', 'testing.ts', { module: 'ESNext', moduleResolution: 'Bundler', types: ['node'] })).toBe('');
  });

  // Types a user can compile anywhere (issue 21): no DOM lib, skipLibCheck off, only the
  // runtime's own type package. Each fixture uses the client as a user would.
  it('TypeScript in a Node project: lib ES2022 without DOM, types ["node"], skipLibCheck off', async () => {
    link('@types/node', 'undici-types');
    expect(await typecheck('node.mts', 'node.mts', { module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'] })).toBe('');
  });

  it('TypeScript in a Cloudflare Worker project: lib ES2022 without DOM, types ["@cloudflare/workers-types"], the workerd condition, skipLibCheck off', async () => {
    link('@cloudflare/workers-types');
    const worker = { module: 'ESNext', moduleResolution: 'Bundler', customConditions: ['workerd', 'worker'], lib: ['ES2022'], types: ['@cloudflare/workers-types'] };
    expect(await typecheck('worker.ts', 'worker.ts', worker)).toBe('');
  });
});
