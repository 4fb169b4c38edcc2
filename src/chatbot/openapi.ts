import type { DingTalkStreamClient } from '../client.js';
import { assertSecureUrl } from '../connection/transport.js';
import { NO_REDIRECT, RedirectRefusedError, refuseRedirect } from '../errors.js';
import { createLogger, Redactor, type Logger } from '../logger.js';
import { count, ms, opt, readOptions, val, type OptionsOf } from '../options.js';
import { cardParamMap, deliverFields, privateCardData, resolveTarget, type CardDelivery, type CardParams, type CardTarget, type PrivateDataByUser } from './cards.js';
import { MediaError, OpenApiError, type OpenApiErrorCode } from './errors.js';
import { CardBudget, IDEMPOTENT_RETRIES, isCardCall, isIdempotent, isQuotaExceeded, isRateLimited, QPS_BACKOFF_MS, retryDelay, wait } from './governor.js';
import { mediaTypeOf } from './media.js';
import { robotMessage, type RobotMessage } from './robot-messages.js';
import { TokenCache } from './token.js';

/**
 * The settings of {@link DingTalkOpenApi}: its {@link OpenApiOptions} besides the
 * credentials, and all its `overrides` when it is built from a client. Internal: the
 * options table (kind and default of each; see `readOptions`).
 */
const OPENAPI = {
  /** Default `https://api.dingtalk.com` (the client's `openApiHost` when built from a client). */
  openApiHost: val('string', 'https://api.dingtalk.com'),
  /**
   * Host of the legacy endpoints (media upload); default `https://oapi.dingtalk.com`, or
   * `openApiHost` itself when that is a local (loopback) one such as the simulator.
   */
  oapiHost: opt<string>('string'),
  /** Default: the client's platform `fetch` (its proxy included), else the global one. */
  fetch: opt<typeof fetch>('function'),
  /** Where warnings go; default: the client's logger, else none. Secrets are scrubbed. */
  logger: opt<Logger>('object'),
  /** Per-request timeout; default 15 s. */
  timeoutMs: ms(15_000),
  /**
   * Card calls per second for the whole app (all card endpoints together); default 20, the
   * standard edition's per-app limit (DingTalk's throttling document) and the DingTalk
   * team's own bucket. Calls beyond it wait their turn; none is dropped.
   */
  cardQps: count(20),
};

// the options of one not built from a client: the credentials too
const OPTIONS = { clientId: opt<string>('string'), clientSecret: opt<string>('string'), ...OPENAPI };

/**
 * Options of {@link DingTalkOpenApi} when it is not built from a stream client. An unknown
 * key is a `CONFIG` error naming the option it probably meant.
 *
 * @example
 * ```ts
 * const options: OpenApiOptions = { clientId, clientSecret, openApiHost: 'https://api.dingtalk.com' };
 * ```
 */
export interface OpenApiOptions extends OptionsOf<typeof OPENAPI> {
  clientId: string;
  clientSecret: string;
}

/**
 * A card instance to create (`POST /v1.0/card/instances`).
 *
 * @example
 * ```ts
 * const card: CardCreate = { cardTemplateId: 'xxx.schema', cardData: { title: 'Vote' } };
 * ```
 */
export interface CardCreate {
  cardTemplateId: string;
  /** Your id for the instance (callbacks and updates use it); default a random UUID. */
  outTrackId?: string;
  cardData?: CardParams;
  /** userId → private params shown only to that user. */
  privateData?: PrivateDataByUser;
  /** How button callbacks arrive; default `'STREAM'` (this SDK's `registerCardCallbackHandler`). */
  callbackType?: 'STREAM' | 'HTTP';
  callbackRouteKey?: string;
  /** Default `true`. */
  supportForward?: boolean;
  /** Any other documented field (`openDynamicDataConfig`, `topOpenSpaceModel`, …), merged last. */
  extra?: Record<string, unknown>;
}

/**
 * A legacy interactive card ("普通版", template `StandardCard`) to send.
 *
 * @example
 * ```ts
 * const card: InteractiveCard = { to: message, cardData: { config: { autoLayout: true }, contents: [] }, atSender: true };
 * ```
 */
export interface InteractiveCard {
  to: CardTarget;
  /** The card JSON (sent as a string). */
  cardData: object;
  cardTemplateId?: string;
  /** Idempotency / update id; default a random UUID. */
  cardBizId?: string;
  robotCode?: string;
  atAll?: boolean;
  atSender?: boolean;
  atUsers?: Array<{ userId: string; nickName?: string }>;
  extra?: Record<string, unknown>;
}

/**
 * Request options of {@link DingTalkOpenApi.request}.
 *
 * @example
 * ```ts
 * const options: RequestOptions = { idempotent: true, signal: AbortSignal.timeout(30_000) };
 * ```
 */
