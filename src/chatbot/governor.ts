/**
 * The outbound rules of one app, shared by every call its {@link DingTalkOpenApi} makes:
 * the pace of card calls, what a rate-limit answer means, and which calls may be sent twice.
 * DESIGN: one governor per app, living with the OpenAPI client; the pacing of one AI card
 * stays in the card.
 */

/** Card endpoints share one app-wide budget: instances, deliveries, streaming, legacy interactive cards. */
const CARD_PATH = /^\/v1\.0\/(card\/|im\/.*interactiveCards)/;

/**
 * POSTs that change nothing and may be sent again: the token and a file's download link.
 * Every other POST sends or creates something, so a blind retry could show it twice.
 */
const IDEMPOTENT_POSTS = new Set(['/v1.0/oauth2/accessToken', '/v1.0/robot/messageFiles/download']);

/**
 * How long a call waits after DingTalk's `QpsLimit` before its one retry: the DingTalk team's
 * channel SDK waits 2 s (dingtalk-channel-sdk-nodejs SPEC.md §6); DingTalk's throttling
 * document says the limit is counted per second (open.dingtalk.com
 * how-to-process-api-throttling-on-the-dingtalk-server).
 */
export const QPS_BACKOFF_MS = 2000;

/** Retries of an idempotent call after a network error, a timeout or a 5xx. */
export const IDEMPOTENT_RETRIES = 2;

/** Whether a call may be repeated without a second effect (GET/PUT/DELETE, and {@link IDEMPOTENT_POSTS}). */
export function isIdempotent(method: string, path: string): boolean {
  return /^(GET|PUT|DELETE|HEAD)$/i.test(method) || IDEMPOTENT_POSTS.has(path.split('?')[0]!);
}

/** Whether `path` spends the app's card budget. */
export function isCardCall(path: string): boolean {
  return CARD_PATH.test(path);
}

/**
 * DingTalk's "too many calls" answers: HTTP 403 with a `code` containing `QpsLimit`
 * (`Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`: per app and API;
 * `…QpsLimitForApi`: the API platform-wide), their legacy errcodes 90018 and 90002, and a
 * plain 429. DingTalk refuses these before doing anything, so every method may retry them.
 */
export function isRateLimited(status: number, code: string): boolean {
  return status === 429 || code.includes('QpsLimit') || code === '90018' || code === '90002';
}

/** The organisation's monthly call quota is used up (`…ApiCountLimitForOrg`, legacy 90020). */
export function isQuotaExceeded(code: string): boolean {
  return code.includes('ApiCountLimit') || code === '90020';
}

/** Jittered exponential backoff for the `n`th retry (0-based): 1–2 s, then 2–4 s. */
export function retryDelay(n: number): number {
  return (1 + Math.random()) * 1000 * 2 ** n;
}

/**
 * Waits `ms`; rejects with the signal's reason as soon as it aborts. The timer is always
 * cleared, so nothing is left on the event loop.
 */
export function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The app's card budget: calls leave in the order they asked, at least `interval` ms
 * apart (the OpenAPI gives it 1050 / qps: a 5% margin for network jitter). That is a token bucket holding one token: a fuller one would let a burst of `qps`
 * calls through and then `qps` more within the same rolling second, which is what DingTalk
 * counts. Nothing is dropped: a caller waits its turn (a final frame included). After a
 * `QpsLimit` answer the whole budget pauses, since the app as a whole is over its limit.
 */
export class CardBudget {
  private next = 0;
  private paused = 0;

  constructor(private readonly interval: number) {}

  /** Resolves when the caller may send; rejects with the signal's reason if it aborts first. */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = Date.now();
      const slot = Math.max(now, this.next, this.paused);
      this.next = slot + this.interval;
      await wait(slot - now, signal);
      if (this.paused <= Date.now()) return; // else a pause began while waiting: queue again behind it
    }
  }

  /** No card call leaves for `ms`. */
  pause(ms: number): void {
    this.paused = Math.max(this.paused, Date.now() + ms);
  }
}
