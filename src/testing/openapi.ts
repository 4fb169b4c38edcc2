import type { FakeDingTalkGateway, RecordedRequest, RouteAnswer, RouteHandler } from './gateway.js';
import { LimitRules, type FakeLimits, type FakeLimitViolation } from './openapi-limits.js';
import { newMessageId } from './samples.js';

/**
 * Options of {@link installFakeOpenApi}.
 *
 * @example
 * ```ts
 * installFakeOpenApi(gateway, { expireIn: 7200, tokenDelayMs: 20 });
 * ```
 */
export interface FakeOpenApiOptions {
  /** Lifetime of issued tokens in seconds (real: 7200). */
  expireIn?: number;
  /** Delay before the token endpoint answers, to make concurrent callers overlap. */
  tokenDelayMs?: number;
  /**
   * DingTalk's production limits (app-wide card QPS, per-card pacing, the 20,000-character
   * cap, the session webhook's 130101 and size limits): on by default, `false` turns them
   * off, an object changes some. See {@link FakeLimits}.
   */
  limits?: boolean | FakeLimits;
  /** Called with each limit a bot runs into or pacing rule it breaks (the simulator shows them on its wire). */
  onViolation?: (violation: FakeLimitViolation) => void;
}

/**
 * A card call the fake answered: when it arrived, what it was about, and the HTTP status.
 *
 * @example
 * ```ts
 * const refused = fake.cardCalls.filter((c: FakeCardCall) => c.status === 403);
 * ```
 */
export interface FakeCardCall {
  at: number;
  method: string;
  path: string;
  outTrackId: string;
  status: number;
  body: Record<string, any>;
}

/**
 * A DingTalk error to inject: the `{code, message, requestid}` body of `/v1.0` endpoints
 * (or `{errcode, errmsg}` with HTTP 200 for legacy ones when `errcode` is set).
 *
 * @example
 * ```ts
 * const fault: OpenApiFault = { status: 403, code: 'Forbidden.AccessDenied', message: 'no permission' };
 * ```
 */
export interface OpenApiFault {
  status?: number;
  code?: string;
  message?: string;
  errcode?: number;
}

/**
 * The fake OpenAPI's handle: what it issued and received, and its fault injection.
 *
 * @example
 * ```ts
 * const api = installFakeOpenApi(gateway);
 * api.revokeTokens(); // the next call gets a 401 and must refresh its token
 * ```
 */
export interface FakeOpenApi {
  /** Every token issued, oldest first. */
  readonly tokens: string[];
  /** Calls to the token endpoint. */
  readonly tokenRequests: RecordedRequest[];
  /** Recorded calls to `path` (method optional). */
  calls(path: string, method?: string): RecordedRequest[];
  /** Media uploads received, with their multipart fields and the `media_id` each got (refused ones have none). */
  readonly uploads: Array<{ type: string | null; filename: string | undefined; size: number; text: string; mediaId?: string }>;
  /**
   * Every robot message sent (1:1, group, private chat), by the `processQueryKey` it was
   * answered with: what recall and the read-status queries look up, with their effect.
   */
  readonly robotMessages: Map<string, FakeRobotMessage>;
  /** `userId` has read the robot message (what the read-status queries then report). */
  markRead(processQueryKey: string, userId: string): void;
  /**
   * Files the download link of `messageFiles/download` serves, by `downloadCode`; a code not
   * here gets a small generated text file. Set one to test a bot that reads a user's file.
   */
  readonly files: Map<string, FakeFile>;
  /** Every token issued so far becomes invalid (as if expired or revoked). */
  revokeTokens(): void;
  /** The next `count` calls to `path` fail with `fault`. */
  failNext(path: string, fault?: OpenApiFault, count?: number): void;
  /**
   * The next `count` deliveries (`deliver`, `createAndDeliver`) answer HTTP 200 with
   * `success: false` in their result, as production sometimes does (SPEC.md §5).
   */
  rejectDeliveries(count?: number, errorMsg?: string): void;
  /** Every card call answered, oldest first (403s included): to check a bot's pacing. */
  readonly cardCalls: FakeCardCall[];
  /** Limits the bot ran into and pacing rules it broke, oldest first. */
  readonly violations: FakeLimitViolation[];
  /** The limits in force, or `null` when off. */
  readonly limits: Required<FakeLimits> | null;
}

