import { join } from 'node:path';
import { conformanceSuite } from './suite.js';
import { HERE, launchProcess } from './launch.js';

// Node as a child process, importing the package by name: the `node` condition, and on
// Node 20 (no global WebSocket, no flag) the adapter's `ws` fallback.
conformanceSuite('node', (env) => launchProcess('node', { command: process.execPath, args: [join(HERE, 'run-node.mjs')] }, env), {
  platform: 'node',
  timingsAs: 'node',
});
