/**
 * HTTP(S) proxy support for the Node adapter, all of it undici's: the open call and every
 * other `fetch` go through its `ProxyAgent`, and so does the WebSocket (undici's, given the
 * same agent as its `dispatcher`). The agent opens a CONNECT tunnel and speaks TLS inside it
 * to `https:`/`wss:` hosts; an `https:` proxy is itself spoken to over TLS. The adapter loads
 * undici only when a proxy is configured (`undici` is an optional peer dependency).
 * Node-only; the core knows nothing about proxies.
 */
import { subscribe } from 'node:diagnostics_channel';
import type * as Undici from 'undici';
import { ConfigError } from '../src/errors.js';
import type { Platform, SocketLike } from '../src/platform.js';

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'ws:': '80', 'https:': '443', 'wss:': '443' };

/** A host without IPv6 brackets, lower case (DNS names are case-insensitive). */
const bare = (host: string) => host.replace(/^\[(.*)\]$/, '$1').toLowerCase();

/** A NO_PROXY entry: `host`, `host:port`, `.suffix`, `*.suffix`, `[v6]`, `[v6]:port` or a bare v6 literal. */
function noProxyEntry(entry: string): { host: string; port: string } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (v6) return { host: v6[1]!, port: v6[2] ?? '' };
  if (entry.indexOf(':') !== entry.lastIndexOf(':')) return { host: entry, port: '' }; // bare IPv6, no port
  const [host, port = ''] = entry.split(':');
  return { host: host!.replace(/^\*\./, '.'), port };
}

/**
 * Whether `NO_PROXY` exempts `target`: `*` anywhere exempts everything; `host` matches that
 * host and its subdomains, `.suffix`/`*.suffix` only subdomains; a `:port` matches only that
 * port (a URL without one has its scheme's default); hosts compare without regard to case.
 */
function exempt(target: URL, noProxy: string): boolean {
  const host = bare(target.hostname);
  const port = target.port || DEFAULT_PORTS[target.protocol] || '';
  return noProxy
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      const rule = noProxyEntry(entry);
      if (rule.port && rule.port !== port) return false;
      return rule.host.startsWith('.') ? host.endsWith(rule.host) : host === rule.host || host.endsWith(`.${rule.host}`);
    });
}

/**
 * The proxy configured for any target (the explicit option, else `HTTPS_PROXY`/`ALL_PROXY` in
 * either case), unless `false` or a `NO_PROXY` of `*` turns it off. Which requests use it is
 * decided per target ({@link proxyFor}).
 *
 * @example
 * ```ts
 * configuredProxy(undefined, { ALL_PROXY: 'http://proxy:3128', NO_PROXY: '*' }); // undefined
 * ```
 */
export function configuredProxy(explicit: string | false | undefined, env: Record<string, string | undefined>): string | undefined {
  if (explicit === false) return undefined;
  const proxy = explicit || env.HTTPS_PROXY || env.https_proxy || env.ALL_PROXY || env.all_proxy;
  return proxy && !(env.NO_PROXY ?? env.no_proxy ?? '').split(/[\s,]+/).includes('*') ? proxy : undefined;
}

/**
 * The proxy to use for `target`, from the explicit option or `HTTPS_PROXY`/`ALL_PROXY`
 * (upper or lower case), unless `NO_PROXY` matches the target. `false` disables.
 *
 * @example
 * ```ts
 * proxyFor('https://api.dingtalk.com', undefined, { HTTPS_PROXY: 'http://proxy:3128' }); // 'http://proxy:3128'
 * ```
 */
export function proxyFor(target: string, explicit: string | false | undefined, env: Record<string, string | undefined>): string | undefined {
  const proxy = configuredProxy(explicit, env);
  return proxy && !exempt(new URL(target), env.NO_PROXY ?? env.no_proxy ?? '') ? proxy : undefined;
}

/**
 * `proxy` as a URL (`http://` when it names no scheme, as curl does), or a {@link ConfigError}
 * that repeats nothing of it: a malformed URL cannot be trusted to hide its password, and
 * the `TypeError` of `new URL` carries the whole input.
 */
