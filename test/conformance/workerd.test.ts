import { conformanceSuite } from './suite.js';
import { recordTiming } from './timings.js';
import { launchWorkerd } from '../cloudflare/miniflare.js';

// workerd through Miniflare: the conformance bot runs inside the Durable Object adapter
// (test/cloudflare/worker.ts), started and stopped through the token-protected control routes.
conformanceSuite('workerd', (env) => launchWorkerd(env), {
  platform: 'workerd',
  onReady: (bot) => recordTiming('workerd', bot),
});