export interface RequestOptions {
  /** A legacy `oapi` endpoint: token in `?access_token=`, errors as `{errcode, errmsg}`. */
  legacy?: boolean;
  /**
   * May the call be sent again after a network error, a timeout or a 5xx? Default: yes for
   * GET/PUT/DELETE and the token, no for other POSTs (a send could show twice).
   */
  idempotent?: boolean;
  /** Aborts the waits (the card budget, backoffs) before the call is sent. */
  signal?: AbortSignal;
}

/**
 * What a robot message send resolved with, and all that {@link DingTalkOpenApi.recall} and
 * {@link DingTalkOpenApi.readStatus} need: DingTalk's `processQueryKey` (valid for 24 hours),
 * the `robotCode` it was sent with, and the conversation: none for a 1:1 chat
 * (`oToMessages/batchSend`; `userIds` instead), `openConversationId` for a group, and
 * `coolAppCode` too for a chat between people (`privateChatMessages/send`).
 *
 * @example
 * ```ts
 * const sent: SentMessage = await api.sendRobotMessage(message, robotMessage.text('Working on it…'));
 * await api.recall(sent);
 * ```
 */
export interface SentMessage {
  processQueryKey: string;
  robotCode?: string;
  openConversationId?: string;
  coolAppCode?: string;
  userIds?: string[];
}

/**
 * Who read a robot message: 1:1 messages answer `messageReadInfoList` (each recipient `READ`
 * or `UNREAD`), group and private-chat messages `readUserIds`, a page at a time (`hasMore`,
 * `nextToken`). `sendStatus` is `SUCCESS`, `RECALLED` or `PROCESSING` (DingTalk's own sample
 * spells it `SUCESS`).
 *
 * @example
 * ```ts
 * const { messageReadInfoList = [] }: ReadStatus = await api.readStatus(sent);
 * const unread = messageReadInfoList.filter((r) => r.readStatus === 'UNREAD').map((r) => r.userId);
 * ```
 */
export interface ReadStatus {
  sendStatus?: string;
  messageReadInfoList?: Array<{ name?: string; userId: string; readStatus: 'READ' | 'UNREAD' | (string & {}); readTimestamp?: number }>;
  readUserIds?: string[];
  hasMore?: boolean;
  nextToken?: string;
}

/**
 * Options of {@link DingTalkOpenApi.sendFile} (and `reply.file`).
 *
 * @example
 * ```ts
 * const options: SendFileOptions = { fileName: 'intro.mp4', durationMs: 12_000, cover: posterPng };
 * ```
 */
export interface SendFileOptions {
  /** The name shown in the chat, whose extension picks the message type; default the `File`'s name, else `file.<MIME subtype>`. */
  fileName?: string;
  /** Audio and video: the length, which DingTalk shows (it cannot be read from the bytes here). */
  durationMs?: number;
  /** Video: the cover picture (jpg/gif/png/bmp), or the `mediaId` of one already uploaded. */
  cover?: Blob | string;
  /** Default: the app's clientId (an internal app's robotCode). */
  robotCode?: string;
}

type Json = Record<string, any>;
type Source = Pick<DingTalkStreamClient, 'clientId' | 'credential' | 'settings' | 'platform' | 'logger' | 'redactor'>;

// the first OpenAPI built on a client: replies that need the OpenAPI share its governor
const byClient = new WeakMap<object, DingTalkOpenApi>();

/** The client's OpenAPI: the first one built on it, or a new one (undefined for a client without credentials). */
export function openApiOf(client: object): DingTalkOpenApi | undefined {
  return byClient.get(client) ?? ('credential' in client ? new DingTalkOpenApi(client as DingTalkStreamClient) : undefined);
}

// legacy endpoints answer 200 with these errcodes for an invalid / expired token
const LEGACY_TOKEN_ERRORS = new Set([40001, 40014, 42001]);

/**
 * The DingTalk OpenAPI on `fetch`: the cached access token, proactive robot messages,
 * legacy interactive cards, card instances, AI-card streaming, and robot message files.
 * Every call sends `x-acs-dingtalk-access-token`, retries once with a fresh token after a
 * 401, and turns DingTalk's `{code, message, requestid}` errors into {@link OpenApiError}.
 * One instance is one app's governor: card calls share a budget of `cardQps` (default 20
 * a second), a `QpsLimit` answer is retried once after 2 s, and idempotent calls (GET, PUT,
 * the token) are retried twice after network errors and 5xx, with jittered backoff.
 *
 * @example
 * ```ts
 * const api = new DingTalkOpenApi(client); // or new DingTalkOpenApi({ clientId, clientSecret })
 * await api.sendRobotToUsers({ userIds: ['manager01'], ...robotMessage.text('Build passed') });
 * ```
 */