/**
 * A robot message the fake accepted: where it went, what it said, and what happened to it since.
 *
 * @example
 * ```ts
 * const sent: FakeRobotMessage = fake.robotMessages.get(processQueryKey)!;
 * sent.recalledAt; // set once recalled
 * ```
 */
export interface FakeRobotMessage {
  processQueryKey: string;
  /** `oto` (`oToMessages/batchSend`), `group` or `private` (a cool app's chat between people). */
  space: 'oto' | 'group' | 'private';
  robotCode: string;
  msgKey: string;
  msgParam: string;
  userIds?: string[];
  openConversationId?: string;
  coolAppCode?: string;
  at: number;
  recalledAt?: number;
  /** userIds that read it. */
  readBy: string[];
}

/**
 * A file the fake serves at the link `messageFiles/download` hands out.
 *
 * @example
 * ```ts
 * fake.files.set('dc-1', { body: new TextEncoder().encode('%PDF-1.7'), contentType: 'application/pdf' });
 * ```
 */
export interface FakeFile {
  body: Uint8Array;
  contentType: string;
}

const ERROR_ID = () => newMessageId().replace(/_/g, '-');
/**
 * A processQueryKey shaped like production's (base64, e.g. `Kna29Ra5pdJznx1ghavbumkQKwDzgfxZLapw55G7x0Q=`),
 * always with a `+`, a `/` and a `=` in it: a client that forgets to URL-encode it in a query fails here.
 */
