import type { DingTalkStreamClient } from '../client.js';
import { assertSecureUrl } from '../connection/transport.js';
import { createLogger, Redactor, type Logger } from '../logger.js';
import { cardParamMap, deliverFields, privateCardData, resolveTarget, type CardDelivery, type CardParams, type CardTarget } from './cards.js';
import { OpenApiError } from './errors.js';
import type { RobotMessage } from './robot-messages.js';
import { TokenCache } from './token.js';

/**
 * Options of {@link DingTalkOpenApi} when it is not built from a stream client.
 *
 * @example
 * ```ts
 * const options: OpenApiOptions = { clientId, clientSecret, openApiHost: 'https://api.dingtalk.com' };
 * ```
 */
export interface OpenApiOptions {
  clientId: string;
  clientSecret: string;
  /** Default `https://api.dingtalk.com` (the client's `openApiHost` when built from a client). */
  openApiHost?: string;
  /**
   * Host of the legacy endpoints (media upload); default `https://oapi.dingtalk.com`, or
   * `openApiHost` itself when that is a local (loopback) one such as the simulator.
   */
  oapiHost?: string;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Per-request timeout; default 15 s. */
  timeoutMs?: number;
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
  privateData?: Record<string, CardParams>;
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

/** Request options of {@link DingTalkOpenApi.request}. */
export interface RequestOptions {
  /** A legacy `oapi` endpoint: token in `?access_token=`, errors as `{errcode, errmsg}`. */
  legacy?: boolean;
}

type Json = Record<string, any>;
type Source = Pick<DingTalkStreamClient, 'clientId' | 'credential' | 'settings' | 'platform' | 'logger' | 'redactor'>;

// legacy endpoints answer 200 with these errcodes for an invalid / expired token
const LEGACY_TOKEN_ERRORS = new Set([40001, 40014, 42001]);

/**
 * The DingTalk OpenAPI on `fetch`: the cached access token, proactive robot messages,
 * legacy interactive cards, card instances, AI-card streaming, and robot message files.
 * Every call sends `x-acs-dingtalk-access-token`, retries once with a fresh token after a
 * 401, and turns DingTalk's `{code, message, requestid}` errors into {@link OpenApiError}.
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
  private readonly fetch: typeof fetch;
  private readonly logger: Logger;
  private readonly redactor: Redactor;
  private readonly timeoutMs: number;
  private readonly tokens: TokenCache;

  constructor(source: DingTalkStreamClient | OpenApiOptions, overrides: Partial<Omit<OpenApiOptions, 'clientId' | 'clientSecret'>> = {}) {
    let clientSecret: string;
    if ('credential' in source) {
      const client = source as Source;
      this.clientId = client.clientId;
      clientSecret = client.credential.clientSecret;
      this.redactor = client.redactor;
      this.logger = overrides.logger ? createLogger(overrides.logger, 'info', this.redactor) : client.logger;
      this.fetch = overrides.fetch ?? client.platform.fetch;
      this.openApiHost = overrides.openApiHost ?? client.settings.openApiHost;
    } else {
      const o = source as OpenApiOptions;
      this.clientId = o.clientId;
      clientSecret = o.clientSecret;
      this.redactor = new Redactor();
      this.redactor.add(clientSecret);
      this.logger = createLogger(overrides.logger ?? o.logger, 'info', this.redactor);
      const f = overrides.fetch ?? o.fetch;
      this.fetch = f ?? ((input, init) => fetch(input, init));
      this.openApiHost = overrides.openApiHost ?? o.openApiHost ?? 'https://api.dingtalk.com';
      overrides = { ...o, ...overrides };
    }
    this.openApiHost = this.openApiHost.replace(/\/+$/, '');
    const local = /^http:\/\/(127\.|localhost[:/]|\[::1\])/.test(this.openApiHost + '/');
    this.oapiHost = (overrides.oapiHost ?? (local ? this.openApiHost : 'https://oapi.dingtalk.com')).replace(/\/+$/, '');
    assertSecureUrl(this.openApiHost);
    assertSecureUrl(this.oapiHost);
    this.timeoutMs = overrides.timeoutMs ?? 15_000;
    this.tokens = new TokenCache(async () => {
      const path = '/v1.0/oauth2/accessToken';
      const { status, data, text } = await this.http('POST', this.openApiHost + path, path, { 'content-type': 'application/json' }, JSON.stringify({ appKey: this.clientId, appSecret: clientSecret }));
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
   *
   * @example
   * ```ts
   * const user = await api.request('POST', '/v1.0/contact/users/query', { userId: 'manager01' });
   * ```
   */
  async request<T = unknown>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      const headers: Record<string, string> = {};
      let url = (options.legacy ? this.oapiHost : this.openApiHost) + path;
      if (options.legacy) url += `${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
      else headers['x-acs-dingtalk-access-token'] = token;
      let payload: BodyInit | undefined;
      if (body instanceof FormData) payload = body;
      else if (body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body);
      }
      const { status, data, text } = await this.http(method, url, path, headers, payload);
      const errcode = options.legacy && typeof data?.errcode === 'number' ? data.errcode : 0;
      if ((status === 401 || LEGACY_TOKEN_ERRORS.has(errcode)) && attempt === 0) {
        this.logger.debug(`${method} ${path.split('?')[0]}: token rejected, refreshing it once`);
        this.tokens.invalidate(token);
        continue;
      }
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
  sendRobotToUsers(o: RobotMessage & { userIds: string[]; robotCode?: string }): Promise<{ processQueryKey: string; invalidStaffIdList?: string[]; flowControlledStaffIdList?: string[] }> {
    return this.request('POST', '/v1.0/robot/oToMessages/batchSend', { robotCode: o.robotCode ?? this.clientId, userIds: o.userIds, msgKey: o.msgKey, msgParam: param(o.msgParam) });
  }

  /**
   * Sends a robot message to a group the bot is in (`POST /v1.0/robot/groupMessages/send`).
   *
   * @example
   * ```ts
   * await api.sendRobotToGroup({ openConversationId: message.conversationId, ...robotMessage.text('Deployed') });
   * ```
   */
  sendRobotToGroup(o: RobotMessage & { openConversationId: string; robotCode?: string }): Promise<{ processQueryKey: string }> {
    return this.request('POST', '/v1.0/robot/groupMessages/send', { robotCode: o.robotCode ?? this.clientId, openConversationId: o.openConversationId, msgKey: o.msgKey, msgParam: param(o.msgParam) });
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
    await this.request('POST', '/v1.0/card/instances', body);
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
  deliverCard(o: CardDelivery & { outTrackId: string; extra?: Record<string, unknown> }): Promise<unknown> {
    return this.request('POST', '/v1.0/card/instances/deliver', { outTrackId: o.outTrackId, ...deliverFields(o, this.clientId), ...o.extra });
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
    await this.request('POST', '/v1.0/card/instances/createAndDeliver', body);
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
  updateCard(o: { outTrackId: string; cardData?: CardParams; privateData?: Record<string, CardParams>; updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean; extra?: Record<string, unknown> }): Promise<unknown> {
    return this.request('PUT', '/v1.0/card/instances', {
      outTrackId: o.outTrackId,
      ...(o.cardData ? { cardData: cardParamMap(o.cardData) } : {}),
      ...(o.privateData ? { privateData: privateCardData(o.privateData) } : {}),
      cardUpdateOptions: { updateCardDataByKey: o.updateCardDataByKey ?? true, updatePrivateDataByKey: o.updatePrivateDataByKey ?? true },
      userIdType: 1,
      ...o.extra,
    });
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
  streamCard(o: { outTrackId: string; content: string; key?: string; isFull?: boolean; isFinalize?: boolean; isError?: boolean }): Promise<unknown> {
    return this.request('PUT', '/v1.0/card/streaming', {
      outTrackId: o.outTrackId,
      guid: crypto.randomUUID(),
      key: o.key ?? 'msgContent',
      content: o.content,
      isFull: o.isFull ?? true,
      isFinalize: o.isFinalize ?? false,
      isError: o.isError ?? false,
    });
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

  private async http(method: string, url: string, path: string, headers: Record<string, string>, body: BodyInit | undefined): Promise<{ status: number; data: Json | undefined; text: string }> {
    let response: Response;
    try {
      response = await this.fetch(url, { method, headers: { accept: 'application/json', ...headers }, body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : 'network error';
      throw new OpenApiError('OPENAPI_ERROR', `DingTalk OpenAPI ${method} ${path.split('?')[0]} failed: ${reason}.`, 0, undefined, undefined, err);
    }
    const text = await response.text();
    let data: Json | undefined;
    try {
      data = text ? (JSON.parse(text) as Json) : undefined;
    } catch {
      /* not JSON; reported with the text */
    }
    return { status: response.status, data: typeof data === 'object' && data !== null ? data : undefined, text };
  }

  private error(code: 'OPENAPI_ERROR' | 'ACCESS_TOKEN_FAILED', method: string, path: string, status: number, data: Json | undefined, text: string, hint = ''): OpenApiError {
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
