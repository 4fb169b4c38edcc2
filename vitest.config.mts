import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.mjs'],
    setupFiles: ['test/helpers/assertions.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // real sockets and real child runtimes: keep the 2-core machine from thrashing
    maxWorkers: 2,
    // vitest blanks CSS by default: the simulator's page imports its stylesheet as text (`?raw`)
    css: { include: [/src\/testing\/page\/page\.css/] },
  },
});
