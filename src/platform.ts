/**
 * The WebSocket the core needs: the WHATWG shape (the global one of Deno, Bun, workerd and Node 22+, and `ws`). Every event a listener gets carries its `type`,
 * as in WHATWG.
 * @example `const socket: SocketLike = new WebSocket('wss://example.com');`
 */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: any) => void): void;
  removeEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (event: any) => void): void;
}
/**
 * Everything runtime-specific the core uses, handed in by an adapter: a runtime is swapped by swapping it. @example `new DingTalkStreamClient({ clientId,
 * clientSecret, platform: { WebSocket: WsClass, fetch } });`
 */
export interface Platform {
  /** A WHATWG-compatible WebSocket constructor. */ WebSocket: new (url: string) => SocketLike;
  /** A WHATWG `fetch`. */ fetch: typeof fetch;
  /** The adapter's name, sent in the `ua` field (e.g. `node`, `deno`, `workerd`). */ name?: string;
  /** Pings an open `socket`, `onPong` (the same for every ping of a socket) when the pong comes; where sockets can (`ws`, Bun), else a silent socket is replaced. */
  ping?(socket: SocketLike, onPong: () => void): void;
}
/**
 * The platform built from the runtime's globals (Deno, Bun, workerd, browsers, Node 22+). Read at client construction, so importing the package never touches a
 * global.
 * @example `const platform = globalPlatform('deno');`
 */
export function globalPlatform(name = 'web'): Platform {
  const { WebSocket } = globalThis as { WebSocket?: Platform['WebSocket'] };
  if (!WebSocket) throw new TypeError('No global WebSocket here: pass platform.WebSocket (e.g. from `ws`)');
  return { WebSocket, fetch: (input, init) => fetch(input, init), name };
}
