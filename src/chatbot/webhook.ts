import { NO_REDIRECT, refuseRedirect } from '../errors.js';
import { count, opt, readOptions, val, type OptionsOf, type ValuesOf } from '../options.js';
import { WebhookError } from './errors.js';
import type { CardTarget } from './cards.js';
import type { DingTalkOpenApi, SendFileOptions, SentMessage } from './openapi.js';
import { robotMessageOf } from './robot-messages.js';
import { splitText } from './text.js';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
const DINGTALK_HOSTS = ['*.dingtalk.com', '*.dingtalk.io'];

/**
 * Who to @-mention in a reply. `sender` mentions the message's sender (by `senderStaffId`).
 * Unlike Python's `reply_text`, nobody is mentioned unless you ask.
 *
 * @example
 * ```ts
 * await reply.text('done', { sender: true, userIds: ['manager01'] });
 * ```
 */
export interface Mention {
  sender?: boolean;
  userIds?: string[];
  all?: boolean;
}

/**
 * An actionCard with one button (`singleTitle`/`singleURL`) or several (`buttons`).
 *
 * @example
 * ```ts
 * const card: ActionCard = { title: 'Deploy', text: '### v1.2 ready', buttons: [{ title: 'Open', actionURL: 'https://example.com' }] };
 * ```
 */
export type ActionCard =
  | { title: string; text: string; singleTitle: string; singleURL: string; btnOrientation?: '0' | '1' }
  | { title: string; text: string; buttons: Array<{ title: string; actionURL: string }>; btnOrientation?: '0' | '1' };

/**
 * The options of {@link ChatbotReplier}: kind and default of each (see `readOptions`).
 * Internal; the handler layer's options take these too.
 */
export const REPLIER = {
  /** Extra webhook hosts to trust besides `*.dingtalk.com`/`*.dingtalk.io` (`host` or `*.domain`); https only. */
  allowedWebhookHosts: val<string[]>('object', []),
  /** Default: the OpenAPI's `fetch`, else the global one (the handler layer passes the client's). */
  fetch: opt<typeof fetch>('function'),
  /**
   * The app's OpenAPI: a reply after the session webhook expired (it lives 90 min), or for a
   * target without one, goes through the robot OpenAPI instead (1:1 by `senderStaffId`, a
   * group by `conversationId`). The handler layer passes the client's.
   */
  api: opt<DingTalkOpenApi>('object'),
  /**
   * Text and markdown longer than this go out as several messages, split at line breaks;
   * default 3,500: the DingTalk team's channel SDK splits there (dingtalk-channel-sdk-nodejs
   * SPEC.md §4, `TextChunkLimit`), markdown stops rendering above ~3,500
   * (agentscope-ai/QwenPaw#3742), and a robot message body above 20,000 bytes is refused with
   * errcode 460101 (timonwong/prometheus-webhook-dingtalk#30); 3,500 UTF-16 units are at most
   * 10,500 bytes of UTF-8.
   */
  maxChars: count(3500),
  /**
   * Accept plain `http:` webhooks on loopback (the simulator's, the fake gateway's). Default:
   * only when the `api` talks to a loopback host; the handler layer sets it when the client
   * does. A production bot never posts to a local port a forged message names.
   */
  allowLoopback: opt<boolean>('boolean'),
};

/**
 * Options of {@link ChatbotReplier}. An unknown key is a `CONFIG` error naming the option it
 * probably meant.
 *
 * @example
 * ```ts
 * const options: ReplierOptions = { allowedWebhookHosts: ['*.example-proxy.internal'] };
 * ```
 */
export type ReplierOptions = OptionsOf<typeof REPLIER>;

/** Options objects already read: the handler layer passes one object for every message's replier. */
const READ = new WeakMap<object, ValuesOf<typeof REPLIER>>();

/**
 * What a reply needs from a message: its webhook, expiry and sender.
 *
 * @example
 * ```ts
 * const target: ReplyTarget = { sessionWebhook: body.sessionWebhook };
 * ```
 */
export interface ReplyTarget {
  sessionWebhook?: string | undefined;
  sessionWebhookExpiredTime?: number | undefined;
  senderStaffId?: string | undefined;
  /** `'2'` for a group: replies through the OpenAPI then go to `conversationId`. */
  conversationType?: string | undefined;
  conversationId?: string | undefined;
}

