import { ClientStoppedError, GatewayAuthError, GatewayError, NO_REDIRECT, RedirectRefusedError, refuseRedirect } from '../errors.js';
import type { Platform } from '../platform.js';
import { deadline } from './abort.js';
import { assertSecureUrl } from './transport.js';

/** One entry of the open-connection call's `subscriptions`. @example `const s: Subscription = { type: 'CALLBACK', topic: '/v1.0/im/bot/messages/get' };` */
export interface Subscription {
  type: 'EVENT' | 'CALLBACK';
  topic: string;
}
/** What the open-connection call needs. */
export interface OpenRequest {
  openApiHost: string;
  clientId: string;
  clientSecret: string;
  subscriptions: Subscription[];
  ua: string;
}
/** The gateway's answer: where to connect, and a single-use ticket valid for about 90 s. */
export interface Endpoint {
  endpoint: string;
  ticket: string;
}
const OPEN_PATH = '/v1.0/gateway/connections/open';
/** What went wrong under a wrapper such as Node's `fetch failed`: the innermost `cause` (`getaddrinfo ENOTFOUND …`), or its `code`. */
const rootCause = (err: unknown): string => {
  let e = err as { cause?: unknown; message?: string; code?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message || String(e?.code ?? e);
};
/**
 * `POST {openApiHost}/v1.0/gateway/connections/open`: the app credentials for an endpoint and a fresh ticket. A 4xx that time does not fix is a {@link
 * GatewayAuthError}; every other failure a retryable {@link GatewayError}.
 */
export async function openConnection(platform: Platform, req: OpenRequest, timeoutMs: number, signal: AbortSignal): Promise<Endpoint> {
  const { href: url, host } = assertSecureUrl(req.openApiHost.replace(/\/+$/, '') + OPEN_PATH);
  const limit = deadline(signal, timeoutMs);
  try {
    let res: Response;
    let text: string;
    try {
      res = await platform.fetch(url, {
        ...NO_REDIRECT,
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({
          clientId: req.clientId,
          clientSecret: req.clientSecret,
          subscriptions: req.subscriptions,
          ua: req.ua,
        }),
        signal: limit.signal,
      });
      refuseRedirect(res, host);
      text = await res.text();
    } catch (err) {
      if (err instanceof RedirectRefusedError) throw err;
      if (signal.aborted) throw new ClientStoppedError();
      if (limit.signal.aborted) throw new GatewayError('TIMEOUT', `Open call to ${host} timed out after ${timeoutMs} ms`);
      throw new GatewayError('OPEN_FAILED', `Open call to ${host} failed: ${rootCause(err)}`, undefined, err);
    }
    // the start of the body (DingTalk's are short JSON), without the clientSecret a server that
    // echoes the request would put into the error
    const said = text.split(req.clientSecret).join('***').slice(0, 200);
    // a 4xx is the app's own problem (credentials, Stream Mode off), which no retry fixes (the
    // official SDKs retry it forever); 408, 425, 429 and a throttled 403 (protocol.md §10.3) pass with time
    const throttled = res.status === 403 && /qpslimit|throttl|flowcontrol/i.test(text);
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 425 && res.status !== 429 && !throttled) {
      throw new GatewayAuthError(res.status, said, host);
    }
    if (!res.ok) {
      throw new GatewayError('OPEN_FAILED', `Open call to ${host} answered HTTP ${res.status}: ${said}`, res.status);
    }
    let body: { endpoint?: unknown; ticket?: unknown } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      /* reported below */
    }
    if (typeof body?.endpoint !== 'string' || !body.endpoint || typeof body.ticket !== 'string' || !body.ticket) {
      throw new GatewayError('OPEN_FAILED', `Open call to ${host} answered 200 without a JSON endpoint and ticket`, res.status);
    }
    return { endpoint: body.endpoint, ticket: body.ticket };
  } finally {
    limit.done();
  }
}
/** The WebSocket URL for an endpoint and ticket: `endpoint?ticket=<encoded ticket>`. */
export function socketUrl({ endpoint, ticket }: Endpoint): string {
  return `${endpoint}${endpoint.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(ticket)}`;
}
