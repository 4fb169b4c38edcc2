import type { RouteAnswer } from './gateway.js';
import { newMessageId } from './samples.js';

/**
 * The production limits the fake OpenAPI enforces (all on by default; `limits: false` turns
 * them off, a number changes one). Each default cites where it comes from.
 *
 * @example
 * ```ts
 * installFakeOpenApi(gateway, { limits: { cardQps: 40 } }); // a bigger DingTalk edition
 * ```
 */
export interface FakeLimits {
  /**
   * Card calls (`/v1.0/card/*`, legacy interactive cards) per rolling second, all card
   * endpoints of the app together; beyond it: HTTP 403
   * `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`. Default 20: the standard edition's
   * per-app limit (open.dingtalk.com how-to-process-api-throttling-on-the-dingtalk-server;
   * 20–40 reported in DingTalk-Real-AI/dingtalk-openclaw-connector#404, #410, #444, #450, #461).
   * DingTalk counts per API; counting the card APIs together is the stricter reading.
   */
  cardQps?: number;
  /**
   * Streaming updates of one card closer than this are recorded as a violation (DingTalk
   * protects a card against concurrent updates; its channel SDK streams at most every 800 ms,
   * dingtalk-channel-sdk-nodejs SPEC.md §5). Default 800. Production does not refuse them.
   */
  cardUpdateIntervalMs?: number;
  /**
   * A first content frame closer than this to the delivery, or a final frame (`isFinalize`)
   * closer to the card's previous update, is recorded: clients then intermittently render
   * "内容加载失败" (SPEC.md §5, 500 ms). Default 500.
   */
  frameGapMs?: number;
  /** A card update carrying more characters is refused with HTTP 400 (SPEC.md §5: 20,000 per frame). */
  maxContentChars?: number;
  /**
   * Session-webhook messages per conversation per rolling minute; beyond: errcode 130101 and
   * a block of `webhookBlockMs` (DingTalk's robot limit: 20 a minute, then 10 minutes;
   * protocol.md §10.4). Default 20.
   */
  webhookPerMinute?: number;
  /** Default 600 000 (10 min). */
  webhookBlockMs?: number;
  /** A webhook body above this many bytes: errcode 460101 (timonwong/prometheus-webhook-dingtalk#30). Default 20 000. */
  webhookMaxBytes?: number;
}

/**
 * A limit a bot ran into or a pacing rule it broke, as the fake saw it.
 *
 * @example
 * ```ts
 * const tooFast = fake.violations.filter((v: FakeLimitViolation) => v.rule === 'card-interval');
 * ```
 */
export interface FakeLimitViolation {
  rule: 'card-qps' | 'card-interval' | 'frame-gap' | 'content-length' | 'webhook-rate' | 'webhook-size' | 'media';
  at: number;
  outTrackId?: string;
  text: string;
}

/**
 * What `media/upload` takes by `type`: formats and the largest size (open.dingtalk.com
 * upload-media-files, updated 2026-06-01). Refusals carry the errcodes of DingTalk's global error
 * list (server-api-error-codes-1): 40004 an unknown type, 40005 a format the type does not take,
 * 40006 too big (that list still names older sizes, 1 MB images and 10 MB files; the upload
 * document's 20 MB is the one used). `ogg` voice: the robot message document names it and
 * community channels upload it (see the SDK's MEDIA_LIMITS).
 */
const MEDIA: Record<string, { formats: RegExp; mb: number }> = {
  image: { formats: /^(jpe?g|gif|png|bmp)$/, mb: 20 },
  voice: { formats: /^(amr|mp3|wav|ogg)$/, mb: 2 },
  video: { formats: /^mp4$/, mb: 20 },
  file: { formats: /^(docx?|xlsx?|pptx?|zip|pdf|rar)$/, mb: 20 },
};

const PRODUCTION: Required<FakeLimits> = { cardQps: 20, cardUpdateIntervalMs: 800, frameGapMs: 500, maxContentChars: 20_000, webhookPerMinute: 20, webhookBlockMs: 600_000, webhookMaxBytes: 20_000 };

const requestId = () => newMessageId().replace(/_/g, '-');

/** The limits' state: the app's rolling second of card calls, each card's timing, each conversation's minute. */
export class LimitRules {
  readonly limits: Required<FakeLimits>;
  readonly violations: FakeLimitViolation[] = [];
  private readonly window: number[] = [];
  private readonly cards = new Map<string, { deliveredAt: number; lastUpdate?: number; lastStream?: number }>();
  private readonly sessions = new Map<string, { sent: number[]; blockedUntil: number }>();

  constructor(
    limits: FakeLimits,
    private readonly report: (v: FakeLimitViolation) => void,
  ) {
    this.limits = { ...PRODUCTION, ...limits };
  }

