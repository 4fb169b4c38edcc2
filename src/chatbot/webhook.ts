import { WebhookError } from './errors.js';

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
 * Options of {@link ChatbotReplier}.
 *
 * @example
 * ```ts
 * const options: ReplierOptions = { allowedWebhookHosts: ['*.example-proxy.internal'] };
 * ```
 */
export interface ReplierOptions {
  /** Extra webhook hosts to trust besides `*.dingtalk.com`/`*.dingtalk.io` (`host` or `*.domain`); https only. */
  allowedWebhookHosts?: string[];
  /** Default: the global `fetch` (or the client's, through the handler layer). */
  fetch?: typeof fetch;
}

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
 * `*.dingtalk.com` or `*.dingtalk.io` (or an `extraHosts` entry), or plain http to loopback
 * (tests). A payload forged to point elsewhere cannot make the bot post there.
 *
 * @example
 * ```ts
 * assertWebhookUrl('https://oapi.dingtalk.com/robot/sendBySession?session=x'); // ok
 * assertWebhookUrl('https://evil.example/steal'); // throws WebhookError WEBHOOK_HOST_REJECTED
 * ```
 */
export function assertWebhookUrl(url: string | undefined, extraHosts: string[] = []): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url ?? '');
  } catch {
    /* reported below */
  }
  if (parsed && !parsed.username && !parsed.password) {
    if (parsed.protocol === 'https:' && hostAllowed(parsed.hostname, [...DINGTALK_HOSTS, ...extraHosts])) return parsed;
    if (parsed.protocol === 'http:' && LOOPBACK.test(parsed.hostname)) return parsed;
  }
  const shown = parsed ? `${parsed.protocol}//${parsed.host}` : 'an invalid URL';
  throw new WebhookError('WEBHOOK_HOST_REJECTED', `Refused to post to ${shown}: a session webhook must be https://*.dingtalk.com or *.dingtalk.io (see allowedWebhookHosts).`);
}

/**
 * Replies to one chatbot message through its session webhook: text, markdown and
 * actionCard, with optional @-mentions. It refuses an expired webhook
 * (`WEBHOOK_EXPIRED`, after `sessionWebhookExpiredTime`) and a host outside DingTalk
 * (`WEBHOOK_HOST_REJECTED`), and throws `WEBHOOK_FAILED` when DingTalk answers with an error.
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

  constructor(
    readonly target: ReplyTarget,
    options: ReplierOptions = {},
  ) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.extraHosts = options.allowedWebhookHosts ?? [];
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
    return this.send({ msgtype: 'text', text: { content }, ...this.at(at) });
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
    return this.send({ msgtype: 'markdown', markdown: { title, text }, ...this.at(at) });
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
   * Posts any body the session webhook accepts (e.g. `link`, `feedCard`); checks included.
   *
   * @example
   * ```ts
   * await reply.send({ msgtype: 'link', link: { title: 'Docs', text: 'Read me', messageUrl: 'https://example.com', picUrl: '' } });
   * ```
   */
  async send(body: Record<string, unknown>): Promise<unknown> {
    const { sessionWebhook, sessionWebhookExpiredTime } = this.target;
    const url = assertWebhookUrl(sessionWebhook, this.extraHosts);
    if (sessionWebhookExpiredTime !== undefined && Date.now() >= sessionWebhookExpiredTime) {
      throw new WebhookError('WEBHOOK_EXPIRED', 'This message\'s session webhook has expired (sessionWebhookExpiredTime); send with DingTalkOpenApi.sendRobotToUsers/sendRobotToGroup instead.');
    }
    let response: Response;
    try {
      response = await this.fetch(url.href, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
    } catch (err) {
      throw new WebhookError('WEBHOOK_FAILED', `Could not reach the session webhook at ${url.host}.`, 0, err);
    }
    const text = await response.text();
    let result: { errcode?: number; errmsg?: string } | undefined;
    try {
      result = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: judged by the status alone */
    }
    if (!response.ok || (result?.errcode !== undefined && result.errcode !== 0)) {
      const why = result?.errmsg ? `errcode ${String(result.errcode)}: ${result.errmsg}` : `HTTP ${response.status}`;
      throw new WebhookError('WEBHOOK_FAILED', `The session webhook refused the reply (${why}).`, response.status);
    }
    return result;
  }

  private at(at: Mention | undefined): { at?: { atUserIds: string[]; isAtAll: boolean } } {
    if (!at) return {};
    const ids = [...(at.sender && this.target.senderStaffId ? [this.target.senderStaffId] : []), ...(at.userIds ?? [])];
    return { at: { atUserIds: ids, isAtAll: !!at.all } };
  }
}
