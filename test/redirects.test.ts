// No request of the SDK follows a redirect: each carries a secret (the open call the
// clientSecret, the token call the appSecret, every OpenAPI call its access token, a reply a
// private chat). A 3xx becomes RedirectRefusedError and the Location is never contacted.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RedirectRefusedError, TOPIC_ROBOT } from '../adapters/node.js';
import { DingTalkOpenApi, registerChatbotHandler } from '../src/chatbot/index.js';
import { installFakeOpenApi } from '../src/testing/index.js';
import { client, gateway } from './helpers/setup.js';

/** Another host on 127.0.0.1 that only counts who came (what a redirect would leak to). */
let elsewhere: { server: Server; hits: string[]; url: string } | undefined;
async function attacker() {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d)).on('end', () => {
      hits.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"accessToken":"stolen","expireIn":7200,"errcode":0}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  elsewhere = { server, hits, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/catch` };
  return elsewhere;
}
afterEach(async () => {
  if (elsewhere) await new Promise<void>((resolve) => elsewhere!.server.close(() => resolve()));
  elsewhere = undefined;
});

describe('redirects are refused, with the secret they would carry', () => {
  it('stops at a 307 from the open endpoint: REDIRECT_REFUSED, fatal, nothing sent to the Location', async () => {
    const evil = await attacker();
    const gw = await gateway();
    gw.route('POST', '/v1.0/gateway/connections/open', () => ({ status: 307, headers: { location: evil.url }, body: '' }));
    const c = client(gw);
    const err = await c.start().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RedirectRefusedError);
    expect((err as RedirectRefusedError).code).toBe('REDIRECT_REFUSED');
    expect((err as Error).message).toContain('http://127.0.0.1'); // the origin it points to, nothing more
    expect(c.status().state).toBe('failed');
    expect(evil.hits).toEqual([]);
  });

  it('refuses a 308 from the token endpoint, so the appSecret stays home', async () => {
    const evil = await attacker();
    const gw = await gateway();
    installFakeOpenApi(gw);
    gw.route('POST', '/v1.0/oauth2/accessToken', () => ({ status: 308, headers: { location: evil.url }, body: '' }));
    const api = new DingTalkOpenApi({ clientId: gw.clientId, clientSecret: gw.clientSecret, openApiHost: gw.openApiHost });
    await expect(api.accessToken()).rejects.toBeInstanceOf(RedirectRefusedError);
    expect(evil.hits).toEqual([]);
  });

  it('refuses a redirecting session webhook: the reply is not re-sent elsewhere', async () => {
    const evil = await attacker();
    const gw = await gateway({ redeliverAfterMs: 0 });
    gw.route('POST', '/robot/sendBySession', () => ({ status: 307, headers: { location: evil.url }, body: '' }));
    const c = client(gw);
    const failures: unknown[] = [];
    registerChatbotHandler(c, (m, reply) => reply.text(`private answer to ${m.text}`), { onError: (e) => void failures.push(e) });
    await c.start();
    gw.pushChatbotMessage('salary?');
    await gw.waitFor(() => gw.webhookCalls.length === 1, 5_000, 'the reply attempt');
    await vi.waitFor(() => expect(failures).toHaveLength(1)); // the refusal reached onError
    expect(failures[0]).toBeInstanceOf(RedirectRefusedError);
    expect(evil.hits).toEqual([]);
    void TOPIC_ROBOT;
  });
});
