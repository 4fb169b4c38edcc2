/**
 * The server end of the fake gateway's WebSocket: `ws` when it is installed, else a minimal
 * RFC 6455 server of our own over node:http's `upgrade`. `ws` is an optional dependency:
 * installed with `--omit=optional` (Node 22 needs no `ws` for the client), `dev` and the
 * testing kit must still run. Node has a WebSocket client since 22 but no server.
 *
 * `ws` stays first where it is present: it is what the fake has always run on, with every
 * client the tests use. The fallback does only what the fake gateway needs: text and binary
 * messages (fragmented or not), close, ping and pong; no extension (permessage-deflate is
 * declined by not answering it), no subprotocol.
 * @module
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/**
 * One server-side socket, as the gateway uses it: `ws`'s `WebSocket` and {@link MiniWebSocket}
 * both fit. Events: `message` (data, isBinary), `ping` (data), `close` (code, reason), `error`.
 *
 * @example
 * ```ts
 * const echo = (socket: ServerSocket) => socket.on('message', (data) => socket.send(data.toString()));
 * ```
 */
export interface ServerSocket {
  readonly readyState: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  pong(data?: Buffer): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'ping', listener: (data: Buffer) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

/**
 * Completes a WebSocket handshake on `tcp` and hands over the socket (not called when refused).
 *
 * @example
 * ```ts
 * const upgrade: UpgradeHandler = upgradeBuiltin;
 * server.on('upgrade', (req, tcp, head) => upgrade(req, tcp as Socket, head, (socket) => socket.send('hello')));
 * ```
 */
export type UpgradeHandler = (req: IncomingMessage, tcp: Socket, head: Buffer, done: (socket: ServerSocket) => void) => void;

/**
 * Which implementation {@link loadUpgradeHandler} picked.
 *
 * @example
 * ```ts
 * const { kind }: { kind: WebSocketServerKind } = await loadUpgradeHandler();
 * ```
 */
export type WebSocketServerKind = 'ws' | 'builtin';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** The largest message the fallback takes (the gateway's acks are a few hundred bytes). */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** How long a close handshake may take before the TCP connection is dropped (as `ws`). */
const CLOSE_TIMEOUT_MS = 30_000;
/** Frame opcodes (RFC 6455 §5.2). */
const Op = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

/**
 * `ws`'s server when the package loads, else the built-in one. `prefer: 'builtin'` skips `ws`
 * (the tests of the fallback use it).
 *
 * @example
 * ```ts
 * const { upgrade } = await loadUpgradeHandler();
 * server.on('upgrade', (req, tcp, head) => upgrade(req, tcp as Socket, head, (socket) => socket.send('hello')));
 * ```
 */
export async function loadUpgradeHandler(prefer: WebSocketServerKind = 'ws'): Promise<{ kind: WebSocketServerKind; upgrade: UpgradeHandler }> {
  if (prefer === 'ws') {
    try {
      const { WebSocketServer } = await import('ws');
      // pongs by hand, so that a silent connection can stop answering pings
      const wss = new WebSocketServer({ noServer: true, autoPong: false });
      return { kind: 'ws', upgrade: (req, tcp, head, done) => wss.handleUpgrade(req, tcp, head, (socket) => done(socket as unknown as ServerSocket)) };
    } catch {
      /* not installed (--omit=optional): the built-in server below */
    }
  }
  return { kind: 'builtin', upgrade: upgradeBuiltin };
}

/**
 * The fallback's handshake: a `GET` with `Upgrade: websocket`, version 13 and a key, else
 * 400 and the connection closed.
 *
 * @example
 * ```ts
 * server.on('upgrade', (req, tcp, head) => upgradeBuiltin(req, tcp as Socket, head, (socket) => socket.send('hi')));
 * ```
 */
export const upgradeBuiltin: UpgradeHandler = (req, tcp, head, done) => {
  const key = req.headers['sec-websocket-key'];
  const valid = req.method === 'GET' && String(req.headers.upgrade).toLowerCase() === 'websocket' && req.headers['sec-websocket-version'] === '13' && typeof key === 'string' && /^[A-Za-z0-9+/]{22}==$/.test(key);
  if (!valid) return void tcp.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  tcp.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  done(new MiniWebSocket(tcp, head));
};

/**
 * The fallback's socket: RFC 6455 frames on a TCP socket that completed the handshake. Client
 * frames must be masked; server frames are not. A protocol error closes with 1002, a message
 * over 16 MiB with 1009.
 *
 * @example
 * ```ts
 * const socket = new MiniWebSocket(tcp, head);
 * socket.on('message', (data) => socket.send(`echo ${data.toString()}`));
 * ```
 */
export class MiniWebSocket extends EventEmitter implements ServerSocket {
  readyState = 1;
  #buffer: Buffer;
  /** The parts of a fragmented message so far, and its opcode. */
  #parts: Buffer[] = [];
  #partsBytes = 0;
  #partsOp: number | undefined;
  #closeSent = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #closed: { code: number; reason: Buffer } = { code: 1006, reason: Buffer.alloc(0) };

  constructor(private readonly tcp: Socket, head: Buffer) {
    super();
    this.#buffer = head;
    tcp.setNoDelay(true);
    tcp.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
      this.#read();
    });
    // an error with no listener would throw from emit: the gateway listens, a bare user may not
    tcp.on('error', (err) => this.listenerCount('error') && this.emit('error', err));
    tcp.on('close', () => {
      clearTimeout(this.#closeTimer);
      this.readyState = 3;
      this.emit('close', this.#closed.code, this.#closed.reason);
    });
    if (head.length) queueMicrotask(() => this.#read());
  }

  send(text: string): void {
    if (this.readyState === 1) this.tcp.write(frame(Op.Text, Buffer.from(text)));
  }

  pong(data: Buffer = Buffer.alloc(0)): void {
    if (this.readyState === 1) this.tcp.write(frame(Op.Pong, data));
  }

  /** Sends a close frame and waits for the client's; the TCP connection ends then (or after 30 s). */
  close(code = 1000, reason = ''): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.#sendClose(code, reason);
    this.#closeTimer = setTimeout(() => this.tcp.destroy(), CLOSE_TIMEOUT_MS);
    this.#closeTimer.unref?.();
  }

  /** Drops the TCP connection, no close frame. */
  terminate(): void {
    this.tcp.destroy();
  }

  #sendClose(code: number, reason: string): void {
    if (this.#closeSent) return;
    this.#closeSent = true;
    const reasonBytes = Buffer.from(reason).subarray(0, 123);
    const payload = Buffer.alloc(2 + reasonBytes.length);
    payload.writeUInt16BE(code, 0);
    reasonBytes.copy(payload, 2);
    if (!this.tcp.destroyed) this.tcp.write(frame(Op.Close, payload));
  }

  /** A protocol violation: close with `code` and stop reading. */
  #fail(code: number, reason: string): void {
    this.#buffer = Buffer.alloc(0);
    this.readyState = 2;
    this.#closed = { code, reason: Buffer.from(reason) };
    this.#sendClose(code, reason);
    this.tcp.end();
  }

  #read(): void {
    while (this.readyState < 3 && !this.tcp.destroyed) {
      const b = this.#buffer;
      if (b.length < 2) return;
      const fin = (b[0]! & 0x80) !== 0;
      const rsv = b[0]! & 0x70;
      const op = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      let length = b[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(MAX_MESSAGE_BYTES)) return this.#fail(1009, 'message too big');
        length = Number(big);
        at = 10;
      }
      if (rsv) return this.#fail(1002, 'no extension was negotiated');
      if (!masked) return this.#fail(1002, 'client frames must be masked');
      if (b.length < at + 4 + length) return;
      const mask = b.subarray(at, at + 4);
      const payload = Buffer.from(b.subarray(at + 4, at + 4 + length));
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
      this.#buffer = b.subarray(at + 4 + length);
      if (op >= Op.Close) {
        if (!fin || length > 125) return this.#fail(1002, 'bad control frame');
        this.#control(op, payload);
        continue;
      }
      if (op === Op.Continuation ? this.#partsOp === undefined : op !== Op.Text && op !== Op.Binary) return this.#fail(1002, `unexpected opcode ${op}`);
      if (op !== Op.Continuation && this.#partsOp !== undefined) return this.#fail(1002, 'a new message inside a fragmented one');
      if (this.#partsBytes + length > MAX_MESSAGE_BYTES) return this.#fail(1009, 'message too big');
      if (op !== Op.Continuation) this.#partsOp = op;
      this.#parts.push(payload);
      this.#partsBytes += length;
      if (!fin) continue;
      const data = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts);
      const binary = this.#partsOp === Op.Binary;
      this.#parts = [];
      this.#partsBytes = 0;
      this.#partsOp = undefined;
      if (this.readyState === 1) this.emit('message', data, binary);
    }
  }

  #control(op: number, payload: Buffer): void {
    if (op === Op.Ping) this.emit('ping', payload);
    else if (op === Op.Pong) this.emit('pong', payload);
    else if (op === Op.Close) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.#closed = { code, reason: payload.subarray(2) };
      // the client's answer to ours, or its own close: echo it, then the server ends TCP (RFC 6455 §7.1.1)
      this.readyState = 2;
      this.#sendClose(code === 1005 ? 1000 : code, '');
      this.tcp.end();
    }
  }
}

/** One unmasked, final server frame. */
function frame(op: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | op, n]) : n < 65536 ? Buffer.from([0x80 | op, 126, n >> 8, n & 0xff]) : Buffer.alloc(10);
  if (n >= 65536) {
    head[0] = 0x80 | op;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}
