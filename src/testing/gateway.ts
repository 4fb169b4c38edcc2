import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { chatbotMessage, eventHeaders, newMessageId, type ChatbotSampleOptions } from './samples.js';

/**
 * An HTTP request the fake recorded (open calls, webhook replies, OpenAPI calls).
 *
 * @example
 * ```ts
 * const opens = gateway.requests.filter((r) => r.path === '/v1.0/gateway/connections/open');
 * ```
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  rawBody: string;
  at: number;
}

/**
 * An ack the fake received, with the connection it came on.
 *
 * @example
 * ```ts
 * const ack = await gateway.waitForAck(messageId);
 * JSON.parse(ack.data); // { response: ... } or { status: 'SUCCESS', ... }
 * ```
 */
export interface RecordedAck {
  connectionId: number;
  code: number;
  headers: Record<string, string>;
  message: string;
  data: string;
  raw: string;
}

/**
 * A route handler for extra HTTP endpoints (the fake OpenAPI registers its own).
 *
 * @example
 * ```ts
 * gateway.route('POST', '/v1.0/custom', () => ({ status: 200, body: { ok: true } }));
 * ```
 */
export type RouteHandler = (req: RecordedRequest) => { status: number; body?: unknown; headers?: Record<string, string> } | Promise<{ status: number; body?: unknown; headers?: Record<string, string> }>;

/**
 * A fault to inject into the open-connection endpoint.
 *
 * @example
 * ```ts
 * gateway.failOpen({ status: 503 }, 3); // the next three open calls answer 503
 * ```
 */
export type OpenFault = { status: number; body?: string } | 'timeout' | 'not-json' | 'no-ticket' | 'reset';

/**
 * What {@link FakeDingTalkGateway.tap} reports: a frame sent to a bot (`out`), an ack
 * received (`in`), an HTTP call answered (`http`), a socket opened or closed (`socket`).
 *
 * @example
 * ```ts
 * gateway.tap((e) => { if (e.dir === 'in') console.log('ack', e.ack.code); });
 * ```
 */
export type WireTap =
  | { dir: 'out'; connectionId: number; text: string }
  | { dir: 'in'; connectionId: number; ack: RecordedAck }
  | { dir: 'http'; request: RecordedRequest; status: number; body: unknown }
  | { dir: 'socket'; connectionId: number; event: 'open' | 'close' };

/**
 * A handler that answers a request itself (streaming, HTML): it gets Node's request and response.
 *
 * @example
 * ```ts
 * gateway.serve('GET', '/', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>hi</h1>'));
 * ```
 */
export type RawRouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * One client connection as the fake sees it.
 */
export interface FakeConnection {
  id: number;
  ticket: string;
  socket: WebSocket;
  tcp: Socket;
  openedAt: number;
  closedAt: number | null;
  /** WebSocket protocol pings received from the client; each is answered with a pong unless silent. */
  pings: number;
  /** A `disconnect` was sent: the real gateway stops pushing on such a socket. */
  goingAway: boolean;
  goingAwayAt: number | null;
  /**
   * Silent: nothing is sent on it, not even a pong (a zombie seen from the client, or the
   * gateway's wedged read loop of the "0723" incident, protocol.md §10.1).
   */
  silent: boolean;
  subscriptions: unknown;
}

/**
 * Options of {@link FakeDingTalkGateway}.
 *
 * @example
 * ```ts
 * new FakeDingTalkGateway({ clientId: 'id', clientSecret: 'secret', redeliverAfterMs: 500 });
 * ```
 */
export interface FakeGatewayOptions {
  clientId?: string;
  clientSecret?: string;
  /** Tickets expire after this long (real gateway: 90 s). */
  ticketTtlMs?: number;
  /** Unacked (or LATER) EVENT/CALLBACK frames are pushed again after this long (real: ~60 s); 0 = never. */
  redeliverAfterMs?: number;
  /** After a `disconnect` the socket is closed this long later (real: ~10 s). */
  disconnectCloseMs?: number;
  /** Send a SYSTEM ping on every connection this often; 0 = never. */
  pingIntervalMs?: number;
}

interface Pending {
  frame: { specVersion: string; type: string; headers: Record<string, string>; data: string };
  sentAt: number;
  deliveries: number;
}