export class DingTalkOpenApi {
  readonly clientId: string;
  readonly openApiHost: string;
  readonly oapiHost: string;
  /** The `fetch` every call uses (the client's platform fetch, proxy included). */
  readonly fetch: typeof fetch;
  /** Where warnings go (the client's logger, secrets scrubbed). */
  readonly logger: Logger;
  private readonly redactor: Redactor;
  private readonly timeoutMs: number;
  private readonly tokens: TokenCache;
  private readonly cards: CardBudget;

  constructor(source: DingTalkStreamClient | OpenApiOptions, overrides: OptionsOf<typeof OPENAPI> = {}) {
    const client = 'credential' in source ? (source as Source) : undefined;
    // built from options, `overrides` win over them
    const o = readOptions('DingTalkOpenApi', (client ? OPENAPI : OPTIONS) as typeof OPTIONS, client ? overrides : { ...source, ...overrides });
    let clientSecret: string;
    if (client) {
      this.clientId = client.clientId;
      clientSecret = client.credential.clientSecret;
      this.redactor = client.redactor;
      this.logger = o.logger ? createLogger(o.logger, 'info', this.redactor) : client.logger;
      this.fetch = o.fetch ?? client.platform.fetch;
      this.openApiHost = overrides.openApiHost ?? client.settings.openApiHost;
      if (!byClient.has(source)) byClient.set(source, this);
    } else {
      this.clientId = o.clientId!;
      clientSecret = o.clientSecret!;
      this.redactor = new Redactor();
      this.redactor.add(clientSecret, true);
      this.logger = createLogger(o.logger, 'info', this.redactor);
      this.fetch = o.fetch ?? ((input, init) => fetch(input, init));
      this.openApiHost = o.openApiHost;
    }
    this.openApiHost = this.openApiHost.replace(/\/+$/, '');
    const local = /^http:\/\/(127\.|localhost[:/]|\[::1\])/.test(this.openApiHost + '/');
    this.oapiHost = (o.oapiHost ?? (local ? this.openApiHost : 'https://oapi.dingtalk.com')).replace(/\/+$/, '');
    assertSecureUrl(this.openApiHost);
    assertSecureUrl(this.oapiHost);
    this.timeoutMs = o.timeoutMs;
    // 1050, not 1000: calls this far apart reach DingTalk a few ms closer or further, and at
    // exactly 1000 / qps one arriving early puts qps + 1 of them in one of its seconds
    this.cards = new CardBudget(1050 / o.cardQps);
    this.tokens = new TokenCache(async () => {
      const path = '/v1.0/oauth2/accessToken';
      const { status, data, text } = await this.send('POST', this.openApiHost + path, path, { 'content-type': 'application/json' }, () => JSON.stringify({ appKey: this.clientId, appSecret: clientSecret }), true);
      if (status !== 200 || typeof data?.accessToken !== 'string' || typeof data.expireIn !== 'number') {
        throw this.error('ACCESS_TOKEN_FAILED', 'POST', path, status, data, text, ' (check clientId/clientSecret)');
      }
      this.redactor.add(data.accessToken);
      this.logger.debug(`access token refreshed, valid for ${data.expireIn} s`);
      return { accessToken: data.accessToken, expireIn: data.expireIn };
    });
  }

  /**
   * The app's access token (`POST /v1.0/oauth2/accessToken`), cached until 5 minutes before
   * it expires; concurrent callers share one request. Never log it.
   *
   * @example
   * ```ts
   * const token = await api.accessToken();
   * ```
   */
  accessToken(): Promise<string> {
    return this.tokens.get();
  }

