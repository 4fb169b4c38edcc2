import { spawn } from 'node:child_process';
import { inspect } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DingTalkStreamClient, TOPIC_ROBOT } from '../adapters/node.js';
import { nodePlatform } from '../adapters/node.js';
import { proxyFor } from '../adapters/node-proxy.js';
import { FakeDingTalkGateway } from '../src/testing/index.js';
import { gateway } from './helpers/setup.js';
import { required } from './helpers/required.js';
import { connectProxy, hasOpenssl, testPki, tlsFront, type TestPki } from './helpers/tls.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const SDK = pathToFileURL(resolve(__dirname, '../dist/adapters/node.mjs')).href;

/**
 * The client in a child Node that trusts `pki`'s CA through NODE_EXTRA_CA_CERTS, as a bot
 * behind a TLS-inspecting proxy would (Node 20 reads it only at start-up, hence the child).
 * Resolves with the child's output once `start()` resolved and `pushAndAck` ran, or rejects
 * with the first error the client reported.
 */
async function runChild(pki: TestPki, env: Record<string, string>, pushAndAck: () => Promise<void>): Promise<string> {
  const script = `
    const { DingTalkStreamClient, TOPIC_ROBOT } = await import(process.env.SDK);
    const log = (level) => (m) => console.error(level, m);
    const client = new DingTalkStreamClient({ logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }, logLevel: 'debug', backoffBaseMs: 20, backoffCapMs: 200 });
    const report = (e) => console.log(JSON.stringify({ failed: String(e.detail?.error?.message ?? e.detail?.message ?? e.detail) }));
    client.addEventListener('error', report);
    client.addEventListener('reconnecting', report);
    client.registerCallbackHandler(TOPIC_ROBOT, () => null);
    await client.start();
    console.log(JSON.stringify({ started: true }));
    process.stdin.once('data', async () => { await client.stop(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: pki.caFile, SDK, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  cleanups.push(() => child.kill());
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  await new Promise<void>((ok, fail) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      for (const line of String(d).split('\n').filter((l) => l.startsWith('{'))) {
        const msg = JSON.parse(line) as { started?: boolean; failed?: string };
        if (msg.started) ok();
        else fail(new Error(`the client failed: ${msg.failed}`));
      }
    });
    void exited.then((code) => fail(new Error(`the child exited (${code}): ${out}`)));
  });
  await pushAndAck();
  child.stdin.write('stop\n');
  expect(await exited).toBe(0);
  return out;
}

/** A fake gateway behind a TLS front: the open call is `https:`, the endpoint `wss://localhost:…`. */
async function tlsGateway(pki: TestPki): Promise<{ gw: FakeDingTalkGateway; openApiHost: string; tickets: string[] }> {
  let gw: FakeDingTalkGateway | undefined;
  const front = await tlsFront(pki, () => (gw ? Number(new URL(gw.openApiHost).port) : 0));
  cleanups.push(front.close);
  gw = await gateway({ endpoint: `wss://localhost:${front.port}/connect` });
  const tickets: string[] = [];
  gw.tap((e) => {
    const ticket = e.dir === 'http' ? (e.body as { ticket?: string } | undefined)?.ticket : undefined;
    if (ticket) tickets.push(ticket);
  });
  return { gw, openApiHost: `https://127.0.0.1:${front.port}`, tickets };
}

/** The text of everything a failing socket reported (its error, the causes, the close reason). */
function socketFailure(platform: ReturnType<typeof nodePlatform>, url: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = new platform.WebSocket(url);
    const texts: string[] = [];
    const collect = (e: unknown): void => {
      for (let x = e as { message?: unknown; error?: unknown; cause?: unknown; reason?: unknown } | undefined, n = 0; x && n < 6; x = (x.error ?? x.cause) as typeof x, n++) {
        texts.push(String(x.message ?? ''), String(x.reason ?? ''));
      }
    };
    socket.addEventListener('error', collect);
    socket.addEventListener('close', (e) => {
      collect(e);
      resolve(texts.join(' | '));
    });
  });
}

