import { conformanceSuite } from './suite.js';
import { launchWorkerd } from '../cloudflare/miniflare.js';

// workerd through Miniflare: the conformance bot runs inside the Durable Object adapter
// (test/cloudflare/worker.ts), started and stopped through the token-protected control routes.
conformanceSuite('workerd', (env) => launchWorkerd(env), {
  platform: 'workerd',
  timingsAs: 'workerd',
});
