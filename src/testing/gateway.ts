import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DeliveryLedger, type PushedFrame, type PushRecord, type RedeliveryModel } from './deliveries.js';
import { foreignRequest, MAX_BODY_BYTES, MAX_UPLOAD_BYTES } from './guard.js';
import { chatbotMessage, eventHeaders, newMessageId, type ChatbotSampleOptions } from './samples.js';
import { subscribes } from './subscriptions.js';
import { loadUpgradeHandler, type ServerSocket, type UpgradeHandler } from './websocket-server.js';

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
  /** The body's bytes, for a multipart upload (files are binary; `rawBody` is their UTF-8 reading). */
  bytes?: Uint8Array;
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
export type RouteHandler = (req: RecordedRequest) => RouteAnswer | Promise<RouteAnswer>;

/**
 * A route's answer: `body` is sent as JSON, a string as is, bytes as bytes.
 *
 * @example
 * ```ts
 * const answer: RouteAnswer = { status: 200, body: new Uint8Array([1, 2]), headers: { 'content-type': 'application/octet-stream' } };
 * ```
 */
export interface RouteAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

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
 * What {@link FakeDingTalkGateway.tap} reports: a frame sent to a bot (`out`; a redelivery
 * says which push it redelivers and which redelivery it is, 1 for the first), an ack
 * received (`in`), an HTTP call answered (`http`), a socket opened or closed (`socket`), a
 * push whose redeliveries ran out (`gave-up`).
 *
 * @example
 * ```ts
 * gateway.tap((e) => { if (e.dir === 'in') console.log('ack', e.ack.code); });
 * ```
 */
export type WireTap =
  | { dir: 'out'; connectionId: number; text: string; redelivery?: { of: string; attempt: number } }
  | { dir: 'in'; connectionId: number; ack: RecordedAck }
  | { dir: 'http'; request: RecordedRequest; status: number; body: unknown }
  | { dir: 'socket'; connectionId: number; event: 'open' | 'close' }
  | { dir: 'gave-up'; push: PushRecord };

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
 * The server end of one connection, as far as tests use it (a `ws` socket underneath, or
 * the built-in one without `ws`; typed here so that the `/testing` types need no `@types/ws`).
 *
 * @example
 * ```ts
 * gateway.live()[0]!.socket.close(4000, 'bye');
 * ```
 */
export interface FakeSocket {
  readonly readyState: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
  /** Drops the TCP connection without a close frame. */
  terminate(): void;
}

/**
 * One client connection as the fake sees it.
 */
export interface FakeConnection {
  id: number;
  ticket: string;
  socket: FakeSocket;
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
  /** The `subscriptions` of the open call that issued its ticket: only those frames are pushed to it. */
  subscriptions: unknown;
}

/**
 * Options of {@link FakeDingTalkGateway}. By default it redelivers like production
 * (`../shared/protocol.md` §10.1): a frame not acked with success within 2 s is pushed again
 * under a new messageId, at most 3 times.
 *
 * @example
 * ```ts
 * new FakeDingTalkGateway({ clientId: 'id', clientSecret: 'secret', redeliverAfterMs: 500, maxRedeliveries: 1 });
 * new FakeDingTalkGateway({ redelivery: 'same-message-id', redeliverAfterMs: 60_000 }); // the fake's older model
 * ```
 */
export interface FakeGatewayOptions {
  clientId?: string;
  clientSecret?: string;
  /** Tickets expire after this long (real gateway: 90 s). */
  ticketTtlMs?: number;
  /**
   * How a frame not acked with success is redelivered: `'new-message-id'` (default), as
   * production does (`SPEC.md` §2.2 of DingTalk-Real-AI/dingtalk-channel-sdk-nodejs), or
   * `'same-message-id'`, the fake's older model (same messageId, unbounded, a late success
   * ack still counts), which no DingTalk behaves like.
   */
  redelivery?: RedeliveryModel;
  /**
   * The ack timeout: how long a delivery waits for its ack before the frame is redelivered
   * (production: about 2 s, the default; `'same-message-id'` defaults to 60 s); 0 = never redeliver.
   */
  redeliverAfterMs?: number;
  /**
   * Redeliveries of one push at most (default 3 with `'new-message-id'`, unbounded with
   * `'same-message-id'`). Production's count is undocumented.
   */
  maxRedeliveries?: number;
  /** After a `disconnect` the socket is closed this long later (real: ~10 s). */
  disconnectCloseMs?: number;
  /** Send a SYSTEM ping on every connection this often; 0 = never. */
  pingIntervalMs?: number;
  /**
   * The WebSocket endpoint the open call hands out (default `ws://127.0.0.1:<port>/connect`),
   * e.g. the `wss:` URL of a TLS front that forwards to this fake.
   */
  endpoint?: string;
}