/** Whether `url` points at this machine (a test gateway or the simulator). */
export function isLoopback(url: string): boolean {
  try {
    return LOOPBACK.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

function hostAllowed(host: string, patterns: string[]): boolean {
  host = host.toLowerCase();
  return patterns.some((p) => {
    p = p.toLowerCase();
    return p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p;
  });
}

/**
 * Checks a session webhook URL before anything is posted to it: `https:` to
 * `*.dingtalk.com` or `*.dingtalk.io` (or an `extraHosts` entry), or, with `allowLoopback`
 * (a bot talking to a loopback gateway: tests and the simulator), plain http to loopback. A
 * payload forged to point elsewhere, a local port included, cannot make the bot post there.
 *
 * @example
 * ```ts
 * assertWebhookUrl('https://oapi.dingtalk.com/robot/sendBySession?session=x'); // ok
 * assertWebhookUrl('https://evil.example/steal'); // throws WebhookError WEBHOOK_HOST_REJECTED
 * ```
 */
export function assertWebhookUrl(url: string | undefined, extraHosts: string[] = [], allowLoopback = false): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url ?? '');
  } catch {
    /* reported below */
  }
  if (parsed && !parsed.username && !parsed.password) {
    if (parsed.protocol === 'https:' && hostAllowed(parsed.hostname, [...DINGTALK_HOSTS, ...extraHosts])) return parsed;
    if (allowLoopback && parsed.protocol === 'http:' && LOOPBACK.test(parsed.hostname)) return parsed;
  }
  const shown = parsed ? `${parsed.protocol}//${parsed.host}` : 'an invalid URL';
  throw new WebhookError('WEBHOOK_HOST_REJECTED', `Refused to post to ${shown}: a session webhook must be https://*.dingtalk.com or *.dingtalk.io (see allowedWebhookHosts).`);
}

/**
 * Replies to one chatbot message through its session webhook: text, markdown and
 * actionCard, with optional @-mentions. Text and markdown longer than `maxChars` (3,500) go
 * out as several messages, split at line breaks. After `sessionWebhookExpiredTime` the reply
 * goes through the robot OpenAPI when the replier has one (`api`), else it throws
 * `WEBHOOK_EXPIRED`. It refuses a host outside DingTalk (`WEBHOOK_HOST_REJECTED`), and
 * throws `WEBHOOK_RATE_LIMITED` (errcode 130101) or `WEBHOOK_FAILED` when DingTalk refuses.
 *
 * @example
 * ```ts
 * const reply = new ChatbotReplier(message);
 * await reply.markdown('Result', '**2**', { sender: true });
 * ```
 */
export class ChatbotReplier {
  private readonly fetch: typeof fetch;
  private readonly extraHosts: string[];
  private readonly allowLoopback: boolean;
  private readonly api: DingTalkOpenApi | undefined;
  private readonly maxChars: number;

  constructor(
    readonly target: ReplyTarget,
    options?: ReplierOptions,
  ) {
    let o = options && READ.get(options);
    if (!o) {
      o = readOptions('ChatbotReplier', REPLIER, options);
      if (options) READ.set(options, o);
    }
    this.api = o.api;
    this.fetch = o.fetch ?? this.api?.fetch ?? ((input, init) => fetch(input, init));
    this.extraHosts = o.allowedWebhookHosts;
    this.allowLoopback = o.allowLoopback ?? (this.api !== undefined && isLoopback(this.api.openApiHost));
    this.maxChars = o.maxChars;
  }

  /**
   * Replies with plain text.
   *
   * @example
   * ```ts
   * await reply.text('Q: 1+1\nA: 2');
   * ```
   */
  text(content: string, at?: Mention): Promise<unknown> {
    return this.parts(content, (part, first) => ({ msgtype: 'text', text: { content: part }, ...(first ? this.at(at) : {}) }));
  }

  /**
   * Replies with markdown (`title` shows in notifications).
   *
   * @example
   * ```ts
   * await reply.markdown('Weather', '### Sunny\n- 25°C');
   * ```
   */
  markdown(title: string, text: string, at?: Mention): Promise<unknown> {
    return this.parts(text, (part, first) => ({ msgtype: 'markdown', markdown: { title, text: part }, ...(first ? this.at(at) : {}) }));
  }

  /**
   * Replies with an actionCard: one button (`singleTitle`/`singleURL`) or several
   * (`buttons`, laid out vertically unless `btnOrientation` is `'1'`).
   *
   * @example
   * ```ts
   * await reply.actionCard({ title: 'Release', text: 'v1.2 is out', singleTitle: 'Read', singleURL: 'https://example.com' });
   * ```
   */
  actionCard(card: ActionCard, at?: Mention): Promise<unknown> {
    const { title, text, btnOrientation = '0' } = card;
    const body = 'buttons' in card ? { title, text, btnOrientation, btns: card.buttons } : { title, text, btnOrientation, singleTitle: card.singleTitle, singleURL: card.singleURL };
    return this.send({ msgtype: 'actionCard', actionCard: body, ...this.at(at) });
  }

