/**
 * HTTP(S) proxy support for the Node adapter: the open call and every other `fetch` go
 * through undici's `ProxyAgent`, the WebSocket (`ws`) through a CONNECT tunnel. The adapter
 * loads both only when a proxy is configured, so nobody else pays for them (`undici` is an
 * optional peer dependency, `ws` an optional dependency). Node-only; the core knows nothing
 * about proxies.
 */
import { request as httpRequest, Agent as HttpAgent, type ClientRequestArgs } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type * as Undici from 'undici';

/**
 * The proxy to use for `target`, from the explicit option or `HTTPS_PROXY`/`ALL_PROXY`
 * (upper or lower case), unless `NO_PROXY` matches the target host. `false` disables.
 *
 * @example
 * ```ts
 * proxyFor('https://api.dingtalk.com', undefined, { HTTPS_PROXY: 'http://proxy:3128' }); // 'http://proxy:3128'
 * ```
 */
export function proxyFor(target: string, explicit: string | false | undefined, env: Record<string, string | undefined>): string | undefined {
  if (explicit === false) return undefined;
  const proxy = explicit || env.HTTPS_PROXY || env.https_proxy || env.ALL_PROXY || env.all_proxy;
  if (!proxy) return undefined;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(/[\s,]+/).filter(Boolean);
  const { hostname, port } = new URL(target);
  for (const rule of noProxy) {
    if (rule === '*') return undefined;
    const [host, rulePort] = rule.replace(/^\*?\./, '.').split(':');
    if (rulePort && rulePort !== port) continue;
    if (hostname === host || (host!.startsWith('.') ? hostname.endsWith(host!) : hostname.endsWith(`.${host}`))) return undefined;
  }
  return proxy;
}

/** `Proxy-Authorization` for a proxy URL with user info. */
function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username && !proxy.password) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/**
 * An `http.Agent` whose connections are CONNECT tunnels through `proxy` (TLS inside the
 * tunnel for `wss:`), for the `ws` client.
 *
 * @example
 * ```ts
 * new WebSocket('wss://wss-open-connection.dingtalk.com/connect?ticket=…', { agent: new TunnelAgent('http://proxy:3128') });
 * ```
 */
export class TunnelAgent extends HttpAgent {
  private readonly proxy: URL;
  constructor(proxy: string) {
    super({ keepAlive: false });
    this.proxy = new URL(proxy);
  }

  override createConnection(options: ClientRequestArgs & { servername?: string; secureEndpoint?: boolean; _defaultAgent?: unknown }, callback: (err: Error | null, socket?: Duplex) => void): Duplex | undefined {
    const host = options.hostname ?? options.host ?? 'localhost';
    const port = Number(options.port) || (options.protocol === 'https:' || options.protocol === 'wss:' ? 443 : 80);
    const secure = options.protocol === 'https:' || options.protocol === 'wss:' || options.secureEndpoint === true;
    const req = httpRequest({
      host: this.proxy.hostname,
      port: Number(this.proxy.port) || 80,
      method: 'CONNECT',
      path: `${host.includes(':') ? `[${host}]` : host}:${port}`,
      headers: { Host: `${host}:${port}`, ...proxyAuthorization(this.proxy) },
    });
    req.once('connect', (res, socket: Socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        return callback(new Error(`proxy refused the tunnel (HTTP ${res.statusCode})`));
      }
      callback(null, secure ? tlsConnect({ socket, servername: options.servername ?? host }) : socket);
    });
    req.once('error', (err) => callback(new Error(`proxy connection failed: ${err.message}`)));
    req.end();
    return undefined;
  }
}

type Fetch = typeof fetch;

/**
 * A `fetch` that sends every request through `proxy` with undici's `ProxyAgent`. The caller
 * hands in `undici` (an optional peer, required only when a proxy is used), so no bundler
 * follows an import of it into a bot that has no proxy.
 *
 * @example
 * ```ts
 * const fetchViaProxy = proxiedFetch('http://proxy:3128', require('undici'));
 * ```
 */
export function proxiedFetch(proxy: string, undici: typeof Undici): Fetch {
  const token = proxyAuthorization(new URL(proxy))['Proxy-Authorization'];
  const dispatcher = new undici.ProxyAgent({ uri: proxy, ...(token ? { token } : {}) });
  return (input, init) => undici.fetch(input as Parameters<typeof undici.fetch>[0], { ...init, dispatcher } as Parameters<typeof undici.fetch>[1]) as unknown as Promise<Response>;
}
