import type { Logger } from '../logger.js';
import type { Platform, SocketLike } from '../platform.js';
import { decide } from '../dispatch/policy.js';
import { ackFrame } from '../protocol/acks.js';
import { parseFrame, type ParseResult } from '../protocol/frames.js';

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

/**
 * What a connection needs from its supervisor: one object (the supervisor itself) shared by
 * all of its connections, so a connection holds no options or callbacks of its own.
 */
export interface ConnectionHost {
  readonly platform: Platform;
  readonly logger: Logger;
  /**
   * `idleTimeoutMs`: no frame for this long while open → ask to be retired (zombie suspicion),
   * or, where the platform can ping, ping and ask only if no pong follows;
   * `clockJumpMs`: a wall clock that moved this much more than the monotonic one → liveness
   * check; `connectionTtlMs`: proactive rotation after this long open (0 = never).
   */
  readonly settings: { idleTimeoutMs: number; clockJumpMs: number; connectionTtlMs: number; maxFrameSize: number };
  /** An EVENT or CALLBACK frame, or one that could not be parsed (`size`: its length). */
  onMessage(conn: StreamConnection, parsed: ParseResult, size: number): void;
  /** Asks for `conn` to be replaced (make-before-break). */
  retire(conn: StreamConnection, reason: RetireReason): void;
  /** `conn` is gone: its socket is closed and every timer of it cleared. */
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
  openedAt = 0;
  /** Why it was retired (make-before-break), once it was. */
  retiredFor: RetireReason | undefined;
  // the supervisor's bookkeeping
  /** The supervisor's run that opened it (compared by identity). */
  run: object | undefined;
  /** The supervisor's slot while this connection is the one it keeps open; `undefined` before and after. */
  slot: number | undefined;
  /** The slot's retry count when this connection opened. */
  attempt = 0;
  readonly #socket: SocketLike;
  #lastFrameAt = performance.now();
  /** When the last ping went out; it is unanswered while no frame or pong came after it. */
  #pingAt = 0;
  /** The wall clock minus the monotonic one at the last watchdog tick: if it moves, the wall clock jumped (sleep/wake). */
  #clockOffset = Date.now() - performance.now();
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  /** The timer of the state: the time-to-live while open, the drain timeout while draining, the kill timeout once closed. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Settles the handshake (an error: it failed), while one is awaited. */
  #handshake: ((error?: Error) => void) | undefined;
  #closeInfo: { code: number; reason: string } | undefined;

  readonly #host: ConnectionHost;
  constructor(host: ConnectionHost, url: string, id: number) {
    this.#host = host;
    this.id = id;
    this.#socket = new host.platform.WebSocket(url);
    for (const type of ['open', 'message', 'close', 'error'] as const) this.#socket.addEventListener(type, this.#onEvent);
  }

  /**
   * Resolves when the socket opens; rejects with the reason if it closes first. Called once,
   * right after construction: the socket reports nothing before then.
   */
  handshake(): Promise<void> {
    return new Promise((resolve, reject) => {
      // settled once, then let go (the promise's functions would stay for the connection's life)
      this.#handshake = (error) => {
        this.#handshake = undefined;
        if (error) reject(error);
        else resolve();
      };
    });
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

  /** Keeps serving acks for up to `ms`, then closes (make-before-break). Only an open connection drains. */
  drain(ms: number): void {
    if (this.state !== 'open') return;
    this.state = 'draining';
    this.#clearTimers();
    this.#timer = setTimeout(() => this.close(1000, 'drained'), ms);
  }

