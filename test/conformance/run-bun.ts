// Conformance bot on Bun, as a TypeScript file Bun runs directly: the root import picks the
// package's `bun` condition (Bun's global WebSocket and fetch). Run by bun.test.ts.
import * as sdk from 'dingtalk-stream-universal';
import { startConformanceBot } from './bot.mjs';

const env = (name: string): string => process.env[name] ?? '';
const bot = await startConformanceBot(sdk, {
  openApiHost: env('DINGTALK_OPENAPI_HOST'),
  clientId: env('DINGTALK_CLIENT_ID'),
  clientSecret: env('DINGTALK_CLIENT_SECRET'),
});
const shutdown = () => void bot.stop().then(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// stdin closes when the test runner goes away: never outlive it
process.stdin.on('end', shutdown).resume();
