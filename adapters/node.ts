/**
 * Node adapter: `ws` (an optional dependency, installed by default), with the frames of one
 * event-loop turn sent in one socket write; where `ws` is not installed, the global
 * `WebSocket` (Node 22+; Node 20 has none without a flag), so Node 22 runs without it
 * (`npm install --omit=optional`). Credentials and the host default to the environment
 * (`DINGTALK_CLIENT_ID`, `DINGTALK_CLIENT_SECRET`, `DINGTALK_OPENAPI_HOST`). Picked by the
 * `node` export condition, so `import { DingTalkStreamClient } from 'dingtalk-stream-universal'`
 * just works, in ESM and CJS.
 *
 * @example
 * ```ts
 * import { DingTalkStreamClient } from 'dingtalk-stream-universal';
 * const client = new DingTalkStreamClient({ clientId, clientSecret });
 * ```
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type * as Undici from 'undici';
import type WebSocketImpl from 'ws';
import { DingTalkStreamClient as CoreClient, type ClientOptions, type Credential } from '../src/client.js';
import { ConfigError } from '../src/errors.js';
import type { Platform, SocketLike } from '../src/platform.js';
import { withEnv, type EnvClientOptions } from './env.js';
import { configuredProxy, parseProxy, proxiedPlatform } from './node-proxy.js';

export * from '../src/index.js';
export type { EnvClientOptions } from './env.js';

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
  proxy?: string | false | undefined;
}

/**
 * An optional package, required only where it is used: `ws` on Node without a global
 * WebSocket (20) and no proxy, `undici` with a proxy. A missing one (an install with
 * `--omit=optional`, or the peer `undici` never installed) is a {@link ConfigError} saying so.
 */
