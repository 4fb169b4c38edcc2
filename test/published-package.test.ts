// The package as npm delivers it (issue 14): the packed tarball passes publint and "Are the
// types wrong?" (every entry, under node10, node16 from CJS and ESM, and bundler), installs
// without npm's install-scripts warning, keeps `node:` in its imports, bundles for Node
// without undici or ws, and its ESM and CommonJS copies agree on `instanceof` for errors.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devDependencies } from '../package.json';
import { ROOT } from './conformance/launch.js';
import { installedProject, packInto } from './helpers/packed.js';

const run = promisify(execFile);

describe('the published package', () => {
  let root: string;
  let tarball: string;
  let project: { dir: string; npmWarnings: string };
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'dtsu-published-'));
    tarball = await packInto(root);
    // with undici beside it, so the bundle test below shows that a bundler leaves it out
    // even where it could resolve it
    project = await installedProject(root, 'user', [tarball, `undici@${devDependencies.undici}`]);
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('publint: no errors and no warnings', async () => {
    const publint = join(ROOT, 'node_modules/publint/src/cli.js');
    const result = await run(process.execPath, [publint, 'run', tarball, '--pack', 'false', '--strict'], { cwd: root }).catch((e: { stdout: string; stderr: string }) => e);
    const out = `${result.stdout}${result.stderr}`;
    expect(out).not.toMatch(/^(Errors|Warnings):/m);
    expect('code' in result ? result.code : 0, out).toBe(0);
  }, 60_000);

  it('attw: every entry point has the right types under node10, node16 (CJS and ESM) and bundler', async () => {
    const attw = join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    const result = await run(process.execPath, [attw, tarball, '--format', 'json'], { cwd: root, maxBuffer: 64 * 1024 * 1024 }).catch((e: { stdout: string }) => e);
    const { analysis } = JSON.parse(result.stdout) as { analysis: { problems: unknown[]; entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string; isTypeScript: boolean } }> }> } };
    expect(analysis.problems).toEqual([]);
    expect(Object.keys(analysis.entrypoints).sort()).toEqual(['.', './chatbot', './cloudflare', './package.json', './redis', './testing']);
    for (const [entry, { resolutions }] of Object.entries(analysis.entrypoints)) {
      if (entry === './package.json') continue;
      for (const kind of ['node10', 'node16-cjs', 'node16-esm', 'bundler']) {
        expect(resolutions[kind]?.resolution?.isTypeScript, `${entry} under ${kind}`).toBe(true);
      }
    }
  }, 60_000);

  it('installs without npm\'s install-scripts warning: no install-time script ships; the LICENSE does', () => {
    expect(project.npmWarnings).not.toContain('install-scripts');
    const installed = join(project.dir, 'node_modules/dingtalk-stream-universal');
    const { scripts = {}, license } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { scripts?: Record<string, string>; license: string };
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(scripts, hook).not.toHaveProperty(hook);
    expect(license).toBe('MIT');
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toContain('MIT License');
  });

  it('keeps the node: prefix on every Node built-in it imports', () => {
    const bare = new Set(builtinModules.filter((name) => !name.startsWith('_')));
    const dist = join(project.dir, 'node_modules/dingtalk-stream-universal/dist');
    const offenders: string[] = [];
    for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
      if (!/\.m?js$/.test(file)) continue;
      const code = readFileSync(join(dist, file), 'utf8');
      for (const [, name] of code.matchAll(/(?:\bfrom\s*|\brequire\(|\bimport\()\s*["']([^"']+)["']/g)) {
        if (bare.has(name!) || bare.has(name!.split('/')[0]!)) offenders.push(`${file}: ${name}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('a Node bundle (esbuild --platform=node) leaves undici and ws to run time, and still works, with a proxy too', async () => {
    const app = `
      const { DingTalkStreamClient } = IMPORT;
      const plain = new DingTalkStreamClient({ clientId: 'a', clientSecret: 'b' });
      const proxied = new DingTalkStreamClient({ clientId: 'a', clientSecret: 'b', proxy: 'http://127.0.0.1:9' });
      console.log(plain.platform.name, proxied.platform.name);`;
    for (const [format, statement] of [['esm', "await import('dingtalk-stream-universal')"], ['cjs', "require('dingtalk-stream-universal')"]] as const) {
      const outfile = join(project.dir, `bundle.${format === 'esm' ? 'mjs' : 'cjs'}`);
      const source = format === 'esm' ? app.replace('IMPORT', statement) : `(async () => {${app.replace('IMPORT', statement)}})();`;
      const result = await esbuild.build({
        stdin: { contents: source, resolveDir: project.dir, sourcefile: 'app.js' },
        bundle: true,
        platform: 'node',
        format,
        outfile,
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((path) => /node_modules\/(undici|ws)\//.test(path)), format).toEqual([]);
      expect(inputs.some((path) => path.includes('dingtalk-stream-universal/dist/adapters/node')), format).toBe(true);
      // both are required at run time from the app's node_modules: ws (Node 20), undici (proxy)
      expect((await run(process.execPath, [outfile], { cwd: project.dir })).stdout.trim(), format).toBe('node node');
    }
  }, 60_000);

  it('instanceof holds across the ESM and CommonJS copies of the error classes (dual package)', async () => {
    writeFileSync(join(project.dir, 'both.mjs'), `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const cjs = require('dingtalk-stream-universal');
      const esm = await import('dingtalk-stream-universal');
      const cjsChatbot = require('dingtalk-stream-universal/chatbot');
      const esmChatbot = await import('dingtalk-stream-universal/chatbot');
      const fromCjs = new cjs.GatewayAuthError(401, '');
      console.log(JSON.stringify({
        twoCopies: cjs.GatewayAuthError !== esm.GatewayAuthError,
        sameClass: fromCjs instanceof esm.GatewayAuthError,
        base: fromCjs instanceof esm.DingTalkStreamError,
        back: new esm.ConfigError('x') instanceof cjs.ConfigError,
        otherClass: fromCjs instanceof esm.ConfigError,
        plainError: new Error('x') instanceof esm.DingTalkStreamError,
        chatbot: Object.create(cjsChatbot.WebhookError.prototype) instanceof esmChatbot.WebhookError,
      }));`);
    const { stdout } = await run(process.execPath, ['both.mjs'], { cwd: project.dir });
    expect(JSON.parse(stdout)).toEqual({ twoCopies: true, sameClass: true, base: true, back: true, otherClass: false, plainError: false, chatbot: true });
  });
});
