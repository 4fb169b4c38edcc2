import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DingTalkStreamClient, TOPIC_ROBOT } from '../adapters/node.js';
import { proxyFor } from '../adapters/node-proxy.js';
import { gateway } from './helpers/setup.js';

/** A minimal CONNECT proxy on 127.0.0.1 that requires Basic auth and records each tunnel. */
async function connectProxy(): Promise<{ url: string; tunnels: Array<{ target: string; auth: string | undefined }>; close: () => Promise<void> }> {
  const tunnels: Array<{ target: string; auth: string | undefined }> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket, head) => {
    const auth = req.headers['proxy-authorization'];
    tunnels.push({ target: req.url ?? '', auth });
    sockets.add(client);
    if (auth !== `Basic ${Buffer.from('corp:p@ss').toString('base64')}`) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://corp:p%40ss@127.0.0.1:${port}`,
    tunnels,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

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
    expect(proxy.tunnels.length).toBeGreaterThanOrEqual(2); // the open call (undici) and the socket (ws)
    expect(proxy.tunnels.every((t) => t.target === target)).toBe(true);
    expect(proxy.tunnels.every((t) => t.auth?.startsWith('Basic '))).toBe(true);
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
});
