import { ClientStoppedError, DingTalkStreamError, GatewayAuthError, GatewayError, InsecureTransportError, RedirectRefusedError } from '../errors.js';
import type { Logger, Redactor } from '../logger.js';
import type { Platform } from '../platform.js';
import type { ParseResult } from '../protocol/frames.js';
import { deadline } from './abort.js';
import { StreamConnection, type ConnectionHost, type RetireReason } from './connection.js';
import { socketUrl, type Endpoint } from './gateway.js';
import { assertSecureUrl } from './transport.js';

/** The supervisor's settings, from the client's. */
export type SupervisorSettings = Record<'connections' | 'handshakeTimeoutMs' | 'idleTimeoutMs' | 'drainTimeoutMs' | 'clockJumpMs' | 'connectionTtlMs' | 'backoffBaseMs' | 'backoffCapMs' | 'stableAfterMs' | 'maxFrameSize', number>;
/** What the supervisor asks of the client, and reports to it. */
export interface SupervisorHooks {
  getEndpoint(signal: AbortSignal): Promise<Endpoint>;
  /** A step of a connection's life, with the slot and connection it concerns. */ onState(event: 'connecting' | 'open' | 'reconnecting' | 'close', detail: Record<string, unknown>): void;
  /** A connect failed: `error` is retried with backoff, `fatal` no retry fixes (the run is over). */ onState(event: 'error' | 'fatal', error: DingTalkStreamError): void;
}
/** Where frames go: the client's router. */
export interface FrameHandler {
  handle(conn: StreamConnection, parsed: ParseResult, size: number): void;
}
/** One run, from `start()` to `stop()`: the connect loops running, what aborts their waits (none while no loop runs), and `stop()`'s resolve. */
interface Run {
  loops: number;
  controller: AbortController | undefined;
  stopped: (() => void) | undefined;
}
/**
 * Decides which connections should exist. Each slot runs a connect loop (open call, handshake, backoff) until a connection opens; when that connection is
 * retired or dropped, the loop runs again for its successor, so an open connection waits on nothing. Every await of a loop is abortable, and a connection's end
 * starts a loop only while its run is the current one: after `stop()` no stale loop can open a socket (the generation guard). Replacements are
 * make-before-break: a retired connection keeps acking while its successor opens.
 */
