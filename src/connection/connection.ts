import { decide } from '../dispatch/policy.js';
import type { Logger } from '../logger.js';
import type { Platform, SocketLike } from '../platform.js';
import { ackFrame } from '../protocol/acks.js';
import { parseFrame, type ParseResult } from '../protocol/frames.js';

/**
 * The life of one socket: `connecting` → `open` → (`draining`: a replacement is opening, this one still acks) → `closed`. Every path out ends in {@link
 * StreamConnection.close}.
 */
export type ConnectionState = 'connecting' | 'open' | 'draining' | 'closed';
/** Why a connection is replaced while it still works (make-before-break). */
export type RetireReason = 'disconnect' | 'idle' | 'pong-timeout' | 'ttl' | 'clock-jump' | 'resubscribe';
/** What a connection needs from its supervisor, shared by all its connections (none holds options or callbacks of its own). */
export interface ConnectionHost {
  readonly platform: Platform;
  readonly logger: Logger;
  readonly settings: { idleTimeoutMs: number; clockJumpMs: number; connectionTtlMs: number; maxFrameSize: number };
  /** An EVENT or CALLBACK frame, or one that could not be parsed (`size`: its length). */ onMessage(conn: StreamConnection, parsed: ParseResult, size: number): void;
  /** Asks for `conn` to be replaced (make-before-break). */ retire(conn: StreamConnection, reason: RetireReason): void;
  /** `conn` is gone: its socket closed and every timer of it cleared. */ onClosed(conn: StreamConnection, code: number, reason: string): void;
}
const OPEN = 1;
// How long a ping waits for its pong: 5 s, as in the Go and Java SDKs (less if idleTimeoutMs is)
const PONG_WAIT_MS = 5_000;
/**
 * One WebSocket to the gateway: the handshake, SYSTEM frames (ping, disconnect), the idle watchdog, the time-to-live, draining and the one teardown.
 * Reconnecting is the supervisor's.
 */
export class StreamConnection {
  state: ConnectionState = 'connecting';
  readonly id: number;
  openedAt = 0;
  /** Why it was retired, once it was. */ retiredFor: RetireReason | undefined;
  /** The supervisor's: the run that opened it, its slot while it is the one kept open, the slot's retry count then. */ run: object | undefined;
  slot: number | undefined;
  attempt = 0;
  readonly #socket: SocketLike;
  #lastFrameAt = performance.now();
  /** When the last ping went out; unanswered while no frame or pong came after it. */ #pingAt = 0;
  /** Wall clock minus monotonic at the last tick: when it moves, the wall clock jumped (sleep/wake). */ #clockOffset = Date.now() - performance.now();
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  /** The state's timer: time-to-live while open, drain timeout while draining, kill timeout once closed. */ #timer: ReturnType<typeof setTimeout> | undefined;
  /** Settles the handshake (with an error: it failed) while one is awaited. */ #handshake: ((error?: Error) => void) | undefined;
  #closeInfo: { code: number; reason: string } | undefined;
  readonly #host: ConnectionHost;
  constructor(host: ConnectionHost, url: string, id: number) {
    this.#host = host;
    this.id = id;
    this.#socket = new host.platform.WebSocket(url);
    for (const type of ['open', 'message', 'close', 'error'] as const) this.#socket.addEventListener(type, this.#onEvent);
  }
  /** Resolves when the socket opens, rejects if it closes first. Called once, right after construction. */
  handshake(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#handshake = (error) => {
        this.#handshake = undefined; // let go of the promise's functions once settled
        if (error) reject(error);
        else resolve();
      };
    });
  }
  /** Sends a text frame if the socket is open; `false` otherwise (the gateway redelivers). */
  send(text: string): boolean {
    if (this.#socket.readyState !== OPEN) return false;
    try {
      this.#socket.send(text);
      return true;
    } catch {
      return false;
    }
  }
  /** Keeps acking for up to `ms`, then closes. Only an open connection drains. */
  drain(ms: number): void {
    if (this.state !== 'open') return;
    this.state = 'draining';
    this.#clearTimers();
    this.#timer = setTimeout(() => this.close(1000, 'drained'), ms);
  }
  /** The one teardown: clears every timer, closes the socket (forcibly if the peer never answers) and tells the host once it is gone. */
  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.#clearTimers();
    this.#closeInfo = { code, reason };
    this.#handshake?.(new Error(reason));
    try {
      // WHATWG sockets accept only 1000 or 3000–4999 from a client; the real code is reported
      this.#socket.close(1000, reason);
    } catch {
      /* already closing, or a reason too long for a close frame */
    }
    this.#timer = setTimeout(() => this.#finish(), 2000);
  }
  #finish(): void {
    clearTimeout(this.#timer);
    if (!this.#closeInfo) return;
    try {
      (this.#socket as { terminate?(): void }).terminate?.(); // `ws` and Bun drop the TCP connection at once
    } catch {
      /* already gone */
    }
    const { code, reason } = this.#closeInfo;
    this.#closeInfo = undefined;
    this.#host.onClosed(this, code, reason);
  }
  /** The one listener of the socket's four events, told apart by `type` (no closure per event). */
  readonly #onEvent = (event: { type: string; data?: unknown; code?: number; reason?: string; message?: string }) => {
    if (event.type === 'message') this.#onMessage(event.data);
    else if (event.type === 'open') this.#onOpen();
    else if (event.type === 'close') this.#onClose(event);
    // before open an error fails the handshake now, with the socket's reason where it gives one
    else if (this.state === 'connecting') this.close(1006, event.message || 'handshake failed');
  };
  #onOpen(): void {
    if (this.state !== 'connecting') return;
    this.state = 'open';
    this.openedAt = this.#lastFrameAt = performance.now();
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
    // a ping is answered with its data; a disconnect retires this socket, which acks on while its successor opens
    const { headers, rawData, data: body } = parsed.frame;
    if (headers.messageId) this.send(ackFrame(headers.messageId, decide('SYSTEM', 'after', 'received', rawData).ack!));
    if (headers.topic === 'disconnect') {
      const reason = (body as { reason?: unknown } | null)?.reason;
      this.#host.logger.info(`gateway asked to reconnect${typeof reason === 'string' ? ` (${reason})` : ''}`);
      this.#host.retire(this, 'disconnect');
    } else if (headers.topic !== 'ping') this.#host.logger.debug(`SYSTEM ${headers.topic}`);
  }
  /** A pong proves the socket and the gateway alive, like any frame. */
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
  /**
   * The idle watchdog: one timer, re-armed for the time left (no reset per frame). Each tick also compares the wall clock with the monotonic one: a jump
   * (sleep/wake) retires the socket. Where the platform can ping, silence is no proof (the gateway answers pings when it has nothing to push, protocol.md
   * §10.2): a quiet socket is pinged, and replaced only if nothing comes back.
   */
  #armWatchdog(ms: number): void {
    this.#watchdog = setTimeout(this.#onWatchdog, Math.max(10, Math.min(ms, this.#host.settings.clockJumpMs / 2)));
  }
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
          // a socket already closing (`ws` throws): no pong comes, so it is replaced
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
