import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleSuite } from './examples.js';
import { conformanceSuite } from './suite.js';
import { DENO_RUN_FLAGS, HERE, ROOT, denoBinary, denoEnv, launchProcess } from './launch.js';

// Deno, importing the package by its bare name: Deno reads the repo's package.json and
// node_modules and picks the `deno` condition.
conformanceSuite('deno', (env) => launchProcess('deno', { command: denoBinary(), args: [...DENO_RUN_FLAGS, join(HERE, 'run-deno-bare.mjs')], env: denoEnv() }, env), {
  platform: 'deno',
  timingsAs: 'deno',
});

/**
 * Installs the local build into deno-npm/node_modules the way `npm install --install-links`
 * would (the package.json and the `files` that matter: dist/), offline, so that
 * `npm:dingtalk-stream-universal` resolves to what we just built.
 */
function installLocalBuild(): void {
  const target = join(HERE, 'deno-npm/node_modules/dingtalk-stream-universal');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(target, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(target, 'dist'), { recursive: true });
  // the /testing types reference Node's (node:http): Deno installs @types/node by itself
  // where it may download; offline, link the repo's copy
  mkdirSync(join(HERE, 'deno-npm/node_modules/@types'), { recursive: true });
  for (const dep of ['@types/node', 'undici-types']) {
    const link = join(HERE, 'deno-npm/node_modules', dep);
    rmSync(link, { recursive: true, force: true });
    symlinkSync(join(ROOT, 'node_modules', dep), link, 'dir');
  }
}

// Deno, importing through an `npm:` specifier, as a Deno user writes it.
conformanceSuite(
  'deno (npm: specifier)',
  (env) => {
    installLocalBuild();
    return launchProcess('deno npm:', { command: denoBinary(), args: [...DENO_RUN_FLAGS, 'run.mjs'], cwd: join(HERE, 'deno-npm'), env: denoEnv() }, env);
  },
  { platform: 'deno', timingsAs: 'deno-npm' },
);

// The quick start of the README, with the least permissions it documents.
exampleSuite('deno', (env) =>
  launchProcess(
    'deno example',
    {
      command: denoBinary(),
      args: ['run', '--cached-only', '--no-prompt', '--allow-net', '--allow-env=DINGTALK_CLIENT_ID,DINGTALK_CLIENT_SECRET,DINGTALK_OPENAPI_HOST', 'examples/deno/bot.ts'],
      env: denoEnv(),
      readyPattern: /^Connected/m,
    },
    env,
  ),
);

/**
 * Runs `deno <args…> <copy>` on a copy of `example` inside deno-npm/, where
 * npm:dingtalk-stream-universal is a real node_modules package: that is what users get.
 * (Inside the repo Deno resolves the name to the package itself as plain files and does
 * not map `.mjs` imports in .d.mts to types.)
 */
function denoAsUser(example: string, copyName: string, args: string[]) {
  installLocalBuild();
  const copy = join(HERE, 'deno-npm', copyName);
  cpSync(join(ROOT, example), copy);
  try {
    return spawnSync(denoBinary(), [...args, copyName], { cwd: join(HERE, 'deno-npm'), env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...denoEnv() }, encoding: 'utf8', timeout: 60_000 });
  } finally {
    rmSync(copy, { force: true });
  }
}

describe('examples/deno/bot.ts types', () => {
  it('type-checks with `deno check` against the package installed as a Deno user gets it', () => {
    const out = denoAsUser('examples/deno/bot.ts', 'example-check.ts', ['check', '--cached-only']);
    expect(out.status, `${out.stdout}${out.stderr}`).toBe(0);
  });
});

describe('the testing kit under deno test', () => {
  it('examples/testing/deno/echo_bot.test.ts passes, type-checked, with only 127.0.0.1 network access', () => {
    const out = denoAsUser('examples/testing/deno/echo_bot.test.ts', 'kit_check.test.ts', ['test', '--cached-only', '--no-prompt', '--allow-net=127.0.0.1', '--allow-env', '--allow-read']);
    expect(out.status, `${out.stdout}${out.stderr}`).toBe(0);
    expect(out.stdout).toContain('1 passed');
  });
});