export function parseProxy(proxy: string): URL {
  const withScheme = /^[a-z][a-z\d+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
  let url: URL | undefined;
  try {
    url = new URL(withScheme);
  } catch {
    // the TypeError is dropped on purpose: its `input` holds the password
  }
  if (!url || !url.hostname) throw new ConfigError('The proxy URL (the proxy option or HTTPS_PROXY/ALL_PROXY) is malformed: expected http://user:pass@host:port or https://…, with user and password percent-encoded');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`Proxy scheme ${url.protocol} is not supported: use an http: or https: proxy`);
  return url;
}

/**
 * `dispatcher` composed with a hook that hands every request error to `onFailure` (undici's
 * WebSocket reports a failed handshake without its cause).
 */
function withFailure(dispatcher: Undici.Dispatcher, onFailure: (err: Error) => void): Undici.Dispatcher {
  const composed = dispatcher.compose((dispatch) => (opts, handler) =>
    dispatch(
      opts,
      new Proxy(handler, {
        get(target, key) {
          const value = Reflect.get(target, key) as unknown;
          if (typeof value !== 'function') return value;
          if (key !== 'onError' && key !== 'onResponseError') return value.bind(target);
          return (...args: unknown[]) => {
            onFailure(args[args.length - 1] as Error);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      }),
    ),
  );
  // undici's WebSocket reads its frame limit from the dispatcher; a composed one has none,
  // which means unlimited: DingTalk's frames are a few KB (the core refuses over maxFrameSize)
  Object.defineProperty(composed, 'webSocketOptions', { value: { maxPayloadSize: 8 * 1024 * 1024 } });
  return composed;
}

/** Calls the `onPong` of the socket a pong arrived on; undici reports pongs on a diagnostics channel only. */
const pongs = new WeakMap<object, () => void>();
let listening = false;
function onPong(message: unknown): void {
  pongs.get((message as { websocket?: object }).websocket ?? {})?.();
}

/**
 * The Node platform behind a proxy: undici's `fetch` and `WebSocket`, each request sent
 * through one `ProxyAgent` unless `NO_PROXY` exempts its host. The caller hands in `undici`
 * (an optional peer, required only here), so no bundler follows an import of it into a bot
 * that has no proxy. Where undici can ping (7.x exports `ping`), the socket is pinged when
 * quiet instead of replaced.
 *
 * @example
 * ```ts
 * const platform = proxiedPlatform('http://proxy:3128', process.env, require('undici'));
 * ```
 */
export function proxiedPlatform(proxy: string, env: Record<string, string | undefined>, undici: typeof Undici): Platform {
  const url = parseProxy(proxy);
  // undici sends the URL's user and password as Basic Proxy-Authorization itself
  const agent = new undici.ProxyAgent({ uri: url.href });
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? '';
  const dispatcherFor = (target: string | URL) => (exempt(new URL(target), noProxy) ? {} : { dispatcher: agent });
  class ProxiedWebSocket extends undici.WebSocket {
    constructor(target: string) {
      let failure: Error | undefined;
      const direct = exempt(new URL(target), noProxy);
      super(target, { dispatcher: withFailure(direct ? undici.getGlobalDispatcher() : agent, (err) => (failure = err)) });
      // undici's handshake error event has no message and drops the cause; give it the
      // network's reason (a refused tunnel, an unreachable proxy) so the log says what failed
      this.addEventListener('error', (event) => {
        if (failure && !event.message) Object.defineProperty(event, 'message', { value: failure.message });
      });
    }
  }
  const fetchViaProxy: Platform['fetch'] = (input, init) => {
    const target = input instanceof Request ? input.url : input;
    return undici.fetch(input as Parameters<typeof undici.fetch>[0], { ...init, ...dispatcherFor(target) } as Parameters<typeof undici.fetch>[1]) as unknown as Promise<Response>;
  };
  const platform: Platform = { WebSocket: ProxiedWebSocket as unknown as Platform['WebSocket'], fetch: fetchViaProxy, name: 'node' };
  const { ping } = undici as { ping?: (socket: unknown) => void };
  if (typeof ping === 'function') {
    platform.ping = (socket: SocketLike, pong: () => void) => {
      if (!listening) subscribe('undici:websocket:pong', onPong);
      listening = true;
      pongs.set(socket, pong);
      ping(socket);
    };
  }
  return platform;
}
