/**
 * Node adapter: the global `WebSocket` when the runtime has one (Node 22+), else `ws`
 * (Node 20 has none without a flag). Picked by the `node` export condition, so
 * `import { DingTalkStreamClient } from 'dingtalk-stream-universal'` just works, in ESM and CJS.
 *
 * @example
 * ```ts
 * import { DingTalkStreamClient } from 'dingtalk-stream-universal';
 * const client = new DingTalkStreamClient({ clientId, clientSecret });
 * ```
 * @module
 */
import WebSocketImpl from 'ws';
import { DingTalkStreamClient as CoreClient, DEFAULTS, type ClientOptions } from '../src/client.js';
import type { Platform, SocketLike } from '../src/platform.js';
import { proxiedFetch, proxyFor, TunnelAgent } from './node-proxy.js';

export * from '../src/index.js';

/**
 * Node-only options: an HTTP(S) proxy for the open call, the WebSocket and every `fetch`.
 *
 * @example
 * ```ts
 * new DingTalkStreamClient({ clientId, clientSecret, proxy: 'http://proxy.corp:3128' });
 * ```
 */
export interface NodeClientOptions extends ClientOptions {
  /**
   * Proxy URL (`http://user:pass@host:port`). Default: `HTTPS_PROXY`/`ALL_PROXY` from the
   * environment unless `NO_PROXY` matches the host; `false` ignores the environment.
   */
  proxy?: string | false;
}

/**
 * A WebSocket protocol ping on a `ws` socket; `ws` reports the pong as an EventEmitter
 * `pong` event. Node 22's global WebSocket (undici) has no `ping()`, so it gets none.
 */
function pingWs(socket: SocketLike, onPong: () => void): void {
  const ws = socket as unknown as WebSocketImpl;
  // one listener per socket, however many pings went unanswered before
  ws.off('pong', onPong).once('pong', onPong);
  ws.ping();
}

/**
 * The Node platform: global WebSocket if present, else `ws`; global `fetch`. With a proxy,
 * `ws` through a CONNECT tunnel and undici's `fetch` through its `ProxyAgent`. Wherever the
 * socket is `ws`, it can ping, so a quiet connection is pinged rather than replaced.
 *
 * @example
 * ```ts
 * const platform = nodePlatform({ proxy: 'http://127.0.0.1:3128' });
 * ```
 */
export function nodePlatform(options: { proxy?: string | false; openApiHost?: string } = {}): Platform {
  const proxy = proxyFor(options.openApiHost ?? DEFAULTS.openApiHost, options.proxy, process.env);
  if (proxy) {
    const agent = new TunnelAgent(proxy);
    class ProxiedWebSocket extends WebSocketImpl {
      constructor(url: string) {
        super(url, { agent });
      }
    }
    return { WebSocket: ProxiedWebSocket as unknown as Platform['WebSocket'], fetch: proxiedFetch(proxy), name: 'node', ping: pingWs };
  }
  const fetchGlobal: Platform['fetch'] = (input, init) => fetch(input, init);
  const g = globalThis as { WebSocket?: Platform['WebSocket'] };
  if (g.WebSocket) return { WebSocket: g.WebSocket, fetch: fetchGlobal, name: 'node' };
  return { WebSocket: WebSocketImpl as unknown as Platform['WebSocket'], fetch: fetchGlobal, name: 'node', ping: pingWs };
}

/**
 * {@link CoreClient} with the Node platform as its default.
 *
 * @example
 * ```ts
 * const client = new DingTalkStreamClient({ clientId, clientSecret });
 * await client.start();
 * ```
 */
export class DingTalkStreamClient extends CoreClient {
  constructor(options: NodeClientOptions) {
    super({ ...options, clientId: options.clientId, clientSecret: options.clientSecret, platform: options.platform ?? nodePlatform(options) });
  }
}
