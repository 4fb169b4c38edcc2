/**
 * The minimal WebSocket the core needs: the WHATWG shape, which the global `WebSocket` of
 * Deno, Bun, workerd and Node 22+ has, and so does `ws`. As in WHATWG, every event a listener
 * gets carries its `type` (the client listens with one function and tells events apart by it).
 */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: any) => void): void;
  removeEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: any) => void): void;
}

/**
 * Everything runtime-specific the core uses, handed in by an adapter. The core itself only
 * touches WHATWG globals through this object, so a runtime is swapped by swapping it.
 *
 * @example
 * ```ts
 * // e.g. the `ws` package's class on Node 20, which has no global WebSocket
 * const platform: Platform = { WebSocket: MyWebSocket, fetch };
 * new DingTalkStreamClient({ clientId, clientSecret, platform });
 * ```
 */
export interface Platform {
  /** A WHATWG-compatible WebSocket constructor. */
  WebSocket: new (url: string) => SocketLike;
  /** A WHATWG `fetch`. */
  fetch: typeof fetch;
  /** The adapter's name, sent in the `ua` field (e.g. `node`, `deno`, `workerd`). */
  name?: string;
  /**
   * Sends a WebSocket protocol ping on an open `socket` and calls `onPong` when the pong
   * arrives (the same `onPong` for every ping of one socket). Only for sockets that can ping
   * (`ws` on Node 20, Bun's client); the WHATWG API cannot, so without it a socket silent
   * for `idleTimeoutMs` is replaced instead of pinged.
   *
   * @example
   * ```ts
   * // a socket with an EventEmitter-style `ping()` and `pong` event, like `ws`
   * const ping: Platform['ping'] = (socket, onPong) => {
   *   const s = socket as SocketLike & { ping(): void; once(type: 'pong', fn: () => void): void };
   *   s.once('pong', onPong);
   *   s.ping();
   * };
   * ```
   */
  ping?(socket: SocketLike, onPong: () => void): void;
}

/**
 * The platform built from the runtime's globals (Deno, Bun, workerd, browsers, Node 22+).
 * Read at client construction, so importing the package never touches a global.
 *
 * @example
 * ```ts
 * const platform = globalPlatform('deno');
 * ```
 */
export function globalPlatform(name = 'web'): Platform {
  const { WebSocket } = globalThis as { WebSocket?: Platform['WebSocket'] };
  if (!WebSocket) throw new TypeError('No global WebSocket here: pass platform.WebSocket (e.g. from `ws`)');
  return {
    WebSocket,
    fetch: (input, init) => fetch(input, init),
    name,
  };
}
