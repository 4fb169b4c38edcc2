// Without `ws` (an install with --omit=optional), the fake gateway and the simulator run on
// the built-in WebSocket server (src/testing/websocket-server.ts): the gateway's `import('ws')`
// fails here as it does there. The clients are real: ours (which `require`s ws, untouched by
// the mock), undici's WebSocket (Node 22's global one), and raw TCP for what no client sends.
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket as UndiciWebSocket } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MiniWebSocket, upgradeBuiltin, type ServerSocket } from '../src/testing/websocket-server.js';
import { client, gateway } from './helpers/setup.js';

// as if `ws` were not installed: the gateway's dynamic import gets a module without a server
vi.mock('ws', () => ({}));
const WsClient = createRequire(import.meta.url)('ws') as typeof import('ws').WebSocket;

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** An HTTP server whose upgrades go to the built-in server; resolves with its port and the sockets it accepted. */
async function echoServer(): Promise<{ port: number; sockets: ServerSocket[]; got: Array<{ data: Buffer; binary: boolean }>; closes: number[] }> {
  const sockets: ServerSocket[] = [];
  const got: Array<{ data: Buffer; binary: boolean }> = [];
  const closes: number[] = [];
  const server = createServer();
  server.on('upgrade', (req, tcp, head) =>
    upgradeBuiltin(req, tcp as Socket, head, (socket) => {
      sockets.push(socket);
      socket.on('message', (data, binary) => {
        got.push({ data, binary });
        socket.send(`echo ${data.length}`);
      });
      socket.on('ping', (data) => socket.pong(data));
      socket.on('close', (code) => closes.push(code));
      socket.on('error', () => {});
    }),
  );
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, sockets, got, closes };
}

/** Raw TCP: a valid handshake, then whatever bytes the test writes; resolves with the socket and what came back. */
async function rawClient(port: number): Promise<{ tcp: Socket; received: () => Buffer }> {
  const tcp = connect(port, '127.0.0.1');
  let data = Buffer.alloc(0);
  tcp.on('data', (c) => (data = Buffer.concat([data, c])));
  tcp.on('error', () => {});
  tcp.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await vi.waitFor(() => expect(data.toString()).toContain('\r\n\r\n'));
  expect(data.toString()).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo='); // RFC 6455's own example
  data = data.subarray(data.indexOf('\r\n\r\n') + 4);
  return { tcp, received: () => data };
}

describe('the fake gateway without ws: its built-in WebSocket server', () => {
  it('our client connects, gets a message, acks it, pings and is answered, and moves over on a SYSTEM disconnect', async () => {
    const gw = await gateway({ disconnectCloseMs: 100 });
    const c = client(gw, { idleTimeoutMs: 300 });
    const handled: string[] = [];
    c.registerCallbackHandler('/v1.0/im/bot/messages/get', (m) => void handled.push((m.data as { text: { content: string } }).text.content.trim()));
    await c.start();
    const conn = gw.live()[0]!;
    expect(conn.socket).toBeInstanceOf(MiniWebSocket);
    const ack = await gw.waitForAck(gw.pushChatbotMessage('hello builtin'));
    expect(ack.code).toBe(200);
    expect(handled).toEqual(['hello builtin']);
    // a quiet connection is pinged by the client (ws can ping); the fake answers and counts
    await gw.waitFor(() => conn.pings > 0, 5000, 'a ping');
    gw.disconnect(conn);
    await gw.waitFor(() => conn.closedAt !== null && gw.live().length === 1, 5000, 'the old socket closed, a new one open');
    expect(await gw.waitForAck(gw.pushChatbotMessage('after the move'))).toMatchObject({ code: 200 });
    expect(c.log.lines.join('\n')).not.toMatch(/error /);
  });

  it("undici's WebSocket (Node 22's global) sends and receives text, and a server close reaches it with its code", async () => {
    const { port, sockets } = await echoServer();
    const ws = new UndiciWebSocket(`ws://127.0.0.1:${port}/`);
    const messages: string[] = [];
    ws.onmessage = (e) => messages.push(String(e.data));
    await new Promise((r) => (ws.onopen = r));
    ws.send('x'.repeat(70_000)); // a 64-bit length
    await vi.waitFor(() => expect(messages).toEqual(['echo 70000']));
    const closed = new Promise<{ code: number; reason: string }>((r) => (ws.onclose = (e) => r({ code: e.code, reason: e.reason })));
    sockets[0]!.close(4000, 'bye');
    expect(await closed).toEqual({ code: 4000, reason: 'bye' });
  });

  it('takes fragmented, 16-bit-length and binary messages from ws, and echoes a client close', async () => {
    const { port, got, closes } = await echoServer();
    const ws = new WsClient(`ws://127.0.0.1:${port}/`);
    const messages: string[] = [];
    ws.on('message', (d) => messages.push(String(d)));
    await new Promise((r) => ws.once('open', r));
    ws.send('part one, ', { fin: false });
    ws.send('part two', { fin: true });
    ws.send('y'.repeat(300));
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await vi.waitFor(() => expect(messages).toHaveLength(3));
    expect(got.map((g) => [g.binary, g.data.length])).toEqual([[false, 18], [false, 300], [true, 3]]);
    expect(got[0]!.data.toString()).toBe('part one, part two');
    const pong = new Promise((r) => ws.once('pong', r));
    ws.ping('are you there');
    await pong;
    const closed = new Promise<number>((r) => ws.once('close', r));
    ws.close(1000, 'done');
    expect(await closed).toBe(1000);
    await vi.waitFor(() => expect(closes).toEqual([1000]));
  });

  it('closes with 1002 on an unmasked frame, and answers a handshake without a key with 400', async () => {
    const { port, closes } = await echoServer();
    const { tcp, received } = await rawClient(port);
    tcp.write(Buffer.from([0x81, 0x02, 0x68, 0x69])); // "hi", not masked
    // a close frame (opcode 8) with status 1002
    await vi.waitFor(() => expect([received()[0], received().length > 3 && received().readUInt16BE(2)]).toEqual([0x88, 1002]));
    await vi.waitFor(() => expect(closes).toEqual([1002]));

    const bad = connect(port, '127.0.0.1');
    let answer = '';
    bad.on('data', (c) => (answer += c.toString()));
    bad.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await vi.waitFor(() => expect(answer).toMatch(/^HTTP\/1\.1 400 /));
    bad.destroy();
  });
});
