// The fakes' DingTalk routes (open call, token, session webhook, the WebSocket upgrade) serve
// callers on this machine only: a web page in the developer's browser must not draw messages,
// collect tickets or tokens through DNS rebinding, or connect as the bot.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { installFakeOpenApi } from '../src/testing/index.js';
import { gateway } from './helpers/setup.js';

function post(port: number, path: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      answered = true;
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    // a server that answers 413 mid-upload may reset the connection: the answer is what counts
    req.on('error', (err) => answered || reject(err));
    req.end(body);
  });
}

describe('the fake gateway refuses what only a web page would send', () => {
  it('refuses a cross-site text/plain POST to the session webhook, and draws nothing', async () => {
    const gw = await gateway();
    const port = Number(new URL(gw.openApiHost).port);
    const status = await post(port, '/robot/sendBySession?session=x', { origin: 'https://evil.example', 'content-type': 'text/plain' }, '{"msgtype":"text","text":{"content":"fake"}}');
    expect(status).toBe(403);
    expect(gw.webhookCalls).toHaveLength(0);
  });

  it('hands out no ticket or token to a request whose Host is not loopback (DNS rebinding)', async () => {
    const gw = await gateway();
    installFakeOpenApi(gw);
    const port = Number(new URL(gw.openApiHost).port);
    const headers = { host: `rebind.evil.example:${port}`, 'content-type': 'application/json' };
    expect(await post(port, '/v1.0/gateway/connections/open', headers, JSON.stringify({ clientId: gw.clientId, clientSecret: gw.clientSecret, subscriptions: [] }))).toBe(403);
    expect(await post(port, '/v1.0/oauth2/accessToken', headers, JSON.stringify({ appKey: gw.clientId, appSecret: gw.clientSecret }))).toBe(403);
    expect(gw.openCalls).toHaveLength(0);
  });

  it('refuses a WebSocket upgrade with a foreign Origin, even with a valid ticket', async () => {
    const gw = await gateway();
    const res = await fetch(`${gw.openApiHost}/v1.0/gateway/connections/open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clientId: gw.clientId, clientSecret: gw.clientSecret, subscriptions: [] }) });
    const { endpoint, ticket } = (await res.json()) as { endpoint: string; ticket: string };
    const outcome = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${endpoint}?ticket=${encodeURIComponent(ticket)}`, { origin: 'https://evil.example' });
      ws.on('open', () => (ws.close(), resolve('open')));
      ws.on('unexpected-response', (_req, r) => resolve(String(r.statusCode)));
      ws.on('error', () => resolve('error'));
    });
    expect(outcome).toBe('403');
    expect(gw.live()).toHaveLength(0);
  });

  it('answers 413 to a request body over 1 MiB instead of buffering it', async () => {
    const gw = await gateway();
    const port = Number(new URL(gw.openApiHost).port);
    expect(await post(port, '/robot/sendBySession?session=x', { 'content-type': 'application/json' }, 'x'.repeat(2 * 1024 * 1024))).toBe(413);
  });
});