const QUERY_KEY = () => `${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(30))))}+/0=`;
/** An answer other than 200, from an endpoint's answer function. */
class Refused {
  constructor(readonly answer: RouteAnswer) {}
}
const DAY_MS = 24 * 60 * 60 * 1000;
const FILES = '/files/';
/** The card endpoints: one app-wide budget (see FakeLimits.cardQps). */
const CARD_PATH = /^\/v1\.0\/(card\/|im\/.*interactiveCards)/;
const bodyOf = (req: RecordedRequest) => (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, any>;

/**
 * Adds a fake DingTalk OpenAPI to a {@link FakeDingTalkGateway}: access tokens (with
 * `expireIn`, 401 for revoked ones), robot 1:1, group and private-chat messages with their
 * lifecycle (recall, read status: {@link FakeOpenApi.robotMessages}), legacy interactive
 * cards, card instances (create, deliver, createAndDeliver, update), card streaming,
 * robot message file download (and the link it hands out), the Python SDK's off-duty prompt
 * (`set_off_duty_prompt`), the legacy `gettoken` and `media/upload` (binary, under DingTalk's
 * documented type and size limits), message reactions
 * (`robot/emotion/reply`, `/recall`) and the session webhook's two forms. Each endpoint checks the
 * token (`x-acs-dingtalk-access-token`, or `?access_token=` for legacy ones) and the
 * required body fields, answering DingTalk-shaped errors otherwise. A `DingTalkOpenApi` whose
 * `openApiHost` is the gateway's uses it for the legacy (`oapiHost`) endpoints too.
 *
 * Production's limits are on unless `limits: false` (see {@link FakeLimits}): more than 20
 * card calls in a rolling second get a real 403 `QpsLimit` body, card updates above 20,000
 * characters a 400, the session webhook errcode 130101 past 20 messages a minute in one
 * conversation; streaming a card faster than every 800 ms, or too close to its delivery or
 * final frame, is recorded in {@link FakeOpenApi.violations}. `rejectDeliveries()` makes
 * deliveries fail inside an HTTP 200.
 *
 * @example
 * ```ts
 * const gateway = await new FakeDingTalkGateway().listen();
 * const fake = installFakeOpenApi(gateway);
 * const api = new DingTalkOpenApi(client, { oapiHost: gateway.openApiHost });
 * await api.sendRobotToUsers({ userIds: ['u1'], msgKey: 'sampleText', msgParam: { content: 'hi' } });
 * fake.calls('/v1.0/robot/oToMessages/batchSend').length; // 1
 * ```
 */
export function installFakeOpenApi(gateway: FakeDingTalkGateway, options: FakeOpenApiOptions = {}): FakeOpenApi {
  const expireIn = options.expireIn ?? 7200;
  const valid = new Map<string, number>(); // token → expiry (ms)
  const faults = new Map<string, OpenApiFault[]>();
  const tokens: string[] = [];
  const uploads: FakeOpenApi['uploads'] = [];
  const robotMessages = new Map<string, FakeRobotMessage>();
  const files = new Map<string, FakeFile>();
  const cardCalls: FakeCardCall[] = [];
  const rules = options.limits === false ? undefined : new LimitRules(options.limits === true ? {} : (options.limits ?? {}), (v) => options.onViolation?.(v));
  let rejectedDeliveries: string[] = [];
  const error = (status: number, code: string, message: string) => ({ status, body: { code, message, requestid: ERROR_ID() } });

  const issue = () => {
    const token = `tok${crypto.randomUUID().replace(/-/g, '')}`;
    tokens.push(token);
    valid.set(token, Date.now() + expireIn * 1000);
    return token;
  };
  const tokenOk = (token: string | undefined) => token !== undefined && (valid.get(token) ?? 0) > Date.now();
  const card = (path: string) => CARD_PATH.test(path);
  const api = (method: string, path: string, required: string[], answer: (body: Record<string, any>, req: RecordedRequest) => unknown, legacy = false) => {
    const respond: RouteHandler = async (req) => {
      const fault = faults.get(path)?.shift();
      if (fault) {
        if (fault.errcode !== undefined) return { status: fault.status ?? 200, body: { errcode: fault.errcode, errmsg: fault.message ?? 'error' } };
        return error(fault.status ?? 400, fault.code ?? 'InvalidParameter', fault.message ?? 'injected error');
      }
      if (legacy) {
        if (!tokenOk(req.query.access_token)) return { status: 200, body: { errcode: 40014, errmsg: '不合法的access_token' } };
      } else if (!tokenOk(req.headers['x-acs-dingtalk-access-token'])) {
        return error(401, 'InvalidAuthentication', '不合法的access_token');
      }
      const body = method === 'GET' ? req.query : bodyOf(req);
      const limited = rules && card(path) ? (rules.cardCall(req.at) ?? rules.tooLong(req.at, body.outTrackId, body.content ?? body.cardData?.cardParamMap?.msgContent)) : undefined;
      if (limited) return limited;
      const missing = required.filter((k) => body[k] === undefined || body[k] === null || body[k] === '');
      if (missing.length) return error(400, 'MissingParameter', `missing ${missing.join(', ')}`);
      const out = await answer(body, req);
      return out instanceof Refused ? out.answer : { status: 200, body: out };
    };
    gateway.route(method, path, async (req) => {
      const out = await respond(req);
      if (card(path)) {
        const body = bodyOf(req);
        const outTrackId = String(body.outTrackId ?? body.cardBizId ?? '');
        cardCalls.push({ at: req.at, method, path, outTrackId, status: out.status, body });
        if (cardCalls.length > 5000) cardCalls.shift();
        if (out.status === 200 && method === 'PUT') rules?.updated(outTrackId, req.at, path.endsWith('/streaming'), body.isFinalize === true);
      }
      return out;
    });
  };
  // deliveries that fail inside an HTTP 200 (rejectDeliveries)
  const deliveryResult = (b: Record<string, any>) => {
    const errorMsg = rejectedDeliveries.shift();
    if (errorMsg === undefined) rules?.delivered(String(b.outTrackId), Date.now());
    const spaceType = String(b.openSpaceId).split('//')[1]?.split('.')[0];
    return { spaceType, spaceId: String(b.openSpaceId).split('.').slice(1).join('.'), success: errorMsg === undefined, ...(errorMsg === undefined ? { carrierId: ERROR_ID() } : { errorMsg }) };
  };

  gateway.route('POST', '/v1.0/oauth2/accessToken', async (req) => {
    if (options.tokenDelayMs) await new Promise((r) => setTimeout(r, options.tokenDelayMs));
    const body = req.body as { appKey?: string; appSecret?: string } | undefined;
    if (!body || body.appKey !== gateway.clientId || body.appSecret !== gateway.clientSecret) return error(400, 'invalidClientIdOrSecret', '无效的clientId或者clientSecret');
    return { status: 200, body: { accessToken: issue(), expireIn } };
  });

  // the legacy token (oapi `gettoken`): the channel SDK's media upload asks for it; errors come inside an HTTP 200
  gateway.route('GET', '/gettoken', (req) => {
    if (req.query.appkey !== gateway.clientId || req.query.appsecret !== gateway.clientSecret) return { status: 200, body: { errcode: 40089, errmsg: '不合法的appkey或appsecret' } };
    return { status: 200, body: { errcode: 0, errmsg: 'ok', access_token: issue(), expires_in: expireIn } };
  });

  const ok = { success: true, result: true };
  // robot messages, and their lifecycle (the request models of DingTalk's generated client, @alicloud/dingtalk robot_1_0)
  const sendRobot = (space: FakeRobotMessage['space'], b: Record<string, any>) => {
    const processQueryKey = QUERY_KEY();
    const { robotCode, msgKey, msgParam, userIds, openConversationId, coolAppCode } = b;
    robotMessages.set(processQueryKey, { processQueryKey, space, robotCode, msgKey, msgParam, userIds, openConversationId, coolAppCode, at: Date.now(), readBy: [] });
    for (const key of robotMessages.keys()) if (robotMessages.size > 5000) robotMessages.delete(key); // a long simulator session
    return { processQueryKey };
  };
  // the message a recall or query names, or why not (DingTalk's error codes from the endpoints' documents)
  const sentMessage = (space: FakeRobotMessage['space'], b: Record<string, any>, key: unknown, expired: string): FakeRobotMessage | string => {
    const m = robotMessages.get(String(key));
    if (!m || m.space !== space) return 'invalid.processQueryKey';
    if (m.robotCode !== b.robotCode) return 'not.allowed.robotCode';
    if (space !== 'oto' && b.openConversationId !== undefined && b.openConversationId !== m.openConversationId) return 'invalid.openConversationId';
    return Date.now() - m.at > DAY_MS ? expired : m;
  };
  // batch recall: at most 20 keys (400 overMax); a key it cannot recall is answered in failedResult
  const recall = (space: FakeRobotMessage['space']) => (b: Record<string, any>) => {
    const keys: unknown[] = Array.isArray(b.processQueryKeys) ? b.processQueryKeys : [];
    if (keys.length > 20) return new Refused(error(400, 'invalidParameter.processQueryKeys.overMax', 'processQueryKeys超过数量上限20'));
    const successResult: string[] = [];
    const failedResult: Record<string, string> = {};
    for (const key of keys) {
      const m = sentMessage(space, b, key, 'robot.processQueryKey.expired');
      if (typeof m === 'string' || m.recalledAt !== undefined) failedResult[String(key)] = typeof m === 'string' ? m : 'already recalled';
      else (m.recalledAt = Date.now()), successResult.push(m.processQueryKey);
    }
    return { successResult, failedResult };
  };
  const status = (m: FakeRobotMessage) => (m.recalledAt === undefined ? 'SUCCESS' : 'RECALLED');
  // a group's or private chat's readers, a page at a time (maxResults ≤ 200; nextToken is where the page starts)
  const readers = (space: FakeRobotMessage['space']) => (b: Record<string, any>) => {
    if (b.maxResults !== undefined && !(b.maxResults >= 1 && b.maxResults <= 200)) return new Refused(error(400, 'invalidParameter.pageSize.invalid', 'maxResults超出上限200'));
    if (b.openConversationId === undefined && b.token === undefined) return new Refused(error(400, 'openConversationId.notExisted', 'openConversationId不能和token同时为空'));
    const m = sentMessage(space, b, b.processQueryKey, 'processQueryKey.expireTime');
    if (typeof m === 'string') return new Refused(error(400, m, m));
    const from = Number(b.nextToken ?? 0);
    const end = from + Number(b.maxResults ?? 200);
    return { sendStatus: status(m), readUserIds: m.readBy.slice(from, end), hasMore: end < m.readBy.length, ...(end < m.readBy.length ? { nextToken: String(end) } : {}) };
  };
  api('POST', '/v1.0/robot/oToMessages/batchSend', ['robotCode', 'userIds', 'msgKey', 'msgParam'], (b) => ({ ...sendRobot('oto', b), invalidStaffIdList: [], flowControlledStaffIdList: [] }));
  api('POST', '/v1.0/robot/groupMessages/send', ['robotCode', 'openConversationId', 'msgKey', 'msgParam'], (b) => sendRobot('group', b));
  api('POST', '/v1.0/robot/privateChatMessages/send', ['robotCode', 'openConversationId', 'coolAppCode', 'msgKey', 'msgParam'], (b) => sendRobot('private', b));
  api('POST', '/v1.0/robot/otoMessages/batchRecall', ['robotCode', 'processQueryKeys'], recall('oto'));
  api('POST', '/v1.0/robot/groupMessages/recall', ['robotCode', 'openConversationId', 'processQueryKeys'], recall('group'));
  api('POST', '/v1.0/robot/privateChatMessages/batchRecall', ['robotCode', 'openConversationId', 'processQueryKeys'], recall('private'));
  // 1:1 read status: a GET with a query; up to 20 recipients per message
  api('GET', '/v1.0/robot/oToMessages/readStatus', ['robotCode', 'processQueryKey'], (q) => {
    const m = sentMessage('oto', q, q.processQueryKey, 'processQueryKey.expireTime');
    if (typeof m === 'string') return new Refused(error(400, m, m));
    const messageReadInfoList = (m.userIds ?? []).slice(0, 20).map((userId) => ({ name: userId, userId, readStatus: m.readBy.includes(userId) ? 'READ' : 'UNREAD' }));
    return { sendStatus: status(m), messageReadInfoList };
  });
  api('POST', '/v1.0/robot/groupMessages/query', ['processQueryKey'], readers('group'));
  api('POST', '/v1.0/robot/privateChatMessages/query', ['processQueryKey'], readers('private'));
  api('POST', '/v1.0/im/v1.0/robot/interactiveCards/send', ['cardTemplateId', 'robotCode', 'cardData', 'cardBizId'], () => ({ processQueryKey: ERROR_ID() }));
  api('PUT', '/v1.0/im/robots/interactiveCards', ['cardBizId', 'cardData'], () => ({ success: true }));
  api('POST', '/v1.0/card/instances', ['cardTemplateId', 'outTrackId', 'cardData'], (b) => ({ success: true, result: b.outTrackId }));
  api('POST', '/v1.0/card/instances/deliver', ['outTrackId', 'openSpaceId'], (b) => ({ success: true, result: [deliveryResult(b)] }));
  api('POST', '/v1.0/card/instances/createAndDeliver', ['cardTemplateId', 'outTrackId', 'cardData', 'openSpaceId'], (b) => ({ success: true, result: { outTrackId: b.outTrackId, deliverResults: [deliveryResult(b)] } }));
  api('PUT', '/v1.0/card/instances', ['outTrackId'], () => ok);
  api('PUT', '/v1.0/card/streaming', ['outTrackId', 'guid', 'key'], () => ok);
  api('POST', '/v1.0/robot/messageFiles/download', ['robotCode', 'downloadCode'], (b) => ({ downloadUrl: `${gateway.openApiHost}${FILES}${encodeURIComponent(String(b.downloadCode))}` }));
  // the real link is a pre-signed storage URL: no token, just the bytes
  gateway.route('GET', `${FILES}*`, (req) => {
    const code = decodeURIComponent(req.path.slice(FILES.length));
    const file = files.get(code) ?? { body: new TextEncoder().encode(`file ${code} from the fake DingTalk\n`), contentType: 'text/plain; charset=utf-8' };
    // a user's file (the simulator's uploads) is served on the page's origin: never as a page of it
    return { status: 200, body: file.body, headers: { 'content-type': file.contentType, 'content-length': String(file.body.byteLength), 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox" } };
  });
  // python SDK `ChatbotHandler.set_off_duty_prompt`: { robotCode, cardTemplateId: 'StandardCard', cardData: '<JSON>' }
  api('POST', '/v1.0/innerApi/robot/stream/away/template/update', ['robotCode', 'cardTemplateId', 'cardData'], () => ok);
  // message reactions (the channel SDKs' "🤔Thinking"/"🥳Done"): the simulator draws them on the user's message
  const emotion = ['robotCode', 'openConversationId', 'openMsgId', 'emotionType', 'emotionName', 'textEmotion'];
  api('POST', '/v1.0/robot/emotion/reply', emotion, () => ok);
  api('POST', '/v1.0/robot/emotion/recall', emotion, () => ok);
  api('POST', '/media/upload', [], async (_b, req) => {
    const form = await new Response((req.bytes as BodyInit | undefined) ?? req.rawBody, { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
    // keep the record small: a file of megabytes must not stay in the request history
    req.rawBody = `(multipart upload, ${req.bytes?.byteLength ?? req.rawBody.length} bytes)`;
    delete req.bytes;
    const media = form.get('media');
    if (!(media instanceof Blob)) return { errcode: 40005, errmsg: 'missing media' };
    // the type as the query names it (DingTalk's C# note) or as the form does
    const type = req.query.type ?? (form.get('type') as string | null);
    const upload = { type, filename: (media as File).name, size: media.size, text: await media.text() };
    uploads.push(upload);
    const refused = rules?.media(req.at, String(type), upload.filename ?? '', media.size);
    if (refused) return new Refused(refused);
    const mediaId = `@lA${crypto.randomUUID().replace(/-/g, '').slice(0, 16)}`;
    Object.assign(upload, { mediaId });
    return { errcode: 0, errmsg: 'ok', type, media_id: mediaId, created_at: Date.now() };
  }, true);

  // the session webhook: the forms production accepts, under DingTalk's robot limits (the gateway's own route has neither)
  gateway.route('POST', '/robot/sendBySession', (req): RouteAnswer => {
    const refusedForm = webhookFormError(bodyOf(req));
    if (refusedForm) return error(400, 'InvalidParameter', refusedForm);
    return rules?.webhook(req.query.session ?? '', req.at, Buffer.byteLength(req.rawBody)) ?? { status: 200, body: { errcode: 0, errmsg: 'ok' } };
  });

  return {
    tokens,
    uploads,
    robotMessages,
    markRead: (processQueryKey, userId) => {
      const m = robotMessages.get(processQueryKey);
      if (m && !m.readBy.includes(userId)) m.readBy.push(userId);
    },
    files,
    cardCalls,
    get violations() {
      return rules?.violations ?? [];
    },
    limits: rules?.limits ?? null,
    rejectDeliveries: (count = 1, errorMsg = 'the robot cannot deliver to this conversation (injected)') => {
      rejectedDeliveries = [...rejectedDeliveries, ...Array<string>(count).fill(errorMsg)];
    },
    get tokenRequests() {
      return gateway.requests.filter((r) => r.path === '/v1.0/oauth2/accessToken');
    },
    calls: (path, method) => gateway.requests.filter((r) => r.path === path && (!method || r.method === method)),
    revokeTokens: () => valid.clear(),
    failNext: (path, fault = {}, count = 1) => faults.set(path, [...(faults.get(path) ?? []), ...Array<OpenApiFault>(count).fill(fault)]),
  };
}

/**
 * Production takes two reply forms on a session webhook: `{msgtype, <msgtype>: {…}}` (DingTalk's
 * robot reply documents) and `{msgKey, msgParam}` with `msgParam` a JSON string (the DingTalk
 * team's channel SDKs, whose live check replies this way against production). The channel SDKs
 * note that an object `msgParam` gets HTTP 400; that is the one refusal known, so the only one here.
 */
function webhookFormError(body: Record<string, any>): string | undefined {
  if (body.msgtype !== undefined || body.msgKey === undefined) return undefined;
  if (typeof body.msgParam !== 'string') return 'msgParam must be a JSON string (JSON.stringify the object)';
  try {
    JSON.parse(body.msgParam);
  } catch {
    return 'msgParam is not valid JSON';
  }
  return undefined;
}