function requireOptional<T>(name: 'ws' | 'undici', why: string): T {
  try {
    return createRequire(import.meta.url)(name) as T;
  } catch (err) {
    if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
    throw new ConfigError(`${why} needs the ${name} package: npm install ${name}`);
  }
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
 * The Node platform: `ws` if installed, else the global WebSocket; global `fetch`. With a proxy,
 * undici's `WebSocket` and `fetch` through its `ProxyAgent` (see `node-proxy.ts`). Wherever
 * the socket is `ws` (or undici's behind a proxy), it can ping, so a quiet connection is
 * pinged rather than replaced.
 *
 * @example
 * ```ts
 * const platform = nodePlatform({ proxy: 'http://127.0.0.1:3128' });
 * ```
 * (`openApiHost` is no longer needed: `NO_PROXY` is matched against each request's own host.)
 */
export function nodePlatform(options: { proxy?: string | false | undefined; openApiHost?: string | undefined } = {}): Platform {
  const proxy = configuredProxy(options.proxy, process.env);
  if (proxy) {
    parseProxy(proxy); // a malformed proxy is a ConfigError before undici is looked for
    return proxiedPlatform(proxy, process.env, requireOptional<typeof Undici>('undici', 'A proxy'));
  }
  const g = globalThis as { WebSocket?: Platform['WebSocket'] };
  // `ws` wherever it is installed, Node 22+ too: with the batching below it costs less CPU per
  // message than Node 22's global (undici) WebSocket, and it can ping. Measured with
  // `node bench/flood.mjs node22/ours-async,node22/ours-async:global,node22/official 5`
  // (Node 22.23.3, 2 shared cores, 20,000 ~1 KB chatbot frames, client CPU per ack, median of
  // 5): ws 34.4 µs, global 56.5 µs, the official SDK 34.1 µs; peak RSS 89.7 / 96.7 / 98.4 MiB
  // (an earlier run: ws 42.7, global 55.2 µs). The global one remains the fallback where `ws`
  // is not installed (`--omit=optional`).
  let WebSocket: typeof WebSocketImpl;
  try {
    WebSocket = requireOptional<typeof WebSocketImpl>('ws', `Node ${process.versions.node} has no global WebSocket, so it`);
  } catch (err) {
    if (g.WebSocket && err instanceof ConfigError) return { WebSocket: g.WebSocket, fetch: fetchGlobal, name: 'node' };
    throw err;
  }
  // one platform for every client: a class per client would cost ~4 KB of hidden classes each
  // (bench/many-bots.mjs: 11.3 → 7.3 KiB of heap per idle connection)
  if (shared?.ws !== WebSocket) shared = { ws: WebSocket, platform: { WebSocket: batchingWs(WebSocket), fetch: fetchGlobal, name: 'node', ping: pingWs } };
  return shared.platform;
}

const fetchGlobal: Platform['fetch'] = (input, init) => fetch(input, init);
let shared: { ws: typeof WebSocketImpl; platform: Platform } | undefined;

const OPEN = 1;
const uncork = (tcp: Socket) => tcp.uncork();

/**
 * `ws` with a frame limit, sending the frames of one event-loop turn in one socket write.
 *
 * Limit: ws would buffer frames of up to 100 MiB; DingTalk's are a few KB (the core refuses
 * more than maxFrameSize characters, 1 Mi by default, and 8 MiB covers that in any encoding).
 *
 * Batching: every `ws.send` is one write to the TCP (or TLS) socket, so a flood paid one
 * `writev` syscall per ack (the largest entry of a flood's CPU profile, 15.5 % of samples);
 * batched, the 22,000 acks of `bench/flood.mjs` take 350–410 writes. The first send of a turn
 * corks the socket and `process.nextTick` uncorks it: the acks sent
 * synchronously while `ws` emits the frames of one read, and those sent from the promise
 * continuations of that turn (Node runs the tick queue again after the microtasks), leave
 * in one `writev`. The socket comes from `ws`'s public `upgrade` event (the response's
 * `socket`); without one nothing is corked. The uncork is queued before the write, so it runs
 * even if the send throws; a socket ended meanwhile flushes on `end()`, one destroyed
 * drops the write either way. Close frames and pings sent in a corked turn go out with it.
 */
function batchingWs(WebSocket: typeof WebSocketImpl): Platform['WebSocket'] {
  class BatchingWebSocket extends WebSocket {
    #tcp: Socket | undefined;
    constructor(url: string) {
      super(url, { maxPayload: 8 * 1024 * 1024 });
      this.once('upgrade', (res: IncomingMessage) => {
        if (typeof res.socket?.cork === 'function') this.#tcp = res.socket;
      });
    }

    override send(data: Parameters<WebSocketImpl['send']>[0], options?: unknown, cb?: unknown): void {
      const tcp = this.#tcp;
      // writableCorked is 0 between turns: ws's own cork/uncork pairs within one send
      if (tcp && tcp.writableCorked === 0 && this.readyState === OPEN) {
        tcp.cork();
        process.nextTick(uncork, tcp);
      }
      (super.send as (data: unknown, options?: unknown, cb?: unknown) => void)(data, options, cb);
    }
  }
  return BatchingWebSocket as unknown as Platform['WebSocket'];
}

/**
 * {@link CoreClient} with the Node platform as its default. Options it leaves out come from
 * the environment: `DINGTALK_CLIENT_ID`, `DINGTALK_CLIENT_SECRET` and `DINGTALK_OPENAPI_HOST`
 * (or the Python SDK's `DINGTALK_OPENAPI_ENDPOINT`), so a bot started by
 * `npx dingtalk-stream-universal dev -- node bot.mjs` talks to the simulator.
 *
 * @example
 * ```ts
 * const client = new DingTalkStreamClient(); // all from the environment
 * await client.start();
 * ```
 */
export class DingTalkStreamClient extends CoreClient {
  constructor(options?: EnvClientOptions<NodeClientOptions> | Credential) {
    const { proxy, ...core } = withEnv<NodeClientOptions>(options, (name) => process.env[name]);
    super({ ...core, platform: core.platform ?? nodePlatform({ proxy, openApiHost: core.openApiHost }) });
    // the proxy's password is a credential: scrubbed from every log line for the client's life
    const configured = core.platform ? undefined : configuredProxy(proxy, process.env);
    if (configured) this.redactor.add(decodeURIComponent(parseProxy(configured).password), true);
  }
}
