/** Marks an error of either build (ESM or CommonJS) of this package. */
const BRAND = Symbol.for('dingtalk-stream-universal.error');
/**
 * Every `code` an error of this SDK carries: the core's and the chatbot layer's.
 * @example `const retryable: ErrorCode[] = ['OPEN_FAILED', 'HANDSHAKE_FAILED', 'TIMEOUT', 'RATE_LIMITED'];`
 */
export type ErrorCode =
  | 'CONFIG' | 'AUTH_FAILED' | 'OPEN_FAILED' | 'HANDSHAKE_FAILED' | 'TIMEOUT' | 'INSECURE_TRANSPORT' | 'REDIRECT_REFUSED'
  | 'MALFORMED_FRAME' | 'HANDLER_FAILED' | 'HANDLER_TIMEOUT' | 'STOPPED' | 'INTERNAL'
  | 'OPENAPI_ERROR' | 'ACCESS_TOKEN_FAILED' | 'RATE_LIMITED' | 'QUOTA_EXCEEDED' | 'DELIVERY_FAILED'
  | 'WEBHOOK_EXPIRED' | 'WEBHOOK_HOST_REJECTED' | 'WEBHOOK_RATE_LIMITED' | 'WEBHOOK_FAILED'
  | 'INVALID_PAYLOAD' | 'INVALID_ARGUMENT' | 'AI_CARD_CLOSED' | 'MEDIA_TOO_LARGE' | 'MEDIA_UNSUPPORTED';
/**
 * Every error this SDK throws or reports, with a stable `code` to branch on. Messages say what to do next and never contain a clientSecret, ticket or access
 * token.
 * @example `try { await client.start(); } catch (err) { if (err instanceof DingTalkStreamError && err.code === 'AUTH_FAILED') console.error('check the app credentials'); }`
 */
export class DingTalkStreamError extends Error {
  /** Stable, machine-readable reason. */ readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
  /**
   * `instanceof` across the package's two builds: an app that both imports (ESM) and requires (CommonJS) it has two copies of each class, and an error of
   * either copy counts as an instance of the class of the same name in the other.
   * @example `new (require('dingtalk-stream-universal').ConfigError)('x') instanceof (await import('dingtalk-stream-universal')).ConfigError; // true`
   */
  static override [Symbol.hasInstance]<C extends abstract new (...args: never) => unknown>(this: C, value: unknown): value is InstanceType<C> {
    for (let proto: unknown = value; (proto = proto != null && Object.getPrototypeOf(proto)); ) {
      if (proto === this.prototype || (BRAND in (proto as object) && (proto as object).constructor.name === this.name)) return true;
    }
    return false;
  }
}
(DingTalkStreamError.prototype as { [BRAND]?: true })[BRAND] = true;
/**
 * A mistake in how the client is set up, thrown at once by the call that made it (missing credentials, an unknown option, a second handler for a topic, …).
 * @example `new DingTalkStreamClient({ clientId, clientSecret, openApiHots: url }); // ConfigError: Unknown option openApiHots … (did you mean openApiHost?)`
 */
export class ConfigError extends DingTalkStreamError {
  constructor(message: string) { super('CONFIG', message); }
}
/**
 * The gateway refused the credentials (a 4xx other than 408/425/429 or throttling): the client stops instead of retrying forever.
 * @example `client.addEventListener('error', (e) => { if (e.detail instanceof GatewayAuthError) process.exit(1); });`
 */
export class GatewayAuthError extends DingTalkStreamError {
  /** HTTP status the gateway answered with. */ readonly status: number;
  constructor(status: number, detail: string, host = 'Gateway') {
    super('AUTH_FAILED', `${host} rejected the credentials (HTTP ${status}${detail ? `: ${detail}` : ''}): check clientId/clientSecret and that Stream Mode is on for the app.`);
    this.status = status;
  }
}
/**
 * The open-connection call or the handshake failed in a way worth retrying (5xx, 429, timeout, network error, no endpoint/ticket in the answer).
 * @example `client.addEventListener('error', (e) => { if (e.detail instanceof GatewayError) console.warn('retrying:', e.detail.message); });`
 */
export class GatewayError extends DingTalkStreamError {
  /** HTTP status, when there was a response. */ readonly status: number | undefined;
  constructor(code: 'OPEN_FAILED' | 'HANDSHAKE_FAILED' | 'TIMEOUT', message: string, status?: number, cause?: unknown) {
    super(code, message, { cause });
    this.status = status;
  }
}
/**
 * Refused to talk plain `http:`/`ws:` to a host that is not loopback.
 * @example `new DingTalkStreamClient({ clientId, clientSecret, openApiHost: 'http://example.com' }); // throws InsecureTransportError`
 */
export class InsecureTransportError extends DingTalkStreamError {
  constructor(url: string) { super('INSECURE_TRANSPORT', `Refusing unencrypted ${url}: use https/wss (plain http/ws only for loopback).`); }
}
/**
 * A host answered with a redirect, which is never followed: every request carries a secret, and a redirect would re-send it to wherever `Location` points.
 * @example `if (err instanceof RedirectRefusedError) console.error(err.message); // names both hosts, never the query`
 */
export class RedirectRefusedError extends DingTalkStreamError {
  readonly status: number;
  constructor(host: string, status: number, location: string | null) {
    let to = '';
    try {
      to = location ? ` to ${new URL(location, `https://${host}`).origin}` : '';
    } catch {
      /* an unparsable Location is left out */
    }
    super('REDIRECT_REFUSED', `${host} answered HTTP ${status || 'redirect'}${to}: not followed, the request carries credentials. Use the final URL.`);
    this.status = status;
  }
}
/** The fetch options of every request: no redirect followed (`'manual'`: workerd rejects `'error'`). */
export const NO_REDIRECT = { redirect: 'manual' } as const;
/** Throws {@link RedirectRefusedError} for a 3xx answer (or an opaque redirect). */
export function refuseRedirect(res: Response, host: string): void {
  if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) throw new RedirectRefusedError(host, res.status, res.headers.get('location'));
}
/**
 * A frame from the gateway that could not be parsed: reported once (the `error` event and a warning), acked 400 when it has a messageId; the client keeps
 * running.
 * @example `client.addEventListener('error', (e) => { if (e.detail instanceof FrameError) metrics.increment('dingtalk.bad_frame'); });`
 */
export class FrameError extends DingTalkStreamError {
  /** The frame's `messageId` when it could be read. */ readonly messageId: string | undefined;
  constructor(reason: string, messageId?: string) {
    super('MALFORMED_FRAME', `Malformed frame ignored: ${reason}`);
    this.messageId = messageId;
  }
}
/**
 * A handler threw, answered something that cannot be sent, or did not finish in time; the message was acked by the policy of its topic.
 * @example `client.addEventListener('error', (e) => { if (e.detail instanceof HandlerError) console.error(e.detail.topic, e.detail.cause); });`
 */
export class HandlerError extends DingTalkStreamError {
  readonly topic: string;
  readonly messageId: string;
  constructor(code: 'HANDLER_FAILED' | 'HANDLER_TIMEOUT', topic: string, messageId: string, cause?: unknown) {
    super(code, `Handler for ${topic} ${code === 'HANDLER_TIMEOUT' ? 'timed out; acked by policy' : 'failed'} (message ${messageId})`, { cause });
    this.topic = topic;
    this.messageId = messageId;
  }
}
/** The client was stopped (or its `signal` aborted) before the operation finished. @example `await client.start().catch((err) => err.code === 'STOPPED');` */
export class ClientStoppedError extends DingTalkStreamError {
  constructor() { super('STOPPED', 'Client stopped'); }
}