/**
 * A fake DingTalk gateway on 127.0.0.1 that speaks the real Stream protocol over real
 * sockets: credential check on open (401 for wrong ones), single-use expiring tickets,
 * SYSTEM ping/disconnect, EVENT and CALLBACK pushes, redelivery of unacked messages, a
 * session webhook, recording of every request and ack, and fault injection (abrupt kills,
 * silence, failing open calls, rejected handshakes).
 *
 * @example
 * ```ts
 * import { FakeDingTalkGateway } from 'dingtalk-stream-universal/testing';
 * const gateway = await new FakeDingTalkGateway({ clientId: 'id', clientSecret: 'secret' }).listen();
 * const client = new DingTalkStreamClient({ clientId: 'id', clientSecret: 'secret', openApiHost: gateway.openApiHost });
 * ```
 */
export class FakeDingTalkGateway {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly requests: RecordedRequest[] = [];
  readonly acks: RecordedAck[] = [];
  readonly connections: FakeConnection[] = [];
  /** Frames pushed while no connection was usable; flushed to the next one. */
  readonly queue: Pending['frame'][] = [];
  private readonly options: Required<FakeGatewayOptions>;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly tickets = new Map<string, { expires: number; subscriptions: unknown }>();
  private readonly routes = new Map<string, RouteHandler>();
  private readonly rawRoutes = new Map<string, RawRouteHandler>();
  private readonly taps = new Set<(e: WireTap) => void>();
  private readonly pending = new Map<string, Pending>();
  private readonly ackWaiters = new Map<string, Array<(ack: RecordedAck) => void>>();
  private readonly changeWaiters = new Set<() => void>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private openFaults: OpenFault[] = [];
  private handshakeRejections = 0;
  private handshakeStalls = 0;
  private readonly stalled = new Set<Socket>();
  private opensInFlight = 0;
  /** The most open-connection calls that were ever in flight at once (two retry loops would show as 2+). */
  maxConcurrentOpens = 0;
  /** The most sockets that were ever open at once. */
  maxLive = 0;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private pinger: ReturnType<typeof setInterval> | undefined;
  private nextConnectionId = 1;
  private rr = 0;
  private port = 0;

