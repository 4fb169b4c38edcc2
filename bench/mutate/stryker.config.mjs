// StrykerJS config for `npm run mutate` (bench/mutate/run.mjs runs it one group of files at a time) over the runtime-free core and the outbound governor / AI-card
// pacing, with the vitest runner. A benchmark-like figure (bench/MUTATION.md), not part of
// `npm test`: each surviving mutant is a test to write or an equivalence to state.
// MUTATE (comma-separated globs) narrows the run, e.g. MUTATE=src/dispatch/policy.ts.
const mutate = process.env.MUTATE?.split(',') ?? ['src/dispatch/**/*.ts', 'src/protocol/**/*.ts', 'src/connection/**/*.ts', 'src/chatbot/governor.ts', 'src/chatbot/ai-card.ts', 'src/options.ts'];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'bench/mutate/vitest.config.mts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  coverageAnalysis: 'perTest',
  mutate,
  // types, comments and log text are not behaviour; a mutant there survives by definition
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 20_000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'json', 'progress'],
  jsonReporter: { fileName: 'bench/mutate/report.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
