import type { Logger } from '../logger.js';
import { defer } from './abort.js';
import type { Platform, SocketLike } from '../platform.js';

/**
 * The life of one socket:
 * `connecting` → `open` → (`draining`) → `closed`. `draining` means a replacement is being
 * (or has been) opened: the socket still receives frames and sends their acks until the
 * server closes it or the drain timeout does. Every path out ends in {@link StreamConnection.close},
 * the one teardown.
 */
export type ConnectionState = 'connecting' | 'open' | 'draining' | 'closed';

/** Why a connection should be replaced while it still works (make-before-break). */
export type RetireReason = 'disconnect' | 'idle' | 'pong-timeout' | 'ttl' | 'clock-jump' | 'resubscribe';

/** Knobs and callbacks of one connection, all supplied by the supervisor. */
export interface ConnectionOptions {
  platform: Platform;
  url: string;
  id: number;
  logger: Logger;
  /**
   * `idleTimeoutMs`: no frame for this long while open → ask to be retired (zombie suspicion),
   * or, where the platform can ping, ping and ask only if no pong follows;
   * `clockJumpMs`: a wall clock that moved this much more than the monotonic one → liveness
   * check; `connectionTtlMs`: proactive rotation after this long open (0 = never).
   */
  settings: { idleTimeoutMs: number; clockJumpMs: number; connectionTtlMs: number };
  onMessage(conn: StreamConnection, text: unknown): void;
  onRetire(conn: StreamConnection, reason: RetireReason): void;
  onClosed(conn: StreamConnection, code: number, reason: string): void;
}

const OPEN = 1;
// How long a ping may wait for its pong: 5 s, as in the Go and Java SDKs and DingTalk's channel
// SDK. A shorter idle timeout shortens it too, so asking for fast detection gets it.
const PONG_WAIT_MS = 5_000;

/**
 * One WebSocket to the gateway: opening, the idle watchdog, the time-to-live, draining
 * and the single teardown path. It knows nothing about reconnecting; the supervisor does.
 */
export class StreamConnection {
  state: ConnectionState = 'connecting';
  readonly id: number;
  /** Resolves when the socket opens; rejects if it closes or errors first. */
  readonly opened: Promise<void>;
  /** Resolves once the socket is closed and every timer of this connection is cleared. */
  readonly closed: Promise<void>;
  /** Resolves when the connection starts draining: its replacement should open now. */
  readonly retired: Promise<void>;
  openedAt = 0;
  /** Why it was retired (make-before-break), once it was. */
  retiredFor: RetireReason | undefined;
  readonly #socket: SocketLike;
  #lastFrameAt = performance.now();
  /** When the last ping went out; it is unanswered while no frame or pong came after it. */
  #pingAt = 0;
  #lastWall = Date.now();
  #lastMono = performance.now();
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #ttlTimer: ReturnType<typeof setTimeout> | undefined;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  #killTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #open = defer();
  readonly #closed = defer();
  readonly #retired = defer();
  #closeInfo: { code: number; reason: string } | undefined;