  /** A card call arrived: the 403 to answer when the app is over its rolling second, else nothing (and it counts). */
  cardCall(at: number): RouteAnswer | undefined {
    while (this.window.length && this.window[0]! <= at - 1000) this.window.shift();
    if (this.window.length >= this.limits.cardQps) {
      this.record({ rule: 'card-qps', at, text: `403 QpsLimit: more than ${this.limits.cardQps} card calls in the last second` });
      return { status: 403, body: { code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', message: `app QPS limit of this API exceeded (${this.limits.cardQps}/s)`, requestid: requestId() } };
    }
    this.window.push(at);
    return undefined;
  }

  /** A card update's content above the cap: the 400 to answer. */
  tooLong(at: number, outTrackId: string, content: unknown): RouteAnswer | undefined {
    const length = typeof content === 'string' ? content.length : 0;
    if (length <= this.limits.maxContentChars) return undefined;
    this.record({ rule: 'content-length', at, outTrackId, text: `card ${outTrackId}: an update of ${length} characters (at most ${this.limits.maxContentChars})` });
    return { status: 400, body: { code: 'InvalidParameter', message: `content exceeds ${this.limits.maxContentChars} characters`, requestid: requestId() } };
  }

  delivered(outTrackId: string, at: number): void {
    this.cards.set(outTrackId, { deliveredAt: at });
  }

  /** A card update went through: records the pacing rules it broke (production renders those badly, it does not refuse them). */
  updated(outTrackId: string, at: number, streaming: boolean, isFinalize: boolean): void {
    const card = this.cards.get(outTrackId);
    if (!card) return;
    const { cardUpdateIntervalMs: interval, frameGapMs: gap } = this.limits;
    if (card.lastUpdate === undefined && at - card.deliveredAt < gap) {
      this.record({ rule: 'frame-gap', at, outTrackId, text: `card ${outTrackId}: first content ${at - card.deliveredAt} ms after the delivery (at least ${gap}: "内容加载失败")` });
    } else if (isFinalize && card.lastUpdate !== undefined && at - card.lastUpdate < gap) {
      this.record({ rule: 'frame-gap', at, outTrackId, text: `card ${outTrackId}: final frame ${at - card.lastUpdate} ms after the previous update (at least ${gap}: "内容加载失败")` });
    }
    if (streaming && card.lastStream !== undefined && at - card.lastStream < interval) {
      this.record({ rule: 'card-interval', at, outTrackId, text: `card ${outTrackId}: streamed ${at - card.lastStream} ms after its previous update (DingTalk protects a card for ~${interval} ms)` });
    }
    card.lastUpdate = at;
    if (streaming) card.lastStream = at;
  }

  /** A session-webhook post: the errcode answer when the conversation is over its minute or the body too big. */
  webhook(session: string, at: number, bytes: number): RouteAnswer | undefined {
    if (bytes > this.limits.webhookMaxBytes) {
      this.record({ rule: 'webhook-size', at, text: `webhook ${session}: a ${bytes}-byte message (at most ${this.limits.webhookMaxBytes})` });
      return { status: 200, body: { errcode: 460101, errmsg: `message too long, exceed ${this.limits.webhookMaxBytes} bytes` } };
    }
    const s = this.sessions.get(session) ?? { sent: [], blockedUntil: 0 };
    this.sessions.set(session, s);
    while (s.sent.length && s.sent[0]! <= at - 60_000) s.sent.shift();
    if (at < s.blockedUntil || s.sent.length >= this.limits.webhookPerMinute) {
      if (at >= s.blockedUntil) s.blockedUntil = at + this.limits.webhookBlockMs;
      this.record({ rule: 'webhook-rate', at, text: `webhook ${session}: errcode 130101, over ${this.limits.webhookPerMinute} messages a minute; blocked for ${Math.ceil((s.blockedUntil - at) / 1000)} s` });
      return { status: 200, body: { errcode: 130101, errmsg: `send too fast, exceed ${this.limits.webhookPerMinute} times per minute` } };
    }
    s.sent.push(at);
    return undefined;
  }

  /** A media upload production would refuse: its errcode answer (inside an HTTP 200, as legacy endpoints answer). */
  media(at: number, type: string, filename: string, size: number): RouteAnswer | undefined {
    const rule = MEDIA[type];
    const ext = /\.([^./]+)$/.exec(filename)?.[1]?.toLowerCase() ?? '';
    const refusal: [number, string] | undefined = !rule
      ? [40004, `不合法的媒体文件类型: type ${type} (image, voice, video or file)`]
      : !rule.formats.test(ext)
        ? [40005, `不合法的文件类型: a ${type} cannot be .${ext}`]
        : size > rule.mb * 2 ** 20
          ? [40006, `不合法的文件大小: a ${type} of ${size} bytes (at most ${rule.mb} MB)`]
          : undefined;
    if (!refusal) return undefined;
    this.record({ rule: 'media', at, text: `media/upload refused, errcode ${refusal[0]}: ${refusal[1]}` });
    return { status: 200, body: { errcode: refusal[0], errmsg: refusal[1] } };
  }

  private record(v: FakeLimitViolation): void {
    this.violations.push(v);
    if (this.violations.length > 1000) this.violations.shift(); // a long simulator session must not grow without bound
    this.report(v);
  }
}