  /**
   * Replies with markdown in an AI card: the webhook reply a Graph API (AI plugin) action
   * uses (Python's `GraphHandler.reply_markdown`).
   *
   * @example
   * ```ts
   * await new ChatbotReplier({ sessionWebhook: body.sessionWebhook }).aiMarkdown('**Sunny**, 25°C');
   * ```
   */
  aiMarkdown(content: string): Promise<unknown> {
    return this.send({ contentType: 'ai_card', content: { templateId: 'd28e2ac5-fb34-4d93-94bc-cf5c580c2d4f.schema', cardData: { content } } });
  }

  /**
   * Sends a file (a `Blob`/`File` or bytes) to this conversation: picture, voice, video or file
   * by its name (see {@link DingTalkOpenApi.sendFile} for the types, limits and options). A
   * session webhook cannot carry files, so it goes through the robot OpenAPI: the replier needs
   * one (`api`; the handler layer's has it). Resolves with what {@link DingTalkOpenApi.recall} takes.
   *
   * @example
   * ```ts
   * await reply.file(new Blob([csvZip], { type: 'application/zip' }), { fileName: 'export.zip' });
   * ```
   */
  file(file: Blob | ArrayBuffer | ArrayBufferView, options?: SendFileOptions): Promise<SentMessage> {
    if (!this.api) throw new WebhookError('WEBHOOK_FAILED', 'Files go through the robot OpenAPI: new ChatbotReplier(message, { api }).');
    return this.api.sendFile(this.target as CardTarget, file, options);
  }

  /**
   * Posts any body the session webhook accepts (e.g. `link`, `feedCard`); checks included.
   *
   * @example
   * ```ts
   * await reply.send({ msgtype: 'link', link: { title: 'Docs', text: 'Read me', messageUrl: 'https://example.com', picUrl: '' } });
   * ```
   */
  async send(body: Record<string, unknown>): Promise<unknown> {
    const { sessionWebhook, sessionWebhookExpiredTime } = this.target;
    const url = sessionWebhook ? assertWebhookUrl(sessionWebhook, this.extraHosts, this.allowLoopback) : undefined;
    if (!url || (sessionWebhookExpiredTime !== undefined && Date.now() >= sessionWebhookExpiredTime)) return this.viaOpenApi(body);
    let response: Response;
    try {
      response = await this.fetch(url.href, { ...NO_REDIRECT, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
    } catch (err) {
      throw new WebhookError('WEBHOOK_FAILED', `Could not reach the session webhook at ${url.host}.`, 0, err);
    }
    refuseRedirect(response, url.host); // an open redirect on any *.dingtalk.com host would carry the reply off
    const text = await response.text();
    let result: { errcode?: number; errmsg?: string } | undefined;
    try {
      result = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: judged by the status alone */
    }
    if (!response.ok || (result?.errcode !== undefined && result.errcode !== 0)) {
      const why = result?.errmsg ? `errcode ${String(result.errcode)}: ${result.errmsg}` : `HTTP ${response.status}`;
      // 130101: ~20 messages a minute per robot and conversation, then a 10-minute block (protocol.md §10.4)
      if (result?.errcode === 130101) throw new WebhookError('WEBHOOK_RATE_LIMITED', `The session webhook refused the reply (${why}): ~20 messages a minute, then blocked 10 min; send fewer, longer ones.`, response.status);
      throw new WebhookError('WEBHOOK_FAILED', `The session webhook refused the reply (${why}).`, response.status);
    }
    return result;
  }

  // long text in several messages, one after the other so that they arrive in order; @-mentions on the first
  private async parts(text: string, body: (part: string, first: boolean) => Record<string, unknown>): Promise<unknown> {
    let result: unknown;
    for (const [i, part] of splitText(text, this.maxChars).entries()) result = await this.send(body(part, i === 0));
    return result;
  }

  // after the webhook's 90 minutes: the robot OpenAPI reaches the same chat (protocol.md §10.4)
  private viaOpenApi(body: Record<string, unknown>): Promise<unknown> {
    const { conversationType, conversationId, senderStaffId } = this.target;
    const message = robotMessageOf(body);
    const group = conversationType === '2';
    if (!this.api || !message || !(group ? conversationId : senderStaffId)) {
      throw new WebhookError('WEBHOOK_EXPIRED', `The session webhook expired (90 min). The robot OpenAPI takes over for text, markdown and one-button actionCards, given the ${group ? 'conversationId' : 'senderStaffId'} and a replier with one: new ChatbotReplier(message, { api }).`);
    }
    return this.api.sendRobotMessage(this.target as CardTarget, message);
  }

  private at(at: Mention | undefined): { at?: { atUserIds: string[]; isAtAll: boolean } } {
    if (!at) return {};
    const ids = [...(at.sender && this.target.senderStaffId ? [this.target.senderStaffId] : []), ...(at.userIds ?? [])];
    return { at: { atUserIds: ids, isAtAll: !!at.all } };
  }
}
