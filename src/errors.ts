/** Marks an error of either build (ESM or CommonJS) of this package; see {@link DingTalkStreamError}. */
const BRAND = Symbol.for('dingtalk-stream-universal.error');

/**
 * Every `code` an error of this SDK carries: the core's (connecting, frames, handlers,
 * configuration) and the chatbot layer's (OpenAPI, webhook, payloads, cards).
 *
 * @example
 * ```ts
 * const retryable: ErrorCode[] = ['OPEN_FAILED', 'HANDSHAKE_FAILED', 'TIMEOUT', 'RATE_LIMITED'];
 * ```
 */
export type ErrorCode =
  | 'CONFIG' | 'AUTH_FAILED' | 'OPEN_FAILED' | 'HANDSHAKE_FAILED' | 'TIMEOUT' | 'INSECURE_TRANSPORT' | 'REDIRECT_REFUSED'
  | 'MALFORMED_FRAME' | 'HANDLER_FAILED' | 'HANDLER_TIMEOUT' | 'STOPPED' | 'INTERNAL'
  | 'OPENAPI_ERROR' | 'ACCESS_TOKEN_FAILED' | 'RATE_LIMITED' | 'QUOTA_EXCEEDED' | 'DELIVERY_FAILED'
  | 'WEBHOOK_EXPIRED' | 'WEBHOOK_HOST_REJECTED' | 'WEBHOOK_RATE_LIMITED' | 'WEBHOOK_FAILED'
  | 'INVALID_PAYLOAD' | 'INVALID_ARGUMENT' | 'AI_CARD_CLOSED';

/**
 * Every error this SDK throws or reports is a {@link DingTalkStreamError} with a stable
 * `code`, so callers can branch on `err.code` instead of parsing messages. Messages say
 * what to do next and never contain a clientSecret, ticket or access token.
 *
 * @example
 * ```ts
 * try { await client.start(); }
 * catch (err) {
 *   if (err instanceof DingTalkStreamError && err.code === 'AUTH_FAILED') console.error('check the app credentials');
 * }
 * ```
 */
export class DingTalkStreamError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /**
   * `instanceof` that also holds across the package's two builds. Node loads the ESM build
   * for `import` and the CommonJS build for `require`, each with its own copy of these
   * classes; an app that does both (or requires a library that imports us) would otherwise
   * see `err instanceof GatewayAuthError` fail for an error the other copy threw. An error of
   * either copy counts as an instance of the class of the same name in the other.
   *
   * @example
   * ```ts
   * const { GatewayAuthError } = require('dingtalk-stream-universal'); // the CommonJS copy
   * const esm = await import('dingtalk-stream-universal');               // the ESM copy
   * new GatewayAuthError(401, '') instanceof esm.GatewayAuthError;         // true
   * ```
   */
  static override [Symbol.hasInstance]<C extends abstract new (...args: never) => unknown>(this: C, value: unknown): value is InstanceType<C> {
    // up the prototype chain: this class's prototype, or one of ours (it carries the brand)
    // from the other build whose class has this one's name
    for (let proto: unknown = value; (proto = proto != null && Object.getPrototypeOf(proto)); ) {
      if (proto === this.prototype || (BRAND in (proto as object) && (proto as object).constructor.name === this.name)) return true;
    }
    return false;
  }
}
(DingTalkStreamError.prototype as { [BRAND]?: true })[BRAND] = true;

/**
 * A mistake in how the client is set up, thrown at once by the call that made it: missing
 * credentials, an unknown option, an invalid topic or handler, a second handler for a topic.
 *
 * @example
 * ```ts
 * new DingTalkStreamClient({ clientId, clientSecret, openApiHots: url });
 * // ConfigError (CONFIG): Unknown option openApiHots for DingTalkStreamClient (did you mean openApiHost?)
 * ```
 */
export class ConfigError extends DingTalkStreamError {
  constructor(message: string) {
    super('CONFIG', message);
  }
}

/**
 * The gateway refused the credentials (a 4xx other than 408/429 on the open-connection call).
 * The client stops instead of retrying forever.
 *
 * @example
 * ```ts
 * client.addEventListener('error', (e) => {
 *   const err = (e as CustomEvent<Error>).detail;
 *   if (err instanceof GatewayAuthError) process.exit(1);
 * });
 * ```
 */
export class GatewayAuthError extends DingTalkStreamError {
  /** HTTP status the gateway answered with. */
  readonly status: number;
  constructor(status: number, detail: string, host = 'Gateway') {
    super('AUTH_FAILED', `${host} rejected the credentials (HTTP ${status}${detail ? `: ${detail}` : ''}): check clientId/clientSecret and that Stream Mode is on for the app.`);
    this.status = status;
  }
}

