/**
 * Realistic payloads, shaped after the samples in DingTalk's Stream protocol docs, for tests
 * and for the local gateway of `npm start`.
 */

let seq = 0;
/** Business ids (`msgId`, `eventId`) are unique per sample: a counter, not chance, guarantees it. */
let businessSeq = 0;
const uniqueSuffix = () => (++businessSeq).toString(36);
/** A `msgId` in production's style (`msgLICYeHgY4JtMQw==`), unique per call. */
const newMsgId = () => `msg${Math.random().toString(36).slice(2, 10)}${uniqueSuffix()}==`;
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
 * Options of {@link chatbotMessage}. `msgtype` other than `text` without `content` gets the
 * `content` production sends for it ({@link MEDIA_SAMPLES}); `quote` makes the message a
 * reply that quotes an earlier one.
 *
 * @example
 * ```ts
 * chatbotMessage({ text: '1+1', sessionWebhook: 'http://127.0.0.1:1234/robot/sendBySession?session=s1' });
 * chatbotMessage({ msgtype: 'audio', sessionWebhook }); // { downloadCode, recognition }
 * chatbotMessage({ text: 'and this?', quote: { msgType: 'picture' }, sessionWebhook });
 * ```
 */
export interface ChatbotSampleOptions {
  text?: string;
  msgtype?: string;
  content?: Record<string, unknown>;
  /** The quoted message: the message becomes a text reply (`text.isReplyMsg`, `text.repliedMsg`). */
  quote?: ChatbotSampleQuote;
  sessionWebhook: string;
  conversationType?: '1' | '2';
  senderNick?: string;
  senderStaffId?: string;
  robotCode?: string;
  msgId?: string;
  extra?: Record<string, unknown>;
}

/**
 * The quoted message of {@link ChatbotSampleOptions.quote}, in the wire names of
 * `text.repliedMsg` (protocol.md §12: `msgType` and `createdAt`, unlike the message's own
 * `msgtype` and `createAt`). Every field has a default: `msgType` `'text'`, a fresh `msgId`,
 * `content` in the shape production quotes `msgType` with ({@link QUOTED_SAMPLES}), `senderId`
 * the sample's sender (the bot's `chatbotUserId`, {@link SAMPLE_CHATBOT_USER_ID}, for an
 * `interactiveCard`: the bot's own card), `createdAt` a minute before the message. Other keys
 * go into `repliedMsg` as given.
 *
 * @example
 * ```ts
 * const quote: ChatbotSampleQuote = { msgType: 'file', content: { fileName: 'q3.pdf', downloadCode: 'dc1' } };
 * chatbotMessage({ text: 'summarise it', quote, sessionWebhook });
 * ```
 */
export interface ChatbotSampleQuote {
  msgType?: string;
  msgId?: string;
  content?: unknown;
  senderId?: string;
  createdAt?: number;
  [key: string]: unknown;
}

/**
 * The `chatbotUserId` of every sample message: a quote whose `senderId` is this one quotes
 * the bot's own message.
 *
 * @example
 * ```ts
 * chatbotMessage({ text: 'more', quote: { msgType: 'markdown', senderId: SAMPLE_CHATBOT_USER_ID }, sessionWebhook });
 * ```
 */
export const SAMPLE_CHATBOT_USER_ID = '$:LWCP_v1:$x3vTgHFUDZ8Qi8qr3';
const SAMPLE_SENDER_ID = '$:LWCP_v1:$jqTgIfhRX9Q==';

const file = { spaceId: '28414449789', fileName: 'report.pdf', downloadCode: 'dc-file-LJYYbw==', fileId: '215330128705' };

/**
 * The `content` of a plain media message, by msgtype, in the shape of DingTalk's own samples
 * (protocol.md §12 "Plain media messages": open-dingtalk/developerpedia
 * `docs/learn/bot/message.md`). Note `picture`, not `image`.
 *
 * @example
 * ```ts
 * chatbotMessage({ msgtype: 'richText', content: MEDIA_SAMPLES.richText, sessionWebhook });
 * ```
 */