  /**
   * The one teardown: clears every timer, closes the socket (forcibly after a grace period
   * if the peer does not answer the close handshake) and tells the host once the socket is gone.
   */
  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.#clearTimers();
    this.#closeInfo = { code, reason };
    this.#handshake?.(new Error(reason)); // closed before it opened: the handshake failed
    try {
      // WHATWG sockets accept only 1000 or 3000–4999 from a client; the real code is reported.
      this.#socket.close(1000, reason); // a reason too long for a close frame throws: caught
    } catch {
      /* already closing or closed */
    }
    // A peer that never answers the close handshake must not keep the process alive.
    this.#timer = setTimeout(() => this.#finish(), 2000);
  }

  #finish(): void {
    clearTimeout(this.#timer);
    if (!this.#closeInfo) return;
    try {
      // `ws` and Bun can drop the TCP connection at once; a WHATWG socket has no such method
      (this.#socket as { terminate?(): void }).terminate?.();
    } catch {
      /* already gone */
    }
    const { code, reason } = this.#closeInfo;
    this.#closeInfo = undefined;
    this.#host.onClosed(this, code, reason);
  }

  /**
   * The one listener of the socket's four events, told apart by their `type` (WHATWG events
   * carry it, and so do those of `ws`): a closure per event would cost ~60 bytes more per connection.
   */
  readonly #onEvent = (event: { type: string; data?: unknown; code?: number; reason?: string; message?: string }) => {
    if (event.type === 'message') this.#onMessage(event.data);
    else if (event.type === 'open') this.#onOpen();
    else if (event.type === 'close') this.#onClose(event);
    else this.#onError(event);
  };

  #onOpen(): void {
    if (this.state !== 'connecting') return;
    this.state = 'open';
    this.openedAt = performance.now();
    this.#lastFrameAt = this.openedAt;
    const { idleTimeoutMs, connectionTtlMs } = this.#host.settings;
    this.#armWatchdog(idleTimeoutMs);
    if (connectionTtlMs > 0) this.#timer = setTimeout(() => this.#host.retire(this, 'ttl'), connectionTtlMs);
    this.#handshake?.();
  }

  #onMessage(data: unknown): void {
    if (this.state === 'closed') return;
    this.#lastFrameAt = performance.now();
    const parsed = parseFrame(data, this.#host.settings.maxFrameSize);
    if (!parsed.ok || parsed.frame.type !== 'SYSTEM') return this.#host.onMessage(this, parsed, typeof data === 'string' ? data.length : 0);
    // SYSTEM frames belong to the connection: a ping is answered with its data, a disconnect
    // retires this socket (make-before-break: it keeps acking while its successor opens)
    const { headers, rawData, data: body } = parsed.frame;
    if (headers.messageId) this.send(ackFrame(headers.messageId, decide('SYSTEM', 'after', 'received', rawData).ack!));
    if (headers.topic === 'disconnect') {
      const reason = (body as { reason?: unknown } | null)?.reason;
      this.#host.logger.info(`gateway asked to reconnect${typeof reason === 'string' ? ` (${reason})` : ''}`);
      this.#host.retire(this, 'disconnect');
    } else if (headers.topic !== 'ping') this.#host.logger.debug(`SYSTEM ${headers.topic}`);
  }

  // A pong proves the socket and the gateway's read loop alive, like any frame.
  readonly #onPong = () => {
    this.#lastFrameAt = performance.now();
  };

  #onClose(event: { code?: number; reason?: string }): void {
    if (this.state !== 'closed') {
      this.#host.logger.debug(`connection #${this.id} closed by peer (${event.code})`);
      this.close(event.code ?? 1006, event.reason || 'closed by peer');
    }
    this.#finish();
  }

  #onError(event: { message?: string }): void {
    // The close event follows with the details; before open, fail the handshake now, with
    // the socket's reason where it gives one (`ws`, undici: `Unexpected server response: 401`)
    if (this.state === 'connecting') this.close(1006, event.message || 'handshake failed');
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
    this.#watchdog = setTimeout(this.#onWatchdog, Math.max(10, Math.min(ms, this.#host.settings.clockJumpMs / 2)));
  }

  // one callback for every tick of this connection's watchdog (none created per tick)
  readonly #onWatchdog = () => {
    const mono = performance.now();
    const offset = Date.now() - mono;
    const skew = Math.abs(offset - this.#clockOffset);
    this.#clockOffset = offset;
    const { clockJumpMs, idleTimeoutMs } = this.#host.settings;
    if (skew >= clockJumpMs) return this.#host.retire(this, 'clock-jump');
    const { ping } = this.#host.platform;
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
      if (left <= 0) return this.#host.retire(this, 'pong-timeout');
    }
    if (left <= 0) return this.#host.retire(this, 'idle');
    this.#armWatchdog(left);
  };

  #clearTimers(): void {
    clearTimeout(this.#watchdog);
    clearTimeout(this.#timer);
  }
}
