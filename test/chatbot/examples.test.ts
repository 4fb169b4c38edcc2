import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { required } from '../helpers/required.js';

const run = promisify(execFile);
// the examples import the package by name, i.e. the built dist/ (`npm test` builds first)
const built = required('the built package (dist/)', existsSync('dist/chatbot/index.mjs') && existsSync('dist/testing/index.mjs'), 'npm run build; npm test builds first');
const env = { ...process.env, DINGTALK_CLIENT_ID: '', DINGTALK_CLIENT_SECRET: '' };

describe.skipIf(!built)('examples, offline against the fake gateway', () => {
  it('markdown-bot answers markdown, an actionCard and a picture download link', async () => {
    const { stdout } = await run(process.execPath, ['examples/markdown-bot/main.mjs'], { env, timeout: 20_000 });
    expect(stdout).toContain('"msgtype":"markdown"');
    expect(stdout).toContain('"msgtype":"actionCard"');
    expect(stdout).toContain('/files/dc-123');
  });

  it('card-bot sends a card and answers the button callback with card data', async () => {
    const { stdout } = await run(process.execPath, ['examples/card-bot/main.mjs'], { env, timeout: 20_000 });
    expect(stdout).toContain('dtv1.card//IM_GROUP.');
    expect(stdout).toContain('{"cardData":{"cardParamMap":{"status":"approved"}}');
  });

  it('ai-card-bot streams an answer into an AI card and finishes it', async () => {
    const { stdout } = await run(process.execPath, ['examples/ai-card-bot/main.mjs'], { env, timeout: 20_000 });
    expect(stdout).toMatch(/\d+ streaming updates/);
    expect(stdout).toContain('the way a language model would write it.');
  });
});