export const MEDIA_SAMPLES: Readonly<Record<'picture' | 'video' | 'audio' | 'file' | 'richText', Record<string, unknown>>> = {
  picture: { pictureDownloadCode: 'pdc-picture-pWjAks=', downloadCode: 'dc-picture-mIofJE0E' },
  video: { duration: '5', videoType: 'mp4', downloadCode: 'dc-video-mIofSaqP' },
  audio: { downloadCode: 'dc-audio-mIof7g==', recognition: '钉钉PaaS开放中心，致力为企业提供服务' },
  file,
  richText: {
    richText: [{ text: '这个问题示例图如下：' }, { pictureDownloadCode: 'pdc-rich-pWjASjIg', downloadCode: 'dc-rich-mIof7A==', type: 'picture' }, { text: '通过以上示意图可以明白完整的交互流程' }],
  },
};

/**
 * The `repliedMsg.content` production sends for a quote of each msgType (protocol.md §12:
 * soimy/openclaw-channel-dingtalk PR #599's device captures and its tests). A quoted
 * `interactiveCard` (the bot's card) has none by default, as in the payload logged in
 * DingTalk-Real-AI/dingtalk-openclaw-connector #399; PR #599 saw a `cardContent` tree of
 * `{elementType, value, children}` elements: pass one as `content` to try it.
 *
 * @example
 * ```ts
 * chatbotMessage({ text: 'why?', quote: { msgType: 'richText', content: QUOTED_SAMPLES.richText }, sessionWebhook });
 * ```
 */
export const QUOTED_SAMPLES: Readonly<Record<'text' | 'markdown' | 'picture' | 'file' | 'audio' | 'video' | 'richText', Record<string, unknown>>> = {
  text: { content: '被引用的消息' },
  markdown: { text: '## 周报\n- 完成了 **接入**' },
  picture: { downloadCode: 'dc-quoted-picture' },
  file,
  audio: { duration: '2000', downloadCode: 'dc-quoted-audio' },
  video: { duration: '1', downloadCode: 'dc-quoted-video', videoType: 'mp4' },
  richText: { richText: [{ msgType: 'text', content: '被引用的说明' }, { msgType: 'picture', downloadCode: 'dc-quoted-rich' }] },
};

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
  if (o.quote && msgtype !== 'text') throw new TypeError(`a quoted reply arrives as msgtype 'text' (protocol.md §12), not '${msgtype}': give text, not msgtype`);
  return {
    conversationId: 'cidAsXSBLnA==',
    atUsers: [{ dingtalkId: '$:LWCP_v1:$4TgHFUDZ8Qi8qr3' }],
    chatbotCorpId: 'ding9f50b15bccd16741',
    chatbotUserId: SAMPLE_CHATBOT_USER_ID,
    msgId: o.msgId ?? newMsgId(),
    senderNick: o.senderNick ?? '用户',
    isAdmin: true,
    senderStaffId: o.senderStaffId ?? '1665012345698',
    sessionWebhookExpiredTime: now + 90 * 60_000,
    createAt: now,
    senderCorpId: 'ding9f50b15bccd16741',
    conversationType: group ? '2' : '1',
    senderId: SAMPLE_SENDER_ID,
    ...(group ? { conversationTitle: '测试群', isInAtList: true } : {}),
    sessionWebhook: o.sessionWebhook,
    ...(msgtype === 'text' ? { text: { content: ` ${o.text ?? 'hello'}`, ...(o.quote ? { isReplyMsg: true, repliedMsg: repliedMsg(o.quote, now) } : {}) } } : { content: o.content ?? structuredClone(MEDIA_SAMPLES[msgtype as keyof typeof MEDIA_SAMPLES] ?? {}) }),
    robotCode: o.robotCode ?? 'dingrobotcode0b',
    msgtype,
    ...o.extra,
  };
}

/** `text.repliedMsg` as production sends it (protocol.md §12), with the defaults of {@link ChatbotSampleQuote}. */
function repliedMsg(quote: ChatbotSampleQuote, now: number): Record<string, unknown> {
  const msgType = quote.msgType ?? 'text';
  const content = quote.content ?? QUOTED_SAMPLES[msgType as keyof typeof QUOTED_SAMPLES];
  return {
    ...quote,
    msgType,
    msgId: quote.msgId ?? newMsgId(),
    createdAt: quote.createdAt ?? now - 60_000,
    senderId: quote.senderId ?? (msgType === 'interactiveCard' ? SAMPLE_CHATBOT_USER_ID : SAMPLE_SENDER_ID),
    ...(content === undefined ? {} : { content: structuredClone(content) }),
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