  readonly #options: ConnectionOptions;
  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.id = options.id;
    this.opened = this.#open.promise;
    this.closed = this.#closed.promise;
    this.retired = this.#retired.promise;
    this.#socket = new options.platform.WebSocket(options.url);
    this.#socket.addEventListener('open', this.#onOpen);
    this.#socket.addEventListener('message', this.#onMessage);
    this.#socket.addEventListener('close', this.#onClose);
    this.#socket.addEventListener('error', this.#onError);
  }

  /** Sends a text frame if the socket is open; `false` otherwise (the gateway will redeliver). */
  send(text: string): boolean {
    if (this.#socket.readyState !== OPEN) return false;
    try {
      this.#socket.send(text);
      return true;
    } catch {
      return false;
    }
  }

  /** Keeps serving acks for up to `ms`, then closes (make-before-break). */
  drain(ms: number): void {
    if (this.state !== 'open' && this.state !== 'connecting') return;
    this.state = 'draining';
    this.#retired.resolve();
    this.#clearLiveness();
    this.#drainTimer = setTimeout(() => this.close(1000, 'drained'), ms);
  }

  /**
   * The one teardown: clears every timer, closes the socket (forcibly after a grace period
   * if the peer does not answer the close handshake) and settles `opened`/`closed`.
   */
  close(code = 1000, reason = 'client close'): void {
    if (this.state === 'closed') return;
    const wasConnecting = this.state === 'connecting';
    this.state = 'closed';
    this.#clearLiveness();
    clearTimeout(this.#drainTimer);
    this.#closeInfo = { code, reason };
    if (wasConnecting) this.#open.reject(new Error(reason));
    try {
      // WHATWG sockets accept only 1000 or 3000–4999 from a client; the real code is reported.
      this.#socket.close(1000, reason); // a reason too long for a close frame throws: caught
    } catch {
      /* already closing or closed */
    }
    // A peer that never answers the close handshake must not keep the process alive.
    this.#killTimer = setTimeout(() => this.#finish(), 2000);
  }

  #finish(): void {
    clearTimeout(this.#killTimer);
    if (!this.#closeInfo) return;
    try {
      // `ws` and Bun can drop the TCP connection at once; a WHATWG socket has no such method
      (this.#socket as { terminate?(): void }).terminate?.();
    } catch {
      /* already gone */
    }
    const { code, reason } = this.#closeInfo;
    this.#closeInfo = undefined;
    this.#closed.resolve();
    this.#options.onClosed(this, code, reason);
  }

  readonly #onOpen = () => {
    if (this.state !== 'connecting') return;
    this.state = 'open';
    this.openedAt = performance.now();
    this.#lastFrameAt = this.openedAt;
    this.#armWatchdog(this.#options.settings.idleTimeoutMs);
    if (this.#options.settings.connectionTtlMs > 0) this.#ttlTimer = setTimeout(() => this.#retire('ttl'), this.#options.settings.connectionTtlMs);
    this.#open.resolve();
  };

  readonly #onMessage = (event: { data: unknown }) => {
    if (this.state === 'closed') return;
    this.#lastFrameAt = performance.now();
    this.#options.onMessage(this, event.data);
  };

  // A pong proves the socket and the gateway's read loop alive, like any frame.
  readonly #onPong = () => {
    this.#lastFrameAt = performance.now();
  };

  readonly #onClose = (event: { code?: number; reason?: string }) => {
    if (this.state !== 'closed') {
      this.#options.logger.debug(`connection #${this.id} closed by peer (${event.code})`);
      this.close(event.code ?? 1006, event.reason || 'closed by peer');
    }
    this.#finish();
  };

  readonly #onError = (event: { message?: string }) => {
    // The close event follows with the details; before open, fail the handshake now, with
    // the socket's reason where it gives one (`ws`, undici: `Unexpected server response: 401`)
    if (this.state === 'connecting') this.close(1006, event.message || 'handshake failed');
  };

  #retire(reason: RetireReason): void {
    if (this.state !== 'open') return;
    this.#options.onRetire(this, reason);
  }

  /**
   * The idle watchdog: one timer, re-armed for the remaining time when frames came in
   * meanwhile (cheaper than resetting a timer per frame). Each tick also compares the wall
   * clock with the monotonic one: a jump (sleep/wake) triggers a liveness check at once.
   * Where the platform can ping, silence is not proof: the gateway answers pings even when
   * it has nothing to push (protocol.md §10.2), so a quiet socket is pinged and replaced only
   * if neither a pong nor a frame comes back. A quiet bot then never reconnects for nothing.
   */
  #armWatchdog(ms: number): void {
    const tick = Math.max(10, Math.min(ms, this.#options.settings.clockJumpMs / 2));
    this.#watchdog = setTimeout(() => {
      const mono = performance.now();
      const wall = Date.now();
      const skew = Math.abs(wall - this.#lastWall - (mono - this.#lastMono));
      this.#lastWall = wall;
      this.#lastMono = mono;
      if (skew >= this.#options.settings.clockJumpMs) return this.#retire('clock-jump');
      const { idleTimeoutMs } = this.#options.settings;
      const { ping } = this.#options.platform;
      let left = this.#lastFrameAt + idleTimeoutMs - mono;
      if (left <= 0 && ping) {
        if (this.#pingAt <= this.#lastFrameAt) {
          this.#pingAt = mono;
          try {
            ping(this.#socket, this.#onPong);
          } catch {
            // a socket already closing (`ws` throws then): no pong comes, so it is replaced
          }
        }
        left = this.#pingAt + Math.min(PONG_WAIT_MS, idleTimeoutMs) - mono;
        if (left <= 0) return this.#retire('pong-timeout');
      }
      if (left <= 0) return this.#retire('idle');
      this.#armWatchdog(left);
    }, tick);
  }

  #clearLiveness(): void {
    clearTimeout(this.#watchdog);
    clearTimeout(this.#ttlTimer);
  }
}