describe('Node proxy support', () => {
  it('sends the open call and the WebSocket through a CONNECT proxy with credentials', async () => {
    const gw = await gateway();
    const proxy = await connectProxy();
    cleanups.push(proxy.close);
    const client = new DingTalkStreamClient({ clientId: gw.clientId, clientSecret: gw.clientSecret, openApiHost: gw.openApiHost, logger: null, proxy: proxy.url });
    cleanups.push(() => client.stop());
    client.registerCallbackHandler(TOPIC_ROBOT, () => null);
    await client.start();
    const ack = await gw.waitForAck(gw.pushChatbotMessage('via proxy'));
    expect(ack.code).toBe(200);
    const target = new URL(gw.openApiHost).host;
    expect(proxy.tunnels.length).toBeGreaterThanOrEqual(2); // the open call and the socket
    expect(proxy.tunnels.every((t) => t.target === target)).toBe(true);
    expect(proxy.tunnels.every((t) => t.auth?.startsWith('Basic '))).toBe(true);
  });

  describe.skipIf(!required('openssl', hasOpenssl, 'apt-get install openssl'))('to a TLS gateway (a CA the child trusts)', () => {
    let pki: TestPki;
    afterEach(() => pki?.remove());

    for (const kind of ['http', 'https'] as const) {
      it(`reaches an https: open call and a wss: endpoint through an ${kind}: proxy (HTTPS_PROXY), with no secret in any output`, async () => {
        pki = testPki();
        const { gw, openApiHost, tickets } = await tlsGateway(pki);
        const proxy = await connectProxy(kind === 'https' ? pki : undefined);
        cleanups.push(proxy.close);
        const out = await runChild(pki, { DINGTALK_CLIENT_ID: gw.clientId, DINGTALK_CLIENT_SECRET: gw.clientSecret, DINGTALK_OPENAPI_HOST: openApiHost, HTTPS_PROXY: proxy.url }, async () => {
          expect((await gw.waitForAck(gw.pushChatbotMessage(`via an ${kind} proxy`))).code).toBe(200);
        });
        const front = new URL(openApiHost).port;
        expect(proxy.tunnels.map((t) => t.target)).toEqual(expect.arrayContaining([`127.0.0.1:${front}`, `localhost:${front}`]));
        expect(proxy.tunnels.every((t) => t.auth === `Basic ${Buffer.from('corp:p@ss').toString('base64')}`)).toBe(true);
        expect(tickets.length).toBeGreaterThan(0);
        for (const secret of ['p@ss', 'p%40ss', gw.clientSecret, ...tickets]) expect(out).not.toContain(secret);
      });
    }
  });

  it('speaks to an https: proxy on 443 and an http: one on 80 when the URL has no port', async () => {
    for (const target of ['ws://gateway.invalid/connect', 'wss://gateway.invalid/connect']) {
      const https = await socketFailure(nodePlatform({ proxy: 'https://corp:p%40ss@127.0.0.1' }), target);
      const http = await socketFailure(nodePlatform({ proxy: 'http://corp:p%40ss@127.0.0.1' }), target);
      expect(https, target).toContain('127.0.0.1:443');
      expect(http, target).toContain('127.0.0.1:80');
      for (const text of [https, http]) expect(text).not.toContain('p@ss');
    }
  });

  it('says why a tunnel failed (407 for wrong proxy credentials), without the password', async () => {
    const proxy = await connectProxy();
    cleanups.push(proxy.close);
    const wrong = proxy.url.replace('p%40ss', 'wrong-pass');
    const text = await socketFailure(nodePlatform({ proxy: wrong }), 'wss://gateway.invalid/connect');
    expect(text).toContain('407');
    expect(text).not.toContain('wrong-pass');
  });

  it('pings through the proxy: a quiet socket gets its pong', async () => {
    const gw = await gateway();
    const proxy = await connectProxy();
    cleanups.push(proxy.close);
    const platform = nodePlatform({ proxy: proxy.url });
    const res = await platform.fetch(`${gw.openApiHost}/v1.0/gateway/connections/open`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: gw.clientId, clientSecret: gw.clientSecret, subscriptions: [] }),
    });
    const { endpoint, ticket } = (await res.json()) as { endpoint: string; ticket: string };
    const socket = new platform.WebSocket(`${endpoint}?ticket=${ticket}`);
    cleanups.push(() => socket.close());
    await new Promise((resolve) => socket.addEventListener('open', resolve));
    expect(platform.ping).toBeTypeOf('function');
    await new Promise<void>((resolve) => platform.ping!(socket, resolve));
  });

  it('takes HTTPS_PROXY from the environment and honours NO_PROXY', () => {
    const env = { HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: 'localhost,.internal.example,10.0.0.1:8080' };
    expect(proxyFor('https://api.dingtalk.com', undefined, env)).toBe('http://proxy.corp:3128');
    expect(proxyFor('https://api.internal.example', undefined, env)).toBeUndefined();
    expect(proxyFor('http://localhost:9000', undefined, env)).toBeUndefined();
    expect(proxyFor('http://10.0.0.1:8080', undefined, env)).toBeUndefined();
    expect(proxyFor('https://api.dingtalk.com', false, env)).toBeUndefined();
    expect(proxyFor('https://api.dingtalk.com', 'http://explicit:1', {})).toBe('http://explicit:1');
    expect(proxyFor('https://api.dingtalk.com', undefined, { https_proxy: 'http://lower:2', NO_PROXY: '*' })).toBeUndefined();
  });

  it('matches NO_PROXY without regard to case, with default ports, suffixes, * and bracketed IPv6 literals', () => {
    const via = (target: string, noProxy: string) => proxyFor(target, undefined, { HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: noProxy });
    const bypassed = (target: string, noProxy: string) => expect(via(target, noProxy), `${target} with NO_PROXY=${noProxy}`).toBeUndefined();
    const proxied = (target: string, noProxy: string) => expect(via(target, noProxy), `${target} with NO_PROXY=${noProxy}`).toBe('http://proxy.corp:3128');
    bypassed('https://API.DingTalk.com', 'api.dingtalk.com');
    bypassed('https://api.dingtalk.com', 'API.DINGTALK.COM');
    bypassed('https://api.dingtalk.com', 'api.dingtalk.com:443');
    bypassed('wss://wss-open-connection.dingtalk.com/connect', 'wss-open-connection.dingtalk.com:443');
    bypassed('http://gw.corp', 'gw.corp:80');
    proxied('https://api.dingtalk.com', 'api.dingtalk.com:8443');
    bypassed('https://api.dingtalk.com', '.dingtalk.com');
    bypassed('https://api.dingtalk.com', '*.DingTalk.com');
    bypassed('https://api.dingtalk.com', 'dingtalk.com');
    proxied('https://notdingtalk.com', 'dingtalk.com');
    proxied('https://notdingtalk.com', '.dingtalk.com');
    bypassed('https://api.dingtalk.com', 'example.org, *');
    bypassed('http://[::1]:9000/x', '[::1]');
    bypassed('http://[::1]:9000/x', '[::1]:9000');
    bypassed('http://[::1]:9000/x', '::1');
    proxied('http://[::1]:9000/x', '[::1]:9001');
    bypassed('https://[2001:DB8::1]/', '[2001:db8::1]:443');
    proxied('https://[2001:db8::2]/', '[2001:db8::1]');
  });

  it('refuses a malformed proxy URL with a ConfigError that holds no password', () => {
    const secret = 'hunter2-s3cret';
    for (const [proxy, env] of [
      [`http://corp:${secret}@:3128`, {}],
      [`http://corp:${secret}@proxy.corp:99999`, {}],
      [`ftp://corp:${secret}@proxy.corp:21`, {}],
      [undefined, { HTTPS_PROXY: `http://corp:${secret}@[bad:3128` }],
    ] as const) {
      const saved = { ...process.env };
      Object.assign(process.env, env);
      let error: unknown;
      try {
        new DingTalkStreamClient({ clientId: 'id', clientSecret: 'client-secret-xyz', logger: null, ...(proxy ? { proxy } : {}) });
      } catch (err) {
        error = err;
      } finally {
        for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
        Object.assign(process.env, saved);
      }
      expect(error, String(proxy ?? env.HTTPS_PROXY)).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('CONFIG');
      const seen = [inspect(error, { depth: 5, showHidden: true }), JSON.stringify(error), String((error as { input?: unknown }).input), inspect((error as { cause?: unknown }).cause, { depth: 5 })].join('\n');
      expect(seen).not.toContain(secret);
      expect(seen).not.toContain('client-secret-xyz');
    }
  });
});
