import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = (args: string[]) => promisify(execFile)(process.execPath, args, { timeout: 20_000 });

// What a Node 20 user gets from the package's exports map, with no flags: the `node`
// condition's adapter, in both module systems, sharing one class with the other entries.
describe('the package on Node', () => {
  it('require() of the root gives the Node adapter (ws fallback) and /testing shares its classes', async () => {
    const { stdout } = await run(['-e', `
      const root = require('dingtalk-stream-universal');
      const testing = require('dingtalk-stream-universal/testing');
      const chatbot = require('dingtalk-stream-universal/chatbot');
      const c = new root.DingTalkStreamClient({ clientId: 'a', clientSecret: 'b' });
      console.log(JSON.stringify({
        platform: c.platform.name,
        ws: typeof globalThis.WebSocket === 'undefined' && typeof c.platform.WebSocket === 'function',
        gateway: typeof testing.FakeDingTalkGateway,
        chatbot: typeof chatbot.registerChatbotHandler,
        sameError: new root.GatewayAuthError(401, '') instanceof root.DingTalkStreamError,
      }));`]);
    expect(JSON.parse(stdout)).toEqual({ platform: 'node', ws: true, gateway: 'function', chatbot: 'function', sameError: true });
  });

  it('import of the root gives the same adapter as ESM', async () => {
    const { stdout } = await run(['--input-type=module', '-e', `
      import { DingTalkStreamClient, TOPIC_ROBOT, VERSION } from 'dingtalk-stream-universal';
      const c = new DingTalkStreamClient({ clientId: 'a', clientSecret: 'b' });
      console.log(JSON.stringify({ platform: c.platform.name, topic: TOPIC_ROBOT, version: VERSION }));`]);
    const { version } = (await import('../package.json', { with: { type: 'json' } })).default as { version: string };
    expect(JSON.parse(stdout)).toEqual({ platform: 'node', topic: '/v1.0/im/bot/messages/get', version });
  });
});
