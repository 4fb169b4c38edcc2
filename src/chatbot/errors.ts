import { DingTalkStreamError } from '../errors.js';

/**
 * Why an OpenAPI call failed: `OPENAPI_ERROR` (any other DingTalk error, a timeout, a
 * network error), `ACCESS_TOKEN_FAILED` (bad credentials), `RATE_LIMITED` (403 `QpsLimit…`
 * or legacy errcode 90018/90002, still refused after one retry 2 s later), `QUOTA_EXCEEDED`
 * (the organisation's monthly call quota: `ApiCountLimitForOrg`, errcode 90020) and
 * `DELIVERY_FAILED` (a card delivery DingTalk answered with HTTP 200 and `success: false`).
 *
 * @example
 * ```ts
 * const retryLater: OpenApiErrorCode[] = ['RATE_LIMITED', 'QUOTA_EXCEEDED'];
 * ```
 */
export type OpenApiErrorCode = 'OPENAPI_ERROR' | 'ACCESS_TOKEN_FAILED' | 'RATE_LIMITED' | 'QUOTA_EXCEEDED' | 'DELIVERY_FAILED';

/**
 * A DingTalk OpenAPI call failed: a non-2xx answer (its `{code, message, requestid}` body
 * is kept as fields), a legacy `errcode` answer, a failure DingTalk hid inside an HTTP 200,
 * a timeout or a network error (`status` 0). Rate limits and the monthly quota have their
 * own {@link OpenApiErrorCode} and a message that says what to do. The message names the
 * method and path only: never a token, secret or query string.
 *
 * @example
 * ```ts
 * try { await api.sendRobotToGroup({ openConversationId, ...robotMessage.text('hi') }); }
 * catch (err) {
 *   if (err instanceof OpenApiError && err.dingtalkCode === 'Forbidden.AccessDenied') console.error('grant the permission in the console');
 * }
 * ```
 */
export class OpenApiError extends DingTalkStreamError {
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** DingTalk's own error code (`code`, or the legacy `errcode` as a string). */
  readonly dingtalkCode: string | undefined;
  /** DingTalk's `requestid`, to quote when asking DingTalk support. */
  readonly requestId: string | undefined;
  constructor(code: OpenApiErrorCode, message: string, status: number, dingtalkCode?: string, requestId?: string, cause?: unknown) {
    super(code, message, { cause });
    this.status = status;
    this.dingtalkCode = dingtalkCode;
    this.requestId = requestId;
  }
}

/**
 * A reply through a session webhook was refused before or after sending:
 * `WEBHOOK_EXPIRED` (past `sessionWebhookExpiredTime` and no OpenAPI to send through
 * instead), `WEBHOOK_HOST_REJECTED` (not an `https://*.dingtalk.com` URL: a forged payload),
 * `WEBHOOK_RATE_LIMITED` (errcode 130101: about 20 messages a minute, then a 10-minute
 * block), or `WEBHOOK_FAILED` (any other error). The session token is never in the message.
 *
 * @example
 * ```ts
 * await reply.text('done').catch((err) => {
 *   if (err instanceof WebhookError && err.code === 'WEBHOOK_RATE_LIMITED') console.warn('the bot talks too much in this chat');
 *   else throw err;
 * });
 * ```
 */
export class WebhookError extends DingTalkStreamError {
  /** HTTP status, or 0 when the request was never sent. */
  readonly status: number;
  constructor(code: 'WEBHOOK_EXPIRED' | 'WEBHOOK_HOST_REJECTED' | 'WEBHOOK_RATE_LIMITED' | 'WEBHOOK_FAILED', message: string, status = 0, cause?: unknown) {
    super(code, message, { cause });
    this.status = status;
  }
}

/**
 * A callback payload (chatbot message, card callback, graph request) did not match its
 * schema. `issues` says which fields, without echoing their values.
 *
 * @example
 * ```ts
 * try { ChatbotMessage.from(data); }
 * catch (err) { if (err instanceof PayloadError) console.warn(err.issues); }
 * ```
 */
export class PayloadError extends DingTalkStreamError {
  readonly issues: string[];
  constructor(what: string, issues: string[]) {
    super('INVALID_PAYLOAD', `Invalid ${what} payload: ${issues.join('; ')}`);
    this.issues = issues;
  }
}

/**
 * A file `api.sendFile` / `reply.file` refused before uploading anything, by the limits
 * DingTalk's media upload documents: `MEDIA_UNSUPPORTED` (a format it does not list, see
 * {@link MEDIA_LIMITS}), `MEDIA_TOO_LARGE` (over its type's size), or `INVALID_ARGUMENT` (audio
 * or video without its `durationMs`, a video without its `cover`).
 *
 * @example
 * ```ts
 * await reply.file(bytes, { fileName: 'notes.txt' }).catch((err) => {
 *   if (err instanceof MediaError && err.code === 'MEDIA_UNSUPPORTED') return reply.text(new TextDecoder().decode(bytes));
 *   throw err;
 * });
 * ```
 */
export class MediaError extends DingTalkStreamError {
  declare readonly code: 'MEDIA_TOO_LARGE' | 'MEDIA_UNSUPPORTED' | 'INVALID_ARGUMENT';
}
