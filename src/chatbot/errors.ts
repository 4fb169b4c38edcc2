import { DingTalkStreamError } from '../errors.js';

/**
 * A DingTalk OpenAPI call failed: a non-2xx answer (its `{code, message, requestid}` body
 * is kept as fields), a legacy `errcode` answer, a timeout or a network error (`status` 0).
 * The message names the method and path only: never a token, secret or query string.
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
  constructor(code: 'OPENAPI_ERROR' | 'ACCESS_TOKEN_FAILED', message: string, status: number, dingtalkCode?: string, requestId?: string, cause?: unknown) {
    super(code, message, { cause });
    this.status = status;
    this.dingtalkCode = dingtalkCode;
    this.requestId = requestId;
  }
}

/**
 * A reply through a session webhook was refused before or after sending:
 * `WEBHOOK_EXPIRED` (past `sessionWebhookExpiredTime`: use the OpenAPI instead),
 * `WEBHOOK_HOST_REJECTED` (not an `https://*.dingtalk.com` URL: a forged payload), or
 * `WEBHOOK_FAILED` (DingTalk answered with an error). The session token is never in the message.
 *
 * @example
 * ```ts
 * await reply.text('done').catch((err) => {
 *   if (err instanceof WebhookError && err.code === 'WEBHOOK_EXPIRED') return api.sendRobotToUsers({ userIds: [message.senderStaffId!], ...robotMessage.text('done') });
 *   throw err;
 * });
 * ```
 */
export class WebhookError extends DingTalkStreamError {
  /** HTTP status, or 0 when the request was never sent. */
  readonly status: number;
  constructor(code: 'WEBHOOK_EXPIRED' | 'WEBHOOK_HOST_REJECTED' | 'WEBHOOK_FAILED', message: string, status = 0, cause?: unknown) {
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