/**
 * The open-connection call or the WebSocket handshake failed in a way worth retrying
 * (5xx, 429, timeout, network error, a body without `endpoint`/`ticket`).
 *
 * @example
 * ```ts
 * client.addEventListener('error', (e) => {
 *   const err = (e as CustomEvent<Error>).detail;
 *   if (err instanceof GatewayError) console.warn('gateway trouble, retrying:', err.message);
 * });
 * ```
 */
export class GatewayError extends DingTalkStreamError {
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
  constructor(code: 'OPEN_FAILED' | 'HANDSHAKE_FAILED' | 'TIMEOUT', message: string, status?: number, cause?: unknown) {
    super(code, message, { cause });
    this.status = status;
  }
}

/**
 * Refused to talk plain `http:`/`ws:` to a host that is not loopback.
 *
 * @example
 * ```ts
 * new DingTalkStreamClient({ clientId, clientSecret, openApiHost: 'http://example.com' }); // throws InsecureTransportError
 * ```
 */
export class InsecureTransportError extends DingTalkStreamError {
  constructor(url: string) {
    super('INSECURE_TRANSPORT', `Refusing unencrypted ${url}: use https/wss (plain http/ws only for loopback).`);
  }
}

/**
 * A host answered with a redirect (3xx), which the SDK never follows: every request it makes
 * carries a secret (the clientSecret, an access token, a reply to a private chat), and a
 * redirect would re-send it to wherever `Location` points. Point the URL at the final host.
 *
 * @example
 * ```ts
 * if (err instanceof RedirectRefusedError) console.error(err.message); // names both hosts, never the query
 * ```
 */
export class RedirectRefusedError extends DingTalkStreamError {
  readonly status: number;
  constructor(host: string, status: number, location: string | null) {
    let to = '';
    try {
      to = location ? ` to ${new URL(location, `https://${host}`).origin}` : '';
    } catch {
      /* an unparsable Location is just left out */
    }
    super('REDIRECT_REFUSED', `${host} answered HTTP ${status || 'redirect'}${to}: not followed, the request carries credentials. Use the final URL.`);
    this.status = status;
  }
}

/**
 * The fetch options every SDK request uses: no redirect is followed (`'manual'`, since workerd
 * rejects `'error'`), and {@link refuseRedirect} turns one into an error.
 */
export const NO_REDIRECT = { redirect: 'manual' } as const;

/**
 * Throws {@link RedirectRefusedError} for a 3xx answer (or a browser's opaque redirect).
 *
 * @example
 * ```ts
 * refuseRedirect(await fetch(url, { ...NO_REDIRECT, method: 'POST', body }), 'api.dingtalk.com');
 * ```
 */
export function refuseRedirect(res: Response, host: string): void {
  if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) throw new RedirectRefusedError(host, res.status, res.headers.get('location'));
}

/**
 * A frame from the gateway that could not be parsed or validated. Reported once through
 * the `error` event and a warning; the client keeps running.
 *
 * @example
 * ```ts
 * client.addEventListener('error', (e) => {
 *   const err = (e as CustomEvent<Error>).detail;
 *   if (err instanceof FrameError) metrics.increment('dingtalk.bad_frame');
 * });
 * ```
 */
export class FrameError extends DingTalkStreamError {
  /** The frame's `messageId` when it could be read. */
  readonly messageId: string | undefined;
  constructor(reason: string, messageId?: string) {
    super('MALFORMED_FRAME', `Malformed frame ignored: ${reason}`);
    this.messageId = messageId;
  }
}

/**
 * A registered handler threw, or did not finish within its timeout. The message was acked
 * according to the ack policy (LATER for events, code 500 for callbacks).
 *
 * @example
 * ```ts
 * client.addEventListener('error', (e) => {
 *   const err = (e as CustomEvent<Error>).detail;
 *   if (err instanceof HandlerError) console.error(err.topic, err.messageId, err.cause);
 * });
 * ```
 */
export class HandlerError extends DingTalkStreamError {
  readonly topic: string;
  readonly messageId: string;
  constructor(code: 'HANDLER_FAILED' | 'HANDLER_TIMEOUT', topic: string, messageId: string, cause?: unknown) {
    super(code, `Handler for ${topic} ${code === 'HANDLER_TIMEOUT' ? 'timed out; acked by policy' : 'threw'} (message ${messageId})`, { cause });
    this.topic = topic;
    this.messageId = messageId;
  }
}

/**
 * The client was stopped (or its `signal` aborted) before the operation finished.
 *
 * @example
 * ```ts
 * const started = client.start();
 * await client.stop();
 * await started.catch((err) => err.code === 'STOPPED'); // true
 * ```
 */
export class ClientStoppedError extends DingTalkStreamError {
  constructor() {
    super('STOPPED', 'Client stopped');
  }
}
