import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleSuite } from './examples.js';
import { conformanceSuite } from './suite.js';
import { HERE, bunBinary, launchProcess } from './launch.js';

// Bun running a TypeScript entry that imports the package by name: the `bun` condition.
conformanceSuite('bun', (env) => launchProcess('bun', { command: bunBinary(), args: [join(HERE, 'run-bun.ts')], env: { BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' } }, env), {
  platform: 'bun',
  timingsAs: 'bun',
});

// The quick start of the README: `bun examples/bun/bot.ts`.
exampleSuite('bun', (env) => launchProcess('bun example', { command: bunBinary(), args: ['examples/bun/bot.ts'], readyPattern: /^Connected/m }, env));

describe('the testing kit under bun test', () => {
  it('examples/testing/bun/calculator.test.ts passes in Bun\'s own runner', () => {
    const out = spawnSync(bunBinary(), ['test', './examples/testing/bun/calculator.test.ts'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(out.status, `${out.stdout}${out.stderr}`).toBe(0);
    expect(out.stderr).toContain('2 pass');
  });
});