  /**
   * Calls any OpenAPI endpoint with the token; JSON bodies are serialised, `FormData` sent
   * as multipart. Resolves with the parsed JSON answer (or `undefined` for an empty one).
   * The governor applies: card paths wait for the app's card budget, a `QpsLimit` answer is
   * retried once after 2 s, idempotent calls are retried after network errors and 5xx.
   *
   * @example
   * ```ts
   * const user = await api.request('POST', '/v1.0/contact/users/query', { userId: 'manager01' });
   * ```
   */
  request<T = unknown>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.call(method, path, () => body, options);
  }

  // `body()` is built again for every attempt, so that a streaming retry gets a fresh guid
  private async call<T>(method: string, path: string, body: () => unknown, options: RequestOptions): Promise<T> {
    const card = isCardCall(path);
    let refreshed = false;
    let limited = false;
    for (;;) {
      const token = await this.accessToken();
      // the budget's turn right before the fetch: a turn taken while the token was fetched would leave in a burst
      if (card) await this.cards.take(options.signal);
      const headers: Record<string, string> = {};
      let url = (options.legacy ? this.oapiHost : this.openApiHost) + path;
      if (options.legacy) url += `${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
      else headers['x-acs-dingtalk-access-token'] = token;
      const payload = (): BodyInit | undefined => {
        const b = body();
        if (b instanceof FormData || b === undefined) return b;
        headers['content-type'] = 'application/json';
        return JSON.stringify(b);
      };
      const { status, data, text } = await this.send(method, url, path, headers, payload, options.idempotent ?? isIdempotent(method, path), options.signal);
      const errcode = options.legacy && typeof data?.errcode === 'number' ? data.errcode : 0;
      const code = String(data?.code ?? errcode);
      const where = `${method} ${path.split('?')[0]}`;
      if ((status === 401 || LEGACY_TOKEN_ERRORS.has(errcode)) && !refreshed) {
        this.logger.debug(`${where}: token rejected, refreshing it`);
        this.tokens.invalidate(token);
        refreshed = true;
        continue;
      }
      if (isRateLimited(status, code)) {
        if (limited) throw this.error('RATE_LIMITED', method, path, status, data, text, ', again after 2 s: DingTalk allows an app ~20 calls/s per API; call less often (cardQps)');
        limited = true;
        this.logger.debug(`${where}: ${code}, retry in 2 s`);
        // the app as a whole is over its limit: every card call waits, not just this one
        if (card) this.cards.pause(QPS_BACKOFF_MS);
        else await wait(QPS_BACKOFF_MS, options.signal);
        continue;
      }
      if (isQuotaExceeded(code)) throw this.error('QUOTA_EXCEEDED', method, path, status, data, text, ": the org's monthly OpenAPI quota is used up (standard edition: 10,000); upgrade or wait for next month");
      if (status < 200 || status > 299 || errcode !== 0) throw this.error('OPENAPI_ERROR', method, path, status, data, text);
      return data as T;
    }
  }

  /**
   * Sends a robot message to users' 1:1 chats with the bot (`POST /v1.0/robot/oToMessages/batchSend`).
   *
   * @example
   * ```ts
   * await api.sendRobotToUsers({ userIds: ['manager01'], ...robotMessage.markdown('Report', '**done**') });
   * ```
   */
  sendRobotToUsers(o: RobotMessage & { userIds: string[]; robotCode?: string }): Promise<SentMessage & { invalidStaffIdList?: string[]; flowControlledStaffIdList?: string[] }> {
    return this.robot('oToMessages/batchSend', o, { userIds: o.userIds });
  }

  /**
   * Sends a robot message to a group the bot is in (`POST /v1.0/robot/groupMessages/send`).
   *
   * @example
   * ```ts
   * await api.sendRobotToGroup({ openConversationId: message.conversationId, ...robotMessage.text('Deployed') });
   * ```
   */
  sendRobotToGroup(o: RobotMessage & { openConversationId: string; robotCode?: string }): Promise<SentMessage> {
    return this.robot('groupMessages/send', o, { openConversationId: o.openConversationId });
  }

  /**
   * Sends a robot message into a chat between two people, through a private-chat cool app
   * (`POST /v1.0/robot/privateChatMessages/send`; both fields come with the cool app's events).
   *
   * @example
   * ```ts
   * await api.sendRobotToPrivateChat({ openConversationId, coolAppCode: 'COOLAPP-1-…', ...robotMessage.text('Reminder: standup') });
   * ```
   */
  sendRobotToPrivateChat(o: RobotMessage & { openConversationId: string; coolAppCode: string; robotCode?: string }): Promise<SentMessage> {
    return this.robot('privateChatMessages/send', o, { openConversationId: o.openConversationId, coolAppCode: o.coolAppCode });
  }

  /**
   * Sends a robot message where a chatbot message came from: its group (by `conversationId`)
   * or the 1:1 chat with its sender (by `senderStaffId`); or to `{ openConversationId }` /
   * `{ userId }`.
   *
   * @example
   * ```ts
   * const sent = await api.sendRobotMessage(message, robotMessage.text('Report ready'));
   * ```
   */
  sendRobotMessage(to: CardTarget, message: RobotMessage & { robotCode?: string }): Promise<SentMessage> {
    const { group, user = '' } = resolveTarget(to);
    return group !== undefined ? this.sendRobotToGroup({ openConversationId: group, ...message }) : this.sendRobotToUsers({ userIds: [user], ...message });
  }

  /**
   * Uploads a file and sends it where a chatbot message came from (see
   * {@link sendRobotMessage}), as the robot message its name (else MIME type) calls for: a
   * picture (`sampleImageMsg`), voice (`sampleAudio`), video (`sampleVideo`, with a `cover`)
   * or a file (`sampleFile`). DingTalk's documented limits are checked first, so an unsupported
   * format or a file too big throws {@link MediaError} before anything is uploaded: image 20 MB
   * jpg/gif/png/bmp, voice 2 MB amr/mp3/wav (and ogg), video 20 MB mp4, file 20 MB
   * doc/docx/xls/xlsx/ppt/pptx/zip/pdf/rar ({@link MEDIA_LIMITS}).
   *
   * @example
   * ```ts
   * const pdf = new Blob([bytes], { type: 'application/pdf' });
   * const sent = await api.sendFile(message, pdf, { fileName: 'report.pdf' });
   * ```
   */
  async sendFile(to: CardTarget, file: Blob | ArrayBuffer | ArrayBufferView, o: SendFileOptions = {}): Promise<SentMessage> {
    const blob = file instanceof Blob ? file : new Blob([file as BlobPart]);
    const { durationMs = -1, cover } = o;
    let name = o.fileName ?? (file as File).name ?? '';
    const { type, ext } = mediaTypeOf(name, blob);
    const pic = cover instanceof Blob && mediaTypeOf((cover as File).name ?? '', cover);
    const video = type === 'video';
    // everything is checked before the first upload
    if (((video || type === 'voice') && durationMs < 0) || (video && !cover) || (pic && pic.type !== 'image')) throw new MediaError('INVALID_ARGUMENT', `A ${type} needs durationMs${video ? ' and a picture as cover' : ''}`);
    name ||= `file.${ext}`;
    const picMediaId = pic ? await this.uploadMedia(cover as Blob, { type: 'image', filename: `cover.${pic.ext}` }) : (cover as string);
    const mediaId = await this.uploadMedia(blob, { type, filename: name });
    const message = type === 'image' ? robotMessage.image(mediaId) : type === 'voice' ? robotMessage.audio(mediaId, durationMs) : video ? robotMessage.video(mediaId, picMediaId, durationMs) : robotMessage.file(mediaId, name, ext);
    return this.sendRobotMessage(to, { ...message, robotCode: o.robotCode });
  }

  /**
   * Takes back a robot message within 24 hours, given what its send resolved with: a 1:1
   * message (`POST /v1.0/robot/otoMessages/batchRecall`, lower-case `oto` as DingTalk spells
   * it), a group message (`/v1.0/robot/groupMessages/recall`) or a private-chat one
   * (`/v1.0/robot/privateChatMessages/batchRecall`). It leaves no notice in the chat. DingTalk
   * answers a refusal inside an HTTP 200 (`failedResult`): that throws `OpenApiError`
   * `OPENAPI_ERROR` with its reason.
   *
   * @example
   * ```ts
   * const sent = await api.sendRobotMessage(message, robotMessage.text('Thinking…'));
   * await api.recall(sent);
   * ```
   */
  async recall(sent: SentMessage): Promise<{ successResult?: string[]; failedResult?: Record<string, string> }> {
    const { processQueryKey, openConversationId, robotCode = this.clientId } = sent;
    const path = openConversationId === undefined ? 'otoMessages/batchRecall' : sent.coolAppCode ? 'privateChatMessages/batchRecall' : 'groupMessages/recall';
    const data = await this.request<Json | undefined>('POST', `/v1.0/robot/${path}`, { robotCode, openConversationId, processQueryKeys: [processQueryKey] });
    const why: unknown = data?.failedResult?.[processQueryKey];
    if (why !== undefined) throw new OpenApiError('OPENAPI_ERROR', `Not recalled: ${why}`, 200);
    return data ?? {};
  }

  /**
   * Who read a robot message (within 24 hours of its send): a 1:1 message by
   * `GET /v1.0/robot/oToMessages/readStatus`, a group one by `POST /v1.0/robot/groupMessages/query`
   * (a private-chat one by `/v1.0/robot/privateChatMessages/query`), given what its send
   * resolved with; `page` pages through a group's readers (`maxResults` ≤ 200).
   *
   * @example
   * ```ts
   * const { readUserIds, hasMore, nextToken } = await api.readStatus(sent);
   * ```
   */
  readStatus(sent: SentMessage, page: { maxResults?: number; nextToken?: string } = {}): Promise<ReadStatus> {
    const { processQueryKey, openConversationId, robotCode = this.clientId } = sent;
    if (openConversationId === undefined) return this.request('GET', `/v1.0/robot/oToMessages/readStatus?${new URLSearchParams({ processQueryKey, robotCode })}`);
    // a query changes nothing: safe to send again after a network error
    return this.request('POST', `/v1.0/robot/${sent.coolAppCode ? 'privateChatMessages' : 'groupMessages'}/query`, { openConversationId, robotCode, processQueryKey, ...page }, { idempotent: true });
  }

  /**
   * Puts a text reaction on a user's message (`POST /v1.0/robot/emotion/reply`), or takes one
   * back with `recall: true` (`/v1.0/robot/emotion/recall`): the "🤔Thinking" / "🥳Done" marks
   * the DingTalk team's channel SDKs use. The body is theirs (`emotionType` 2, the text emotion
   * `2659900` on background `im_bg_1`). Only messages people sent take one: on a bot's own
   * message DingTalk answers 500. Which names it accepts is not documented (some reported
   * texts are refused), so treat a reaction as decoration and do not let its failure stop a reply.
   *
   * @example
   * ```ts
   * await api.reactToMessage({ openConversationId: message.conversationId, openMsgId: message.msgId, name: '🤔Thinking' });
   * ```
   */
  reactToMessage(o: { openConversationId: string; openMsgId: string; name: string; recall?: boolean; robotCode?: string }): Promise<unknown> {
    const textEmotion = { emotionId: '2659900', emotionName: o.name, text: o.name, backgroundId: 'im_bg_1' };
    const body = { robotCode: o.robotCode ?? this.clientId, openConversationId: o.openConversationId, openMsgId: o.openMsgId, emotionType: 2, emotionName: o.name, textEmotion };
    return this.request('POST', `/v1.0/robot/emotion/${o.recall ? 'recall' : 'reply'}`, body);
  }

  /**
   * Sends a legacy interactive card (`POST /v1.0/im/v1.0/robot/interactiveCards/send`,
   * Python's `reply_card`); resolves with its `cardBizId` for {@link updateInteractiveCard}.
   *
   * @example
   * ```ts
   * const cardBizId = await api.sendInteractiveCard({ to: message, cardData: card });
   * ```
   */
  async sendInteractiveCard(o: InteractiveCard): Promise<string> {
    const cardBizId = o.cardBizId ?? crypto.randomUUID();
    const { group, user, message } = resolveTarget(o.to);
    const atUsers = [...(o.atSender && message?.senderStaffId ? [{ nickName: message.senderNick ?? '', userId: message.senderStaffId }] : []), ...(o.atUsers ?? [])];
    await this.request('POST', '/v1.0/im/v1.0/robot/interactiveCards/send', {
      cardTemplateId: o.cardTemplateId ?? 'StandardCard',
      robotCode: o.robotCode ?? this.clientId,
      cardData: JSON.stringify(o.cardData),
      cardBizId,
      ...(group !== undefined ? { openConversationId: group } : { singleChatReceiver: JSON.stringify({ userId: user }) }),
      sendOptions: { atAll: !!o.atAll, ...(atUsers.length ? { atUserListJson: JSON.stringify(atUsers) } : {}) },
      ...o.extra,
    });
    return cardBizId;
  }

  /**
   * Replaces the data of a legacy interactive card (`PUT /v1.0/im/robots/interactiveCards`).
   *
   * @example
   * ```ts
   * await api.updateInteractiveCard(cardBizId, newCard);
   * ```
   */
  updateInteractiveCard(cardBizId: string, cardData: object): Promise<unknown> {
    return this.request('PUT', '/v1.0/im/robots/interactiveCards', { cardBizId, cardData: JSON.stringify(cardData) });
  }

  /**
   * Creates a card instance (`POST /v1.0/card/instances`); resolves with its `outTrackId`.
   *
   * @example
   * ```ts
   * const outTrackId = await api.createCard({ cardTemplateId, cardData: { title: 'Vote' } });
   * await api.deliverCard({ outTrackId, to: message });
   * ```
   */
  async createCard(o: CardCreate): Promise<string> {
    const body = createFields(o);
    this.delivered('/v1.0/card/instances', await this.request('POST', '/v1.0/card/instances', body));
    return body.outTrackId;
  }

  /**
   * Delivers a created card instance to a group or a 1:1 chat (`POST /v1.0/card/instances/deliver`).
   *
   * @example
   * ```ts
   * await api.deliverCard({ outTrackId, to: { openConversationId }, atAll: true });
   * ```
   */
  async deliverCard(o: CardDelivery & { outTrackId: string; extra?: Record<string, unknown> }): Promise<unknown> {
    const path = '/v1.0/card/instances/deliver';
    return this.delivered(path, await this.request('POST', path, { outTrackId: o.outTrackId, ...deliverFields(o, this.clientId), ...o.extra }));
  }

  /**
   * Creates and delivers a card instance in one call (`POST /v1.0/card/instances/createAndDeliver`);
   * resolves with its `outTrackId`.
   *
   * @example
   * ```ts
   * const outTrackId = await api.createAndDeliverCard({ cardTemplateId, cardData: { title: 'Vote' }, to: message });
   * ```
   */
  async createAndDeliverCard(o: CardCreate & CardDelivery): Promise<string> {
    const { extra, ...rest } = o;
    const body = { ...createFields(rest), ...deliverFields(o, this.clientId), ...extra };
    this.delivered('/v1.0/card/instances/createAndDeliver', await this.request('POST', '/v1.0/card/instances/createAndDeliver', body));
    return body.outTrackId;
  }

  /**
   * Updates a card instance's data and per-user private data (`PUT /v1.0/card/instances`).
   * By default only the given keys change (`updateCardDataByKey`).
   *
   * @example
   * ```ts
   * await api.updateCard({ outTrackId, cardData: { status: 'approved' }, privateData: { [userId]: { voted: true } } });
   * ```
   */
  updateCard(o: { outTrackId: string; cardData?: CardParams; privateData?: PrivateDataByUser; updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean; extra?: Record<string, unknown> }, options: RequestOptions = {}): Promise<unknown> {
    return this.request('PUT', '/v1.0/card/instances', {
      outTrackId: o.outTrackId,
      ...(o.cardData ? { cardData: cardParamMap(o.cardData) } : {}),
      ...(o.privateData ? { privateData: privateCardData(o.privateData) } : {}),
      cardUpdateOptions: { updateCardDataByKey: o.updateCardDataByKey ?? true, updatePrivateDataByKey: o.updatePrivateDataByKey ?? true },
      userIdType: 1,
      ...o.extra,
    }, options);
  }

  /**
   * Streams a card variable (`PUT /v1.0/card/streaming`): the AI card's typewriter effect.
   * `content` is the full text so far (`isFull`, default true). See {@link AIStreamingCard}.
   *
   * @example
   * ```ts
   * await api.streamCard({ outTrackId, content: 'Hello, wor' });
   * ```
   */
  streamCard(o: { outTrackId: string; content: string; key?: string; isFull?: boolean; isFinalize?: boolean; isError?: boolean }, options: RequestOptions = {}): Promise<unknown> {
    return this.call('PUT', '/v1.0/card/streaming', () => ({
      outTrackId: o.outTrackId,
      guid: crypto.randomUUID(), // per attempt: a retry is a new update, not a duplicate to drop
      key: o.key ?? 'msgContent',
      content: o.content,
      isFull: o.isFull ?? true,
      isFinalize: o.isFinalize ?? false,
      isError: o.isError ?? false,
    }), options);
  }

  /**
   * A temporary download URL for a file a user sent the bot (`POST /v1.0/robot/messageFiles/download`);
   * the code comes from `message.downloadCodes`.
   *
   * @example
   * ```ts
   * const url = await api.messageFileDownloadUrl(message.downloadCodes[0]!);
   * const bytes = await (await fetch(url)).arrayBuffer();
   * ```
   */
  async messageFileDownloadUrl(downloadCode: string, robotCode = this.clientId): Promise<string> {
    const data = await this.request<{ downloadUrl?: string }>('POST', '/v1.0/robot/messageFiles/download', { robotCode, downloadCode });
    if (typeof data?.downloadUrl !== 'string') throw new OpenApiError('OPENAPI_ERROR', 'DingTalk OpenAPI POST /v1.0/robot/messageFiles/download answered without a downloadUrl.', 200);
    return data.downloadUrl;
  }

  /**
   * Uploads media (multipart field `media`) to the legacy `POST {oapiHost}/media/upload`;
   * resolves with the `media_id` (for `sampleImageMsg`, `sampleFile`, …).
   *
   * @example
   * ```ts
   * const mediaId = await api.uploadMedia(new Blob([png], { type: 'image/png' }), { type: 'image', filename: 'chart.png' });
   * await api.sendRobotToUsers({ userIds, ...robotMessage.image(mediaId) });
   * ```
   */
  async uploadMedia(media: Blob, options: { type?: 'image' | 'voice' | 'video' | 'file'; filename?: string } = {}): Promise<string> {
    const form = new FormData();
    form.set('type', options.type ?? 'file');
    form.set('media', media, options.filename ?? 'file');
    const data = await this.request<{ media_id?: string }>('POST', `/media/upload?type=${options.type ?? 'file'}`, form, { legacy: true });
    if (typeof data?.media_id !== 'string') throw new OpenApiError('OPENAPI_ERROR', 'DingTalk OpenAPI POST /media/upload answered without a media_id.', 200);
    return data.media_id;
  }

  // a robot message send: the answer, and what recall and readStatus need to find the message again
  private async robot(path: string, o: RobotMessage & { robotCode?: string }, to: Json): Promise<any> {
    const robotCode = o.robotCode ?? this.clientId;
    const data = await this.request<Json | undefined>('POST', `/v1.0/robot/${path}`, { robotCode, ...to, msgKey: o.msgKey, msgParam: param(o.msgParam) });
    return { ...to, ...data, robotCode };
  }

  /**
   * Card calls can fail inside an HTTP 200: `success: false`, or a delivery result with
   * `success: false` (dingtalk-channel-sdk-nodejs SPEC.md §5, seen in production).
   */
  private delivered(path: string, data: Json | undefined): Json | undefined {
    const results: unknown = Array.isArray(data?.result) ? data.result : data?.result?.deliverResults;
    const failed = (Array.isArray(results) ? results : [data]).filter((r: Json | undefined) => r?.success === false) as Json[];
    if (!failed.length) return data;
    const why = failed.map((r) => `${r.spaceId ?? ''} ${r.errorMsg ?? 'success:false'}`).join(';');
    throw new OpenApiError('DELIVERY_FAILED', this.redactor.scrub(`DingTalk OpenAPI POST ${path} failed inside HTTP 200:${why}`), 200);
  }

  // sends once, or up to IDEMPOTENT_RETRIES more times after a network error, a timeout or a 5xx when that is safe
  private async send(method: string, url: string, path: string, headers: Record<string, string>, body: () => BodyInit | undefined, idempotent: boolean, signal?: AbortSignal): ReturnType<DingTalkOpenApi['http']> {
    for (let retries = 0; ; retries++) {
      const last = !idempotent || retries === IDEMPOTENT_RETRIES;
      try {
        const answer = await this.http(method, url, path, headers, body());
        if (answer.status < 500 || last) return answer;
      } catch (err) {
        if (last || err instanceof RedirectRefusedError) throw err; // a redirect will not go away
      }
      await wait(retryDelay(retries), signal);
    }
  }

  private async http(method: string, url: string, path: string, headers: Record<string, string>, body: BodyInit | undefined): Promise<{ status: number; data: Json | undefined; text: string }> {
    let response: Response;
    try {
      response = await this.fetch(url, { ...NO_REDIRECT, method, headers: { accept: 'application/json', ...headers }, body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : 'network error';
      throw new OpenApiError('OPENAPI_ERROR', `DingTalk OpenAPI ${method} ${path.split('?')[0]} failed: ${reason}.`, 0, undefined, undefined, err);
    }
    refuseRedirect(response, new URL(url).host); // the token or the appSecret would follow it
    const text = await response.text();
    let data: Json | undefined;
    try {
      data = text ? (JSON.parse(text) as Json) : undefined;
    } catch {
      /* not JSON; reported with the text */
    }
    return { status: response.status, data: typeof data === 'object' && data !== null ? data : undefined, text };
  }

  private error(code: OpenApiErrorCode, method: string, path: string, status: number, data: Json | undefined, text: string, hint = ''): OpenApiError {
    const dingtalkCode = data?.code ?? (data?.errcode !== undefined ? String(data.errcode) : undefined);
    const detail = data?.message ?? data?.errmsg ?? (data ? '' : text.slice(0, 200));
    const requestId = data?.requestid ?? data?.requestId ?? data?.request_id;
    const message = `DingTalk OpenAPI ${method} ${path.split('?')[0]} failed: HTTP ${status}${dingtalkCode ? ` ${dingtalkCode}` : ''}${detail ? `: ${detail}` : ''}${requestId ? ` (requestid ${requestId})` : ''}${hint}`;
    return new OpenApiError(code, this.redactor.scrub(message), status, dingtalkCode === undefined ? undefined : String(dingtalkCode), requestId === undefined ? undefined : String(requestId));
  }
}

function param(p: RobotMessage['msgParam']): string {
  return typeof p === 'string' ? p : JSON.stringify(p);
}

function createFields(o: CardCreate): Record<string, unknown> & { outTrackId: string } {
  const forward = { supportForward: o.supportForward ?? true };
  return {
    cardTemplateId: o.cardTemplateId,
    outTrackId: o.outTrackId ?? crypto.randomUUID(),
    cardData: cardParamMap(o.cardData),
    ...(o.privateData ? { privateData: privateCardData(o.privateData) } : {}),
    callbackType: o.callbackType ?? 'STREAM',
    ...(o.callbackRouteKey ? { callbackRouteKey: o.callbackRouteKey } : {}),
    imGroupOpenSpaceModel: forward,
    imRobotOpenSpaceModel: forward,
    ...o.extra,
  };
}