/**
 * A fake DingTalk gateway on 127.0.0.1 that speaks the real Stream protocol over real
 * sockets: credential check on open (401 for wrong ones), single-use expiring tickets,
 * SYSTEM ping/disconnect, EVENT and CALLBACK pushes only to connections subscribed to them,
 * redelivery as production does it (after 2 s without a success ack, under a new messageId
 * with the same `msgId`/`eventId`, at most 3 times; see {@link FakeGatewayOptions}), a
 * session webhook, recording of every request, ack and delivery ({@link pushes}), and
 * fault injection (abrupt kills, silence, failing open calls, rejected handshakes).
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
  /** Frames pushed while no usable connection subscribed to them; flushed to the next one that does. */
  readonly queue: PushedFrame[] = [];
  private readonly options: Required<FakeGatewayOptions>;
  private readonly server: Server;
  /** The WebSocket handshake: `ws`'s, or the built-in one when `ws` is not installed (loaded by {@link listen}). */
  private upgrade: UpgradeHandler | undefined;
  private readonly tickets = new Map<string, { expires: number; subscriptions: unknown }>();
  private readonly routes = new Map<string, RouteHandler>();
  private readonly rawRoutes = new Map<string, RawRouteHandler>();
  private readonly taps = new Set<(e: WireTap) => void>();
  private readonly ledger: DeliveryLedger;
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
  private pinger: ReturnType<typeof setInterval> | undefined;
  private nextConnectionId = 1;
  private rr = 0;
  private port = 0;

  constructor(options: FakeGatewayOptions = {}) {
    const legacy = options.redelivery === 'same-message-id';
    this.options = {
      clientId: 'ding-test-client-id',
      clientSecret: 'test-client-secret-0123456789',
      ticketTtlMs: 90_000,
      redelivery: 'new-message-id',
      redeliverAfterMs: legacy ? 60_000 : 2_000,
      maxRedeliveries: legacy ? Infinity : 3,
      disconnectCloseMs: 10_000,
      pingIntervalMs: 0,
      endpoint: '',
      ...options,
    };
    this.ledger = new DeliveryLedger({
      model: this.options.redelivery,
      ackTimeoutMs: this.options.redeliverAfterMs,
      maxRedeliveries: this.options.maxRedeliveries,
      redeliver: (frame) => this.deliver(frame),
      gaveUp: (push) => {
        this.emit({ dir: 'gave-up', push });
        this.changed();
      },
    });
    this.clientId = this.options.clientId;
    this.clientSecret = this.options.clientSecret;
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
    this.upgrade ??= (await loadUpgradeHandler()).upgrade;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    if (this.options.pingIntervalMs > 0) this.pinger = setInterval(() => this.live().forEach((c) => this.ping(c)), this.options.pingIntervalMs);
    return this;
  }

  /** `http://127.0.0.1:<port>`: pass it as the client's `openApiHost`. */
  get openApiHost(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The WebSocket endpoint handed out by the open call. */
  private get endpoint(): string {
    return this.options.endpoint || `ws://127.0.0.1:${this.port}/connect`;
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

  /** Registers (or replaces) an HTTP route; a path ending in `/*` matches every path below it. */
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

  /** Pushes a CALLBACK to a connection subscribed to its topic (or `to`); returns its messageId. */
  pushCallback(topic: string, data: unknown, options: { messageId?: string; headers?: Record<string, string>; to?: FakeConnection } = {}): string {
    const messageId = options.messageId ?? newMessageId();
    const headers = { appId: '1305d5f5-0000-484f-0000-97d90000ef67', connectionId: '', contentType: 'application/json', messageId, time: String(Date.now()), topic, ...options.headers };
    this.push({ specVersion: '1.0', type: 'CALLBACK', headers, data: JSON.stringify(data) }, options.to);
    return messageId;
  }

  /**
   * Pushes an EVENT to a connection subscribed to EVENT (or `to`); returns its messageId.
   * Each push has its own `eventId` unless one is given (to push the same event twice).
   */
  pushEvent(data: unknown, options: { messageId?: string; eventType?: string; eventId?: string; to?: FakeConnection } = {}): string {
    const messageId = options.messageId ?? newMessageId();
    const headers = { ...eventHeaders(options.eventType), ...(options.eventId === undefined ? {} : { eventId: options.eventId }), messageId };
    this.push({ specVersion: '1.0', type: 'EVENT', headers, data: JSON.stringify(data) }, options.to);
    return messageId;
  }

  /**
   * Pushes a chatbot text message whose session webhook points back at this fake. Each push
   * has its own `msgId` unless one is given (to push the same message under two messageIds).
   */
  pushChatbotMessage(text: string, options: Partial<ChatbotSampleOptions> & { messageId?: string; session?: string } = {}): string {
    const data = chatbotMessage({ ...options, text, sessionWebhook: options.sessionWebhook ?? this.sessionWebhook(options.session) });
    return this.pushCallback('/v1.0/im/bot/messages/get', data, { messageId: options.messageId });
  }

  /**
   * Every push so far (EVENTs and CALLBACKs), oldest first, with each delivery's messageId
   * and time: how a test relates a redelivery to what it redelivers.
   */
  get pushes(): readonly PushRecord[] {
    return this.ledger.pushes;
  }

  /** The push that `messageId` belongs to: its first delivery's messageId, or any redelivery's. */
  pushOf(messageId: string): PushRecord | undefined {
    return this.ledger.get(messageId);
  }

  /** How many times a business id (`data.msgId` of a chatbot message, `headers.eventId` of an event) went out, over every push of it. */
  deliveryCount(businessId: string): number {
    return this.ledger.deliveryCount(businessId);
  }

  /** Acks received for the push of `messageId`, under any of its messageIds. */
  acksOf(messageId: string): RecordedAck[] {
    const ids = new Set(this.ledger.get(messageId)?.deliveries.map((d) => d.messageId) ?? [messageId]);
    return this.acks.filter((a) => ids.has(a.headers.messageId ?? ''));
  }

  /** Forgets settled pushes beyond the newest `keep` (for long-running sessions such as the simulator). */
  forgetPushes(keep: number): void {
    this.ledger.forget(keep);
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

  /**
   * Resolves with the ack for `messageId` (the first one received); with `anyDelivery`, the
   * first ack for that push under any of its messageIds (a redelivery's included).
   */
  waitForAck(messageId: string, timeoutMs = 5000, options: { anyDelivery?: boolean } = {}): Promise<RecordedAck> {
    if (options.anyDelivery) {
      const first = () => this.acksOf(messageId)[0];
      return this.waitFor(() => first() !== undefined, timeoutMs, `an ack for ${messageId} or a redelivery of it`).then(() => first()!);
    }
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

  /** Resolves when `predicate` holds, re-checked on every connection, ack, request and answer. */
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

  /** Pushes (by their first messageId) not acked with success: still pending, or given up. */
  get unacked(): string[] {
    return this.ledger.unacked();
  }

  /** Stops everything this fake started: sockets, server, timers. */
  async close(): Promise<void> {
    this.ledger.close();
    clearInterval(this.pinger);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.connections) c.tcp.destroy();
    for (const tcp of this.stalled) tcp.destroy();
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

  private send(to: FakeConnection, text: string, redelivery?: { of: string; attempt: number }): void {
    to.socket.send(text);
    this.emit(redelivery ? { dir: 'out', connectionId: to.id, text, redelivery } : { dir: 'out', connectionId: to.id, text });
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

  /** Round-robin over usable connections (open, not going away) subscribed to `frame`, if given. */
  private pick(frame?: PushedFrame): FakeConnection | undefined {
    const usable = this.connections.filter((c) => c.closedAt === null && !c.goingAway && (!frame || subscribes(c.subscriptions, frame)));
    if (!usable.length) return undefined;
    return usable[this.rr++ % usable.length];
  }

  private push(frame: PushedFrame, to?: FakeConnection): void {
    this.ledger.open(frame);
    this.deliver(frame, to);
  }

  /** Sends `frame` on `to` (an explicit target skips the subscription check), or queues it. */
  private deliver(frame: PushedFrame, to: FakeConnection | undefined = this.pick(frame)): void {
    if (!to || to.closedAt !== null) {
      this.queue.push(frame);
      return;
    }
    const messageId = frame.headers.messageId ?? '';
    this.ledger.sent(messageId, to.id); // its ack timeout starts now
    if (to.silent) return; // swallowed: redelivery will retry it elsewhere
    const push = this.ledger.get(messageId);
    const attempt = push ? push.deliveries.length - 1 : 0;
    this.send(to, JSON.stringify({ ...frame, headers: { ...frame.headers, connectionId: `conn-${to.id}` } }), push && attempt > 0 ? { of: push.messageId, attempt } : undefined);
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = this.rawRoutes.get(`${req.method ?? 'GET'} ${new URL(req.url ?? '/', 'http://127.0.0.1').pathname}`);
    if (raw) return raw(req, res);
    // the fake's DingTalk routes hand out tickets and tokens and draw replies: only for callers
    // on this machine, never for a web page (DNS rebinding, a cross-site form), bodies capped
    const refused = foreignRequest(req.headers);
    if (refused) return void res.writeHead(403, { 'content-type': 'text/plain' }).end(refused);
    const chunks: Buffer[] = [];
    let size = 0;
    // a media upload carries a file of up to 20 MB (DingTalk's largest)
    const multipart = String(req.headers['content-type']).startsWith('multipart/form-data');
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > (multipart ? MAX_UPLOAD_BYTES : MAX_BODY_BYTES)) return void res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end('request body too large');
      chunks.push(chunk as Buffer);
    }
    const bytes = Buffer.concat(chunks);
    const rawBody = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let body: unknown = rawBody;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      /* keep the text */
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body, rawBody, ...(multipart ? { bytes } : {}), at: Date.now() };
    this.requests.push(recorded);
    if (recorded.path === '/v1.0/gateway/connections/open') {
      // in flight until answered or abandoned by the client (a timed-out call counts until then)
      this.opensInFlight++;
      this.maxConcurrentOpens = Math.max(this.maxConcurrentOpens, this.opensInFlight);
      res.once('close', () => this.opensInFlight--);
    }
    this.changed();
    const handler = this.routes.get(`${recorded.method} ${recorded.path}`) ?? this.prefixRoute(recorded.method, recorded.path);
    if (!handler) {
      const body = { code: 'NotFound', message: `no route ${recorded.method} ${recorded.path}` };
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      this.emit({ dir: 'http', request: recorded, status: 404, body }); // an unserved call is on the wire too
      return;
    }
    try {
      const out = await handler(recorded);
      if (out.status === -1) return; // the handler took over (timeout / reset faults)
      const text = typeof out.body === 'string' || out.body instanceof Uint8Array ? out.body : out.body === undefined ? '' : JSON.stringify(out.body);
      res.writeHead(out.status, { 'content-type': 'application/json;charset=utf-8', ...out.headers }).end(text);
      this.emit({ dir: 'http', request: recorded, status: out.status, body: out.body });
      this.changed(); // waitFor on what was answered (the fake OpenAPI's records) sees it too
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'InternalError', message: String(err) }));
    }
  }

  /** The handler of the longest `/*` route that `path` falls under. */
  private prefixRoute(method: string, path: string): RouteHandler | undefined {
    let best: { length: number; handler: RouteHandler } | undefined;
    for (const [key, handler] of this.routes) {
      if (!key.endsWith('/*') || !key.startsWith(`${method} `)) continue;
      const prefix = key.slice(method.length + 1, -1);
      if (path.startsWith(prefix) && (!best || prefix.length > best.length)) best = { length: prefix.length, handler };
    }
    return best?.handler;
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
    if (fault === 'no-ticket') return { status: 200, body: { endpoint: this.endpoint } };
    const ticket = crypto.randomUUID();
    this.tickets.set(ticket, { expires: Date.now() + this.options.ticketTtlMs, subscriptions: body.subscriptions });
    return { status: 200, body: { endpoint: this.endpoint, ticket } };
  }

  private onUpgrade(req: IncomingMessage, tcp: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket); // single use, whatever happens next
    const refuse = (status: number, text: string) => {
      tcp.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/connect' || !this.upgrade) return refuse(404, 'Not Found');
    if (foreignRequest(req.headers)) return refuse(403, 'Forbidden'); // a web page must not connect as the bot
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
    this.upgrade(req, tcp, head, (socket: ServerSocket) => {
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
      // flush what was queued while no connection subscribed to it was usable
      const queued = this.queue.splice(0);
      for (const frame of queued) {
        if (subscribes(conn.subscriptions, frame)) this.deliver(frame, conn);
        else this.queue.push(frame);
      }
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
    const id = ack.headers.messageId;
    if (id) this.ledger.ack(ack); // before the tap, so listeners see the push settled
    this.emit({ dir: 'in', connectionId: conn.id, ack });
    if (id) {
      const waiters = this.ackWaiters.get(id);
      if (waiters) {
        this.ackWaiters.delete(id);
        for (const w of waiters) w(ack);
      }
    }
    this.changed();
  }
}