  constructor(options: FakeGatewayOptions = {}) {
    this.options = {
      clientId: 'ding-test-client-id',
      clientSecret: 'test-client-secret-0123456789',
      ticketTtlMs: 90_000,
      redeliverAfterMs: 60_000,
      disconnectCloseMs: 10_000,
      pingIntervalMs: 0,
      ...options,
    };
    this.clientId = this.options.clientId;
    this.clientSecret = this.options.clientSecret;
    // pongs by hand (see onUpgrade), so that a silent connection can stop answering pings
    this.wss = new WebSocketServer({ noServer: true, autoPong: false });
    this.server = createServer((req, res) => {
      // a client that dies mid-request (a test killing it) must not become an unhandled rejection
      this.onHttp(req, res).catch(() => res.destroy());
    });
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket as Socket, head));
    this.route('POST', '/v1.0/gateway/connections/open', (req) => this.onOpen(req));
    this.route('POST', '/robot/sendBySession', () => ({ status: 200, body: { errcode: 0, errmsg: 'ok' } }));
  }

  /** Starts listening on 127.0.0.1 (a random free port unless one is given). */
  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    if (this.options.redeliverAfterMs > 0) {
      this.sweeper = setInterval(() => this.redeliver(), Math.max(20, Math.min(1000, this.options.redeliverAfterMs / 4)));
    }
    if (this.options.pingIntervalMs > 0) this.pinger = setInterval(() => this.live().forEach((c) => this.ping(c)), this.options.pingIntervalMs);
    return this;
  }

  /** `http://127.0.0.1:<port>`: pass it as the client's `openApiHost`. */
  get openApiHost(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A session webhook URL on this fake (replies land in {@link webhookCalls}). */
  sessionWebhook(session = 'local'): string {
    return `${this.openApiHost}/robot/sendBySession?session=${encodeURIComponent(session)}`;
  }

  /** Replies the bot posted to session webhooks. */
  get webhookCalls(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/robot/sendBySession');
  }

  /** Open-connection calls received. */
  get openCalls(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/v1.0/gateway/connections/open');
  }

  /** Registers (or replaces) an HTTP route. */
  route(method: string, path: string, handler: RouteHandler): void {
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
  }

  /** Registers a handler that answers with Node's response itself (no body is read first). */
  serve(method: string, path: string, handler: RawRouteHandler): void {
    this.rawRoutes.set(`${method.toUpperCase()} ${path}`, handler);
  }

  /** Reports every frame, ack, answered HTTP call and socket change; returns the unsubscribe function. */
  tap(listener: (e: WireTap) => void): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  /** Connections whose socket is open. */
  live(): FakeConnection[] {
    return this.connections.filter((c) => c.closedAt === null);
  }

  /** The next `count` open calls fail with `fault`. */
  failOpen(fault: OpenFault, count = 1): void {
    for (let i = 0; i < count; i++) this.openFaults.push(fault);
  }

  /** The next `count` WebSocket handshakes are refused with HTTP 403, even with a valid ticket. */
  rejectHandshakes(count: number): void {
    this.handshakeRejections = count;
  }

  /** The next `count` WebSocket handshakes get no answer at all (the client's handshake timeout must fire). */
  stallHandshakes(count: number): void {
    this.handshakeStalls = count;
  }

  /** Pushes a CALLBACK; returns its messageId. */
  pushCallback(topic: string, data: unknown, options: { messageId?: string; headers?: Record<string, string>; to?: FakeConnection } = {}): string {
    const messageId = options.messageId ?? newMessageId();
    const headers = { appId: '1305d5f5-0000-484f-0000-97d90000ef67', connectionId: '', contentType: 'application/json', messageId, time: String(Date.now()), topic, ...options.headers };
    this.push({ specVersion: '1.0', type: 'CALLBACK', headers, data: JSON.stringify(data) }, options.to);
    return messageId;
  }

  /** Pushes an EVENT; returns its messageId. */
  pushEvent(data: unknown, options: { messageId?: string; eventType?: string; to?: FakeConnection } = {}): string {
    const messageId = options.messageId ?? newMessageId();
    this.push({ specVersion: '1.0', type: 'EVENT', headers: { ...eventHeaders(options.eventType), messageId }, data: JSON.stringify(data) }, options.to);
    return messageId;
  }

  /** Pushes a chatbot text message whose session webhook points back at this fake. */
  pushChatbotMessage(text: string, options: Partial<ChatbotSampleOptions> & { messageId?: string; session?: string } = {}): string {
    const data = chatbotMessage({ ...options, text, sessionWebhook: options.sessionWebhook ?? this.sessionWebhook(options.session) });
    return this.pushCallback('/v1.0/im/bot/messages/get', data, { messageId: options.messageId });
  }

  /** Sends a raw text frame on a connection (for malformed-frame tests). */
  sendRaw(text: string, to: FakeConnection | undefined = this.pick()): boolean {
    if (!to || to.closedAt !== null) return false;
    this.send(to, text);
    return true;
  }

  /** Sends SYSTEM ping; returns its messageId. */
  ping(to: FakeConnection | undefined = this.pick(), data = { opaque: newMessageId() }): string {
    const messageId = newMessageId();
    if (to && !to.silent) this.send(to, JSON.stringify({ specVersion: '1.0', type: 'SYSTEM', headers: { topic: 'ping', messageId, contentType: 'application/json', time: String(Date.now()) }, data: JSON.stringify(data) }));
    return messageId;
  }

  /** Sends SYSTEM disconnect and closes the socket `disconnectCloseMs` later, like the real gateway. */
  disconnect(to: FakeConnection | undefined = this.pick(), closeAfterMs = this.options.disconnectCloseMs): void {
    if (!to || to.closedAt !== null) return;
    to.goingAway = true;
    to.goingAwayAt = Date.now();
    this.send(to, JSON.stringify({ specVersion: '1.0', type: 'SYSTEM', headers: { topic: 'disconnect', contentType: 'application/json', time: String(Date.now()) }, data: JSON.stringify({ reason: 'connection is expired' }) }));
    this.later(() => to.closedAt === null && to.socket.close(1000, 'connection is expired'), closeAfterMs);
  }

  /** Destroys the TCP connection with no close frame (a network failure). */
  kill(to: FakeConnection | undefined = this.pick()): void {
    to?.tcp.destroy();
  }

  /** Makes a connection silent: TCP stays up, nothing more is sent on it, pings go unanswered. */
  silence(to: FakeConnection | undefined = this.pick()): void {
    if (to) to.silent = true;
  }

  /** Resolves with the ack for `messageId` (the first one received). */
  waitForAck(messageId: string, timeoutMs = 5000): Promise<RecordedAck> {
    const found = this.acks.find((a) => a.headers.messageId === messageId);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for ${messageId} within ${timeoutMs} ms`)), timeoutMs);
      const list = this.ackWaiters.get(messageId) ?? [];
      list.push((ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      this.ackWaiters.set(messageId, list);
    });
  }

  /** Resolves when `predicate` holds, re-checked on every connection, ack or request. */
  waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.changeWaiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.changeWaiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.changeWaiters.add(check);
    });
  }

  /** Messages pushed but not yet acked with success. */
  get unacked(): string[] {
    return [...this.pending.keys()];
  }

  /** Stops everything this fake started: sockets, server, timers. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    clearInterval(this.pinger);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.connections) c.tcp.destroy();
    for (const tcp of this.stalled) tcp.destroy();
    this.wss.close();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private send(to: FakeConnection, text: string): void {
    to.socket.send(text);
    this.emit({ dir: 'out', connectionId: to.id, text });
  }

  private emit(e: WireTap): void {
    for (const listener of this.taps) {
      try {
        listener(e);
      } catch {
        /* a listener's bug must not break the fake */
      }
    }
  }

  private changed(): void {
    for (const w of [...this.changeWaiters]) w();
  }

  /** Round-robin over usable connections (open, not going away, not silent). */
  private pick(): FakeConnection | undefined {
    const usable = this.connections.filter((c) => c.closedAt === null && !c.goingAway);
    if (!usable.length) return undefined;
    return usable[this.rr++ % usable.length];
  }

  private push(frame: Pending['frame'], to?: FakeConnection): void {
    const id = frame.headers.messageId as string;
    this.pending.set(id, { frame, sentAt: Date.now(), deliveries: 0 });
    this.deliver(frame, to);
  }

  private deliver(frame: Pending['frame'], to: FakeConnection | undefined = this.pick()): void {
    const pending = this.pending.get(frame.headers.messageId as string);
    if (pending) {
      pending.sentAt = Date.now();
      pending.deliveries++;
    }
    if (!to || to.closedAt !== null) {
      this.queue.push(frame);
      return;
    }
    if (to.silent) return; // swallowed: redelivery will retry it elsewhere
    this.send(to, JSON.stringify({ ...frame, headers: { ...frame.headers, connectionId: `conn-${to.id}` } }));
  }

  private redeliver(): void {
    const cutoff = Date.now() - this.options.redeliverAfterMs;
    for (const p of this.pending.values()) {
      if (p.sentAt <= cutoff && !this.queue.includes(p.frame)) this.deliver(p.frame);
    }
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = this.rawRoutes.get(`${req.method ?? 'GET'} ${new URL(req.url ?? '/', 'http://127.0.0.1').pathname}`);
    if (raw) return raw(req, res);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let body: unknown = rawBody;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      /* keep the text */
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body, rawBody, at: Date.now() };
    this.requests.push(recorded);
    if (recorded.path === '/v1.0/gateway/connections/open') {
      // in flight until answered or abandoned by the client (a timed-out call counts until then)
      this.opensInFlight++;
      this.maxConcurrentOpens = Math.max(this.maxConcurrentOpens, this.opensInFlight);
      res.once('close', () => this.opensInFlight--);
    }
    this.changed();
    const handler = this.routes.get(`${recorded.method} ${recorded.path}`);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'NotFound', message: `no route ${recorded.method} ${recorded.path}` }));
      return;
    }
    try {
      const out = await handler(recorded);
      if (out.status === -1) return; // the handler took over (timeout / reset faults)
      const text = typeof out.body === 'string' ? out.body : out.body === undefined ? '' : JSON.stringify(out.body);
      res.writeHead(out.status, { 'content-type': 'application/json;charset=utf-8', ...out.headers }).end(text);
      this.emit({ dir: 'http', request: recorded, status: out.status, body: out.body });
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'InternalError', message: String(err) }));
    }
  }

  private onOpen(req: RecordedRequest): ReturnType<RouteHandler> {
    const fault = this.openFaults.shift();
    if (fault === 'timeout') return new Promise((resolve) => this.later(() => resolve({ status: -1 }), 30_000)); // no answer; the client's timeout fires
    if (fault === 'reset') {
      this.server.closeAllConnections?.();
      return { status: -1 };
    }
    if (fault === 'not-json') return { status: 200, body: '<html>busy</html>' };
    if (typeof fault === 'object') return { status: fault.status, body: fault.body ?? { code: 'Throttling', message: 'busy' } };
    const body = req.body as { clientId?: string; clientSecret?: string; subscriptions?: unknown } | undefined;
    if (!body || body.clientId !== this.clientId || body.clientSecret !== this.clientSecret) {
      return { status: 401, body: { code: 'InvalidAuthentication', message: 'clientId or clientSecret is invalid', requestid: newMessageId() } };
    }
    if (fault === 'no-ticket') return { status: 200, body: { endpoint: `ws://127.0.0.1:${this.port}/connect` } };
    const ticket = crypto.randomUUID();
    this.tickets.set(ticket, { expires: Date.now() + this.options.ticketTtlMs, subscriptions: body.subscriptions });
    return { status: 200, body: { endpoint: `ws://127.0.0.1:${this.port}/connect`, ticket } };
  }

  private onUpgrade(req: IncomingMessage, tcp: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket); // single use, whatever happens next
    const refuse = (status: number, text: string) => {
      tcp.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/connect') return refuse(404, 'Not Found');
    if (!entry || entry.expires < Date.now()) return refuse(401, 'Unauthorized');
    if (this.handshakeStalls > 0) {
      this.handshakeStalls--;
      this.stalled.add(tcp); // keep the TCP connection, never answer the upgrade
      tcp.on('close', () => this.stalled.delete(tcp));
      return;
    }
    if (this.handshakeRejections > 0) {
      this.handshakeRejections--;
      return refuse(403, 'Forbidden');
    }
    this.wss.handleUpgrade(req, tcp, head, (socket) => {
      const conn: FakeConnection = { id: this.nextConnectionId++, ticket, socket, tcp, openedAt: Date.now(), closedAt: null, goingAway: false, goingAwayAt: null, silent: false, pings: 0, subscriptions: entry.subscriptions };
      this.connections.push(conn);
      this.maxLive = Math.max(this.maxLive, this.live().length);
      socket.on('message', (raw) => this.onAck(conn, raw.toString()));
      socket.on('close', () => {
        conn.closedAt = Date.now();
        this.emit({ dir: 'socket', connectionId: conn.id, event: 'close' });
        this.changed();
      });
      socket.on('error', () => {});
      // the real gateway answers pings (gorilla's default, protocol.md §10.2)
      socket.on('ping', (data) => {
        conn.pings++;
        if (!conn.silent) socket.pong(data);
        this.changed();
      });
      this.emit({ dir: 'socket', connectionId: conn.id, event: 'open' });
      // flush what was queued while nobody was connected
      const queued = this.queue.splice(0);
      for (const frame of queued) this.deliver(frame, conn);
      this.changed();
    });
  }

  private onAck(conn: FakeConnection, raw: string): void {
    let parsed: { code?: number; headers?: Record<string, string>; message?: string; data?: string };
    try {
      parsed = JSON.parse(raw) as typeof parsed;
    } catch {
      return;
    }
    const ack: RecordedAck = { connectionId: conn.id, code: parsed.code ?? 0, headers: parsed.headers ?? {}, message: parsed.message ?? '', data: parsed.data ?? '', raw };
    this.acks.push(ack);
    this.emit({ dir: 'in', connectionId: conn.id, ack });
    const id = ack.headers.messageId;
    if (id) {
      const pending = this.pending.get(id);
      if (pending) {
        let later = false;
        try {
          later = (JSON.parse(ack.data) as { status?: string } | null)?.status === 'LATER';
        } catch {
          /* not JSON */
        }
        if (ack.code === 200 && !later) this.pending.delete(id);
      }
      const waiters = this.ackWaiters.get(id);
      if (waiters) {
        this.ackWaiters.delete(id);
        for (const w of waiters) w(ack);
      }
    }
    this.changed();
  }
}
