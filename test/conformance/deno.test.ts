import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleSuite } from './examples.js';
import { conformanceSuite } from './suite.js';
import { DENO_RUN_FLAGS, HERE, ROOT, denoBinary, denoEnv, launchProcess } from './launch.js';
import { recordTiming } from './timings.js';

// Deno, importing the package by its bare name: Deno reads the repo's package.json and
// node_modules and picks the `deno` condition.
conformanceSuite('deno', (env) => launchProcess('deno', { command: denoBinary(), args: [...DENO_RUN_FLAGS, join(HERE, 'run-deno-bare.mjs')], env: denoEnv() }, env), {
  platform: 'deno',
  onReady: (bot) => recordTiming('deno', bot),
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
}

// Deno, importing through an `npm:` specifier, as a Deno user writes it.
conformanceSuite(
  'deno (npm: specifier)',
  (env) => {
    installLocalBuild();
    return launchProcess('deno npm:', { command: denoBinary(), args: [...DENO_RUN_FLAGS, 'run.mjs'], cwd: join(HERE, 'deno-npm'), env: denoEnv() }, env);
  },
  { platform: 'deno', onReady: (bot) => recordTiming('deno-npm', bot) },
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

describe('examples/deno/bot.ts types', () => {
  it('type-checks with `deno check` against the package installed as a Deno user gets it', () => {
    // Checked from deno-npm/, where npm:dingtalk-stream-universal is a real node_modules
    // package: that is what users get. (Inside the repo Deno resolves the name to the
    // package itself as plain files and does not map `.mjs` imports in .d.mts to types.)
    installLocalBuild();
    const copy = join(HERE, 'deno-npm/example-check.ts');
    cpSync(join(ROOT, 'examples/deno/bot.ts'), copy);
    try {
      const out = spawnSync(denoBinary(), ['check', '--cached-only', 'example-check.ts'], { cwd: join(HERE, 'deno-npm'), env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...denoEnv() }, encoding: 'utf8', timeout: 60_000 });
      expect(out.status, `${out.stdout}${out.stderr}`).toBe(0);
    } finally {
      rmSync(copy, { force: true });
    }
  });
});
