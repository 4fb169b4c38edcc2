import { join } from 'node:path';
import { exampleSuite } from './examples.js';
import { conformanceSuite } from './suite.js';
import { HERE, bunBinary, launchProcess } from './launch.js';
import { recordTiming } from './timings.js';

// Bun running a TypeScript entry that imports the package by name: the `bun` condition.
conformanceSuite('bun', (env) => launchProcess('bun', { command: bunBinary(), args: [join(HERE, 'run-bun.ts')], env: { BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' } }, env), {
  platform: 'bun',
  onReady: (bot) => recordTiming('bun', bot),
});

// The quick start of the README: `bun examples/bun/bot.ts`.
exampleSuite('bun', (env) => launchProcess('bun example', { command: bunBinary(), args: ['examples/bun/bot.ts'], readyPattern: /^Connected/m }, env));
