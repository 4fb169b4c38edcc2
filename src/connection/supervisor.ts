import { ClientStoppedError, DingTalkStreamError, GatewayAuthError, GatewayError, InsecureTransportError } from '../errors.js';
import type { Logger, Redactor } from '../logger.js';
import type { Platform } from '../platform.js';
import { abortable, deadline, sleep } from './abort.js';
import { StreamConnection, type RetireReason } from './connection.js';
import { socketUrl, type Endpoint } from './gateway.js';
import { assertSecureUrl } from './transport.js';

/**
 * Tuning of the connection supervisor; defaults live in the client.
 */
export interface SupervisorSettings {
  /** Parallel connections to keep (the gateway spreads pushes across them). */
  connections: number;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  drainTimeoutMs: number;
  clockJumpMs: number;
  connectionTtlMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** A connection must stay up this long before the retry counter resets. */
  stableAfterMs: number;
}

/** What the supervisor reports to the client. */
export interface SupervisorHooks {
  getEndpoint(signal: AbortSignal): Promise<Endpoint>;
  onMessage(conn: StreamConnection, text: unknown): void;
  onState(event: 'connecting' | 'open' | 'reconnecting' | 'close', detail: Record<string, unknown>): void;
  onFatal(error: DingTalkStreamError): void;
  onError(error: DingTalkStreamError): void;
}

/** Errors that retrying cannot fix. */
function isFatal(err: unknown): err is DingTalkStreamError {
  return err instanceof GatewayAuthError || err instanceof InsecureTransportError;
}

/**
 * Decides which connections should exist. One retry loop per connection slot, each bound
 * to the abort signal of one `run()`: every await in the loop is abortable, so after
 * `stop()` no stale loop can ever open a socket again (the generation guard). Replacements
 * are make-before-break: a retired connection keeps acking while its successor opens.
 */
export class Supervisor {
  readonly #live = new Set<StreamConnection>();
  #nextId = 1;
  #retireWaiters = new Map<StreamConnection, () => void>();
  #reconnectAttempts = 0;
  #maxLive = 0;

  readonly #platform: Platform;
  readonly #settings: SupervisorSettings;
  readonly #hooks: SupervisorHooks;
  readonly #logger: Logger;
  readonly #redactor: Redactor;
  constructor(platform: Platform, settings: SupervisorSettings, hooks: SupervisorHooks, logger: Logger, redactor: Redactor) {
    this.#platform = platform;
    this.#settings = settings;
    this.#hooks = hooks;
    this.#logger = logger;
    this.#redactor = redactor;
  }

