import { beforeEach, expect } from 'vitest';

// Every test asserts something (issue 25): a test whose body only waits could fail only by a
// timeout, and one whose `expect` sits in a handler swallows it as a handler error.
beforeEach(() => {
  expect.hasAssertions();
});
