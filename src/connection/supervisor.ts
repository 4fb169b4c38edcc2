import { ClientStoppedError, DingTalkStreamError, GatewayAuthError, GatewayError, InsecureTransportError, RedirectRefusedError } from '../errors.js';
import type { Logger, Redactor } from '../logger.js';
import type { Platform } from '../platform.js';
import { deadline, sleep } from './abort.js';
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
  return err instanceof GatewayAuthError || err instanceof InsecureTransportError || err instanceof RedirectRefusedError;
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
  /** Reconnect attempts so far (failed opens and dropped connections). */
  reconnectAttempts = 0;
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

  /**
   * Runs the slots until `signal` aborts; `opened` is called on every successful open (the
   * client resolves `start()` on the first). On abort every socket is closed at once, which
   * also ends each slot's wait; the returned promise settles when all are closed.
   */
  run(signal: AbortSignal, opened: () => void): Promise<void> {
    const closeAll = () => Promise.all([...this.#live].map((c) => (c.close(1000, 'client stopped'), c.closed)));
    signal.addEventListener('abort', closeAll, { once: true });
    const slots = Array.from({ length: Math.max(1, this.#settings.connections) }, (_, slot) => this.#runSlot(slot, signal, opened));
    return Promise.all(slots).then(closeAll).then(() => {});
  }

  /** Replaces a working connection without a gap (server `disconnect`, idle, TTL, …). */
  retire(conn: StreamConnection, reason: RetireReason): void {
    if (conn.state !== 'open') return;
    this.#logger.info(`connection #${conn.id}: ${reason}; replacing it (make-before-break)`);
    // at most one older draining socket per slot besides the one retiring now: the oldest goes first
    const draining = [...this.#live].filter((c) => c.state === 'draining');
    for (const old of draining.slice(0, Math.max(0, draining.length - this.#settings.connections))) old.close(1000, 'too many draining');
    conn.retiredFor = reason;
    conn.drain(this.#settings.drainTimeoutMs); // resolves conn.retired: its slot opens the successor
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
      let reason: string;
      let error: DingTalkStreamError | undefined;
      try {
        this.#hooks.onState('connecting', { slot, attempt });
        const conn = await this.#connectOnce(signal);
        opened();
        this.#hooks.onState('open', { slot, connectionId: conn.id });
        // retired (make-before-break) or closed; stop() closes it, so this wait ends on abort too
        const retired = await Promise.race([conn.retired.then(() => true), conn.closed.then(() => false)]);
        // a rotation the client asked for (TTL, new subscriptions) is planned, not trouble
        const stable = performance.now() - conn.openedAt >= this.#settings.stableAfterMs || conn.retiredFor === 'ttl' || conn.retiredFor === 'resubscribe';
        if (stable) attempt = 0;
        // make-before-break: the successor opens now, the old one drains. A connection retired
        // soon after it opened counts toward backoff from the second time on: a gateway that
        // sends `disconnect` to every new socket must not get hundreds of open calls a second.
        if (retired && (stable || attempt === 0)) {
          if (!stable) attempt = 1;
          continue;
        }
        reason = `connection #${conn.id} ${retired ? 'retired soon after it opened' : 'dropped'}`;
      } catch (err) {
        if (signal.aborted || err instanceof ClientStoppedError) return;
        if (isFatal(err)) return this.#hooks.onFatal(err);
        error = err instanceof DingTalkStreamError ? err : new GatewayError('OPEN_FAILED', String(err));
        this.#hooks.onError(error);
        reason = `connect failed (${error.message})`;
      }
      if (signal.aborted) return;
      const delay = this.#backoff(attempt++);
      this.reconnectAttempts++;
      this.#logger.warn(`${reason}; retry ${attempt} in ${delay} ms`);
      this.#hooks.onState('reconnecting', { slot, attempt, delay, error });
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
      settings: this.#settings,
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
    const giveUp = () => conn.close(1000, 'handshake aborted'); // rejects `opened`
    limit.signal.addEventListener('abort', giveUp);
    try {
      await conn.opened;
      return conn;
    } catch (err) {
      conn.close(1000, 'handshake failed');
      if (signal.aborted) throw new ClientStoppedError();
      // the deadline's signal aborted, the run's not: the time ran out
      if (limit.signal.aborted) throw new GatewayError('TIMEOUT', `Handshake with ${new URL(url).host} timed out after ${this.#settings.handshakeTimeoutMs} ms`);
      throw new GatewayError('HANDSHAKE_FAILED', `Handshake with ${new URL(url).host} failed: ${(err as Error).message}`, undefined, err);
    } finally {
      limit.signal.removeEventListener('abort', giveUp);
      limit.done();
    }
  }
}