  /** Open sockets right now (open or draining). */
  get connections(): { open: number; draining: number; peak: number } {
    let open = 0;
    let draining = 0;
    for (const c of this.#live) {
      if (c.state === 'open') open++;
      else if (c.state === 'draining') draining++;
    }
    return { open, draining, peak: this.#maxLive };
  }

  get attempts(): number {
    return this.#reconnectAttempts;
  }

  /** Runs the slots until `signal` aborts; `onFirstOpen` fires once, on the first open socket. */
  run(signal: AbortSignal, onFirstOpen: () => void): Promise<void> {
    let first = true;
    const opened = () => {
      if (first) {
        first = false;
        onFirstOpen();
      }
    };
    const slots = Array.from({ length: Math.max(1, this.#settings.connections) }, (_, slot) => this.#runSlot(slot, signal, opened));
    return Promise.all(slots).then(() => this.#closeAll());
  }

  /** Replaces a working connection without a gap (server `disconnect`, idle, TTL, …). */
  retire(conn: StreamConnection, reason: RetireReason): void {
    if (conn.state !== 'open') return;
    this.#logger.info(`connection #${conn.id}: ${reason}; opening its replacement before closing it`);
    conn.drain(this.#settings.drainTimeoutMs);
    this.#retireWaiters.get(conn)?.();
  }

  /** Retires every open connection (e.g. to pick up new subscriptions). */
  rotateAll(reason: RetireReason): void {
    for (const c of [...this.#live]) this.retire(c, reason);
  }

  #backoff(attempt: number): number {
    // exponential with full jitter: uniform in [0, min(cap, base·2^attempt)]
    const ceiling = Math.min(this.#settings.backoffCapMs, this.#settings.backoffBaseMs * 2 ** Math.min(attempt, 20));
    return Math.round(Math.random() * ceiling);
  }

  async #runSlot(slot: number, signal: AbortSignal, opened: () => void): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      let conn: StreamConnection;
      try {
        this.#hooks.onState('connecting', { slot, attempt });
        conn = await this.#connectOnce(signal);
      } catch (err) {
        if (signal.aborted || err instanceof ClientStoppedError) return;
        if (isFatal(err)) return this.#hooks.onFatal(err);
        const error = err instanceof DingTalkStreamError ? err : new GatewayError('OPEN_FAILED', String(err));
        this.#hooks.onError(error);
        const delay = this.#backoff(attempt++);
        this.#reconnectAttempts++;
        this.#logger.warn(`connect failed (${error.message}); retry ${attempt} in ${delay} ms`);
        this.#hooks.onState('reconnecting', { slot, attempt, delay, error });
        if (!(await sleep(delay, signal).then(() => true, () => false))) return;
        continue;
      }
      opened();
      this.#hooks.onState('open', { slot, connectionId: conn.id });
      const retired = await this.#untilGone(conn, signal);
      if (signal.aborted) return;
      if (performance.now() - conn.openedAt >= this.#settings.stableAfterMs) attempt = 0;
      if (retired) continue; // make-before-break: the successor opens now, the old one drains
      const delay = this.#backoff(attempt++);
      this.#reconnectAttempts++;
      this.#logger.warn(`connection #${conn.id} dropped; reconnecting in ${delay} ms`);
      this.#hooks.onState('reconnecting', { slot, attempt, delay });
      if (!(await sleep(delay, signal).then(() => true, () => false))) return;
    }
  }

  /** One attempt: fresh ticket, socket, handshake with a deadline. */
  async #connectOnce(signal: AbortSignal): Promise<StreamConnection> {
    const endpoint = await this.#hooks.getEndpoint(signal);
    this.#redactor.add(endpoint.ticket);
    const url = socketUrl(endpoint);
    assertSecureUrl(url);
    if (signal.aborted) throw new ClientStoppedError();
    const conn = new StreamConnection({
      platform: this.#platform,
      url,
      id: this.#nextId++,
      logger: this.#logger,
      idleTimeoutMs: this.#settings.idleTimeoutMs,
      clockJumpMs: this.#settings.clockJumpMs,
      ttlMs: this.#settings.connectionTtlMs,
      onMessage: this.#hooks.onMessage,
      onRetire: (c, reason) => this.retire(c, reason),
      onClosed: (c, code, reason) => {
        this.#live.delete(c);
        this.#hooks.onState('close', { connectionId: c.id, code, reason });
      },
    });
    this.#live.add(conn);
    this.#maxLive = Math.max(this.#maxLive, this.#live.size);
    const limit = deadline(signal, this.#settings.handshakeTimeoutMs);
    try {
      await abortable(conn.opened, limit.signal);
      return conn;
    } catch (err) {
      conn.close(1000, 'handshake failed');
      if (signal.aborted) throw new ClientStoppedError();
      if (limit.timedOut()) throw new GatewayError('TIMEOUT', `WebSocket handshake timed out after ${this.#settings.handshakeTimeoutMs} ms.`);
      throw new GatewayError('HANDSHAKE_FAILED', 'WebSocket handshake was rejected or the socket failed before opening.', undefined, err);
    } finally {
      limit.done();
    }
  }

  /** Resolves `true` when the connection is retired, `false` when it closes, or on abort. */
  #untilGone(conn: StreamConnection, signal: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const done = (retired: boolean) => {
        this.#retireWaiters.delete(conn);
        signal.removeEventListener('abort', onAbort);
        resolve(retired);
      };
      const onAbort = () => done(false);
      if (conn.state === 'draining') return resolve(true); // retired before we got here
      this.#retireWaiters.set(conn, () => done(true));
      signal.addEventListener('abort', onAbort, { once: true });
      conn.closed.then(() => done(false));
    });
  }

  async #closeAll(): Promise<void> {
    const all = [...this.#live];
    for (const c of all) c.close(1000, 'client stopped');
    await Promise.all(all.map((c) => c.closed));
  }
}
