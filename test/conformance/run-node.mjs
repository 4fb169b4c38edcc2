// Conformance bot on Node: the root import picks the package's `node` condition (on Node 20,
// no global WebSocket, so the adapter falls back to `ws`). Run by node.test.ts as a child.
import * as sdk from 'dingtalk-stream-universal';
import { startConformanceBot } from './bot.mjs';

const bot = await startConformanceBot(sdk, {
  openApiHost: process.env.DINGTALK_OPENAPI_HOST,
  clientId: process.env.DINGTALK_CLIENT_ID,
  clientSecret: process.env.DINGTALK_CLIENT_SECRET,
});
const shutdown = () => bot.stop().then(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// stdin closes when the test runner goes away: never outlive it
process.stdin.on('end', shutdown).resume();
