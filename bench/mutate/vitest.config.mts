import { defineConfig } from 'vitest/config';

// The tests that exercise the mutated code in this process (Stryker measures coverage per test in
// the vitest process): the core's, the reliability suite and the governor's. Suites that run the
// package in another runtime or from dist (conformance, quick-start, published package, bench)
// cannot see a mutant and would only slow every run.
export default defineConfig({
  test: {
    // MUTATE_TESTS (comma-separated globs) narrows them for a quick run on one file
    include: process.env.MUTATE_TESTS?.split(',') ?? [
      'test/*.test.ts',
      'test/reliability/*.test.ts',
      'test/chatbot/governor.test.ts',
      'test/chatbot/ai-card.test.ts',
      'test/chatbot/production-limits.test.ts',
    ],
    exclude: ['test/quick-start.test.ts', 'test/published-package.test.ts', 'test/package.test.ts', 'test/size.test.ts', 'test/liveness-runtimes.test.ts', 'test/environment.test.ts', 'test/dev-*.test.ts', 'test/fake-*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    maxWorkers: 2,
    setupFiles: ['test/helpers/assertions.ts'],
  },
});