export class Supervisor implements ConnectionHost {
  /** Every socket not yet closed (an array of its exact length, replaced on change). */ #live: StreamConnection[] = [];
  #run: Run | undefined;
  #nextId = 1;
  /** Reconnect attempts so far (failed opens and dropped connections). */ reconnectAttempts = 0;
  #maxLive = 0;
  readonly #hooks: SupervisorHooks;
  readonly #router: FrameHandler;
  readonly #redactor: Redactor;
  constructor(
    readonly platform: Platform,
    readonly settings: SupervisorSettings,
    hooks: SupervisorHooks,
    router: FrameHandler,
    readonly logger: Logger,
    redactor: Redactor,
  ) {
    this.#hooks = hooks;
    this.#router = router;
    this.#redactor = redactor;
  }
  /** Open sockets right now (open or draining), and the most there ever were at once. */
  get connections(): { open: number; draining: number; peak: number } {
    let open = 0;
    let draining = 0;
    for (const c of this.#live) {
      if (c.state === 'open') open++;
      else if (c.state === 'draining') draining++;
    }
    return { open, draining, peak: this.#maxLive };
  }
  /** Starts a connect loop for every slot. */
  start(): void {
    const run: Run = (this.#run = { loops: 0, controller: undefined, stopped: undefined });
    for (let slot = 0; slot < Math.max(1, this.settings.connections); slot++) void this.#connect(run, slot, 0);
  }
  /** Ends the current run: aborts its loops, closes its sockets; resolves when every loop returned and every socket is closed. */
  stop(): Promise<void> {
    const run = this.#run;
    this.#run = undefined;
    if (!run) return Promise.resolve();
    run.controller?.abort();
    for (const c of this.#live) if (c.run === run) c.close(1000, 'client stopped');
    return new Promise((resolve) => {
      run.stopped = resolve;
      this.#settle(run);
    });
  }
  /** Replaces a working connection without a gap (server `disconnect`, idle, TTL, …). */
  retire(conn: StreamConnection, reason: RetireReason): void {
    if (conn.state !== 'open') return;
    this.logger.info(`connection #${conn.id}: ${reason}; replacing it (make-before-break)`);
    // at most one older draining socket per slot besides this one: the oldest go first
    const draining = this.#live.filter((c) => c.state === 'draining');
    for (const old of draining.slice(0, Math.max(0, draining.length - this.settings.connections))) old.close(1000, 'too many draining');
    conn.retiredFor = reason;
    conn.drain(this.settings.drainTimeoutMs);
    this.#ended(conn);
  }
  /** Retires every open connection (e.g. to pick up new subscriptions). */
  rotateAll(reason: RetireReason): void {
    for (const c of this.#live) this.retire(c, reason);
  }
  onMessage(conn: StreamConnection, parsed: ParseResult, size: number): void {
    this.#router.handle(conn, parsed, size);
  }
  onClosed(conn: StreamConnection, code: number, reason: string): void {
    this.#live = this.#live.filter((c) => c !== conn);
    this.#hooks.onState('close', { connectionId: conn.id, code, reason });
    this.#ended(conn);
    this.#settle(conn.run as Run);
  }
  #settle(run: Run): void {
    if (run.stopped && !run.loops && !this.#live.some((c) => c.run === run)) run.stopped();
  }
  /**
   * The slot's connection was retired or dropped: the slot's loop runs again. After a planned rotation or a stable connection the successor opens at once, else
   * it counts toward backoff; a connection retired soon after it opened counts from the second time on (a gateway that sends `disconnect` to every new socket
   * must not get an open call per instant).
   */
  #ended(conn: StreamConnection): void {
    const { slot, retiredFor } = conn;
    const run = this.#run;
    if (slot === undefined || !run || conn.run !== run) return;
    conn.slot = undefined; // its successor is on its way: this one's end is no longer news
    const stable = performance.now() - conn.openedAt >= this.settings.stableAfterMs || retiredFor === 'ttl' || retiredFor === 'resubscribe';
    const attempt = stable ? 0 : conn.attempt;
    if (retiredFor && (stable || !attempt)) void this.#connect(run, slot, stable ? 0 : 1);
    else void this.#connect(run, slot, attempt, `connection #${conn.id} ${retiredFor ? 'retired soon after it opened' : 'dropped'}`);
  }
  /** A slot's connect loop: the backoff when there is a `reason` to wait, then an attempt, until a connection opens or the run ends. */
  async #connect(run: Run, slot: number, attempt: number, reason?: string): Promise<void> {
    let error: DingTalkStreamError | undefined;
    run.loops++;
    const { signal } = (run.controller ??= new AbortController());
    try {
      for (;;) {
        if (reason) {
          // exponential with full jitter: uniform in [0, min(cap, base·2^attempt)]
          const delay = Math.round(Math.random() * Math.min(this.settings.backoffCapMs, this.settings.backoffBaseMs * 2 ** Math.min(attempt++, 20)));
          this.reconnectAttempts++;
          this.logger.warn(`${reason}; retry ${attempt} in ${delay} ms`);
          this.#hooks.onState('reconnecting', { slot, attempt, delay, error });
          const wait = deadline(signal, delay);
          await new Promise((resolve) => wait.signal.addEventListener('abort', resolve));
          wait.done();
          if (signal.aborted) return;
        }
        try {
          this.#hooks.onState('connecting', { slot, attempt });
          const conn = await this.#connectOnce(run, signal);
          this.#hooks.onState('open', { slot, connectionId: conn.id });
          conn.slot = slot;
          conn.attempt = attempt;
          if (conn.state !== 'open') this.#ended(conn); // gone already while its open was reported
          return;
        } catch (err) {
          if (signal.aborted || err instanceof ClientStoppedError) return;
          if (err instanceof GatewayAuthError || err instanceof InsecureTransportError || err instanceof RedirectRefusedError) return this.#hooks.onState('fatal', err);
          error = err instanceof DingTalkStreamError ? err : new GatewayError('OPEN_FAILED', String(err));
          this.#hooks.onState('error', error);
          reason = `connect failed (${error.message})`;
        }
      }
    } finally {
      if (!--run.loops) run.controller = undefined;
      this.#settle(run);
    }
  }
  /** One attempt: a fresh ticket (single-use, never cached), the socket, the handshake within its deadline. */
  async #connectOnce(run: Run, signal: AbortSignal): Promise<StreamConnection> {
    const endpoint = await this.#hooks.getEndpoint(signal);
    this.#redactor.add(endpoint.ticket);
    const url = socketUrl(endpoint);
    const { host } = assertSecureUrl(url);
    if (signal.aborted) throw new ClientStoppedError();
    const conn = new StreamConnection(this, url, this.#nextId++);
    conn.run = run;
    this.#live = this.#live.concat(conn);
    this.#maxLive = Math.max(this.#maxLive, this.#live.length);
    const limit = deadline(signal, this.settings.handshakeTimeoutMs);
    limit.signal.addEventListener('abort', () => conn.close(1000, 'handshake aborted'));
    try {
      await conn.handshake();
      return conn;
    } catch (err) {
      conn.close(1000, 'handshake failed');
      if (signal.aborted) throw new ClientStoppedError();
      if (limit.signal.aborted) throw new GatewayError('TIMEOUT', `Handshake with ${host} timed out after ${this.settings.handshakeTimeoutMs} ms`);
      throw new GatewayError('HANDSHAKE_FAILED', `Handshake with ${host} failed: ${(err as Error).message}`, undefined, err);
    } finally {
      limit.done();
    }
  }
}
