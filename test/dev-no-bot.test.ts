// `dev` with no bot connected: after a few seconds it says so, and what to check, instead
// of waiting in silence while the bot dials api.dingtalk.com.
import { describe, expect, it } from 'vitest';
import { Dev } from './helpers/dev.js';

describe('dingtalk-stream-universal dev without a bot', () => {
  it('says after a few seconds that no bot is connected, and names the host and clientId to check', async () => {
    const dev = new Dev('dist/cli.mjs', ['--port', '0', '--no-demo']);
    try {
      await dev.printed('No bot is connected');
      const openApiHost = /DINGTALK_OPENAPI_HOST=(\S+)/.exec(dev.out)![1]!;
      expect(dev.out).toContain('no bot has called this simulator');
      expect(dev.out).toContain(`dials this simulator: openApiHost ${openApiHost} (DINGTALK_OPENAPI_HOST), not api.dingtalk.com`);
      expect(dev.out).toContain('uses clientId ding-local-client-id');
    } finally {
      await dev.stop();
    }
  });
});
