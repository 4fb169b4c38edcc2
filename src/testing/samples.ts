/**
 * Realistic payloads, shaped after the samples in DingTalk's Stream protocol docs, for tests
 * and for the local gateway of `npm start`.
 */

let seq = 0;
/** Business ids (`msgId`, `eventId`) are unique per sample: a counter, not chance, guarantees it. */
let businessSeq = 0;
const uniqueSuffix = () => (++businessSeq).toString(36);
/**
 * A messageId in the gateway's style (`212ca9d7_974_1898c159aa6_1783b`).
 *
 * @example
 * ```ts
 * const id = newMessageId();
 * ```
 */
export function newMessageId(): string {
  seq = (seq + 1) % 0xfffffff;
  return `${Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0')}_${(974 + (seq % 97)).toString(16)}_${Date.now().toString(16)}_${seq.toString(16)}`;
}

/**
 * Options of {@link chatbotMessage}.
 *
 * @example
 * ```ts
 * chatbotMessage({ text: '1+1', sessionWebhook: 'http://127.0.0.1:1234/robot/sendBySession?session=s1' });
 * ```
 */
export interface ChatbotSampleOptions {
  text?: string;
  msgtype?: string;
  content?: Record<string, unknown>;
  sessionWebhook: string;
  conversationType?: '1' | '2';
  senderNick?: string;
  senderStaffId?: string;
  robotCode?: string;
  msgId?: string;
  extra?: Record<string, unknown>;
}

/**
 * The `data` of a chatbot message (`/v1.0/im/bot/messages/get`), as a plain object. Its
 * `msgId` (the business id a redelivery keeps) is unique per call unless `msgId` is given.
 *
 * @example
 * ```ts
 * const data = chatbotMessage({ text: 'hello', sessionWebhook });
 * ```
 */
export function chatbotMessage(o: ChatbotSampleOptions): Record<string, unknown> {
  const now = Date.now();
  const group = (o.conversationType ?? '2') === '2';
  const msgtype = o.msgtype ?? 'text';
  return {
    conversationId: 'cidAsXSBLnA==',
    atUsers: [{ dingtalkId: '$:LWCP_v1:$4TgHFUDZ8Qi8qr3' }],
    chatbotCorpId: 'ding9f50b15bccd16741',
    chatbotUserId: '$:LWCP_v1:$x3vTgHFUDZ8Qi8qr3',
    msgId: o.msgId ?? `msg${Math.random().toString(36).slice(2, 10)}${uniqueSuffix()}==`,
    senderNick: o.senderNick ?? '用户',
    isAdmin: true,
    senderStaffId: o.senderStaffId ?? '1665012345698',
    sessionWebhookExpiredTime: now + 90 * 60_000,
    createAt: now,
    senderCorpId: 'ding9f50b15bccd16741',
    conversationType: group ? '2' : '1',
    senderId: '$:LWCP_v1:$jqTgIfhRX9Q==',
    ...(group ? { conversationTitle: '测试群', isInAtList: true } : {}),
    sessionWebhook: o.sessionWebhook,
    ...(msgtype === 'text' ? { text: { content: ` ${o.text ?? 'hello'}` } } : { content: o.content ?? {} }),
    robotCode: o.robotCode ?? 'dingrobotcode0b',
    msgtype,
    ...o.extra,
  };
}

/**
 * Headers of an EVENT frame such as `user_add_org`, with an `eventId` (the business id a
 * redelivery keeps) unique per call.
 *
 * @example
 * ```ts
 * eventHeaders('user_add_org');
 * ```
 */
export function eventHeaders(eventType = 'user_add_org'): Record<string, string> {
  const now = Date.now();
  return {
    topic: '*',
    contentType: 'application/json',
    time: String(now),
    eventType,
    eventId: `${Math.random().toString(16).slice(2, 14)}${uniqueSuffix()}`,
    eventCorpId: 'ding9f50b15bccd16741',
    eventBornTime: String(now - 50),
    eventUnifiedAppId: 'bbb381b6-f01a-4b1c-9f2d-58daac000000',
  };
}
