import * as v from 'valibot';
import { checker, jsonField, validate } from './validate.js';

const str = v.optional(v.string());
const bool = v.optional(v.boolean());
const ms = v.optional(v.number());

const AtUserSchema = v.object({ dingtalkId: str, staffId: str, unionId: str });

const fields = {
  msgtype: v.string(),
  msgId: v.string(),
  conversationId: v.string(),
  conversationType: v.string(),
  conversationTitle: str,
  senderId: str,
  senderNick: str,
  senderStaffId: str,
  senderCorpId: str,
  senderUnionId: str,
  chatbotUserId: str,
  chatbotCorpId: str,
  robotCode: str,
  isAdmin: bool,
  isInAtList: bool,
  atUsers: v.optional(v.array(AtUserSchema), []),
  sessionWebhook: str,
  sessionWebhookExpiredTime: ms,
  createAt: ms,
  hostingContext: v.optional(v.object({ userId: str, nick: str })),
  text: v.optional(v.object({ content: v.string() })),
  // every non-text msgtype carries `content`; its keys depend on the msgtype (others are
  // kept, so that new msgtypes and new keys pass through instead of being rejected)
  content: v.optional(
    v.object({
      downloadCode: str,
      pictureDownloadCode: str,
      recognition: str,
      fileName: str,
      richText: v.optional(v.array(v.object({ text: str, downloadCode: str, pictureDownloadCode: str, type: str }))),
    }),
  ),
};
/**
 * The chatbot payload's schema (not part of the package's API; exported for tests). For
 * validation only: the message keeps the payload as received, so unknown fields and unknown
 * `content` keys pass through (a plain object schema is also smaller than a loose one).
 *
 * @example
 * ```ts
 * v.is(ChatbotMessageSchema, data);
 * ```
 */
export const ChatbotMessageSchema = v.object(fields);
/** The valid path: a plain check read from the schema, no valibot output copy per message. */
const fits = /* @__PURE__ */ checker(ChatbotMessageSchema);
type Checked = v.InferOutput<typeof ChatbotMessageSchema>;
type KnownFields = Omit<Checked, 'content'> & { content?: ChatbotContent };

/**
 * The `content` of every msgtype but `text`, as production sends it (protocol.md §12 "Plain
 * media messages", from DingTalk's samples in open-dingtalk/developerpedia
 * `docs/learn/bot/message.md`): picture `{pictureDownloadCode, downloadCode}`, video
 * `{duration, videoType, downloadCode}`, audio `{downloadCode, recognition}`, file
 * `{spaceId, fileName, downloadCode, fileId}`, richText `{richText: [{text}, {pictureDownloadCode,
 * downloadCode, type: 'picture'}]}`. The schema checks `downloadCode`, `pictureDownloadCode`,
 * `recognition`, `fileName` and `richText`; `spaceId`, `fileId`, `videoType` and `duration` are
 * typed as DingTalk's samples show them but not checked (a message is never refused over them),
 * and other keys pass through.
 *
 * @example
 * ```ts
 * const content: ChatbotContent | undefined = message.content;
 * if (message.msgtype === 'file') console.log(content?.fileName, content?.fileId);
 * ```
 */
export type ChatbotContent = NonNullable<Checked['content']> & {
  /** file: the id of its DingTalk Drive space. */
  spaceId?: string;
  /** file: its id in that space (the `dentryId` of the Drive API, devpedia). */
  fileId?: string;
  /** video: its format, e.g. `mp4`. */
  videoType?: string;
  /** video, audio: the length; a string in DingTalk's sample (`"5"`), a number in the Go community model. */
  duration?: string | number;
  [key: string]: unknown;
};

/**
 * The `data` of a chatbot message as DingTalk sends it (every field the protocol documents;
 * unknown ones are kept too).
 *
 * @example
 * ```ts
 * const data: ChatbotMessageData = message.raw;
 * console.log(data.text?.content);
 * ```
 */
export type ChatbotMessageData = KnownFields & { [key: string]: unknown };

/**
 * Someone @-mentioned in a chatbot message.
 *
 * @example
 * ```ts
 * const staffIds = message.atUsers.map((u: AtUser) => u.staffId).filter(Boolean);
 * ```
 */
export type AtUser = v.InferOutput<typeof AtUserSchema>;

/**
 * The message a reply quotes, read from `text.isReplyMsg` / `text.repliedMsg` (protocol.md §12).
 * No DingTalk document describes quotes, so every field but `text`, `downloadCodes`, `fromBot`
 * and `raw` may be missing, and a quote of an unknown or partial shape never makes the message
 * invalid: what is not there, or not of the expected type, is left out.
 *
 * @example
 * ```ts
 * const quoted: QuotedMessage | undefined = message.quoted;
 * if (quoted?.fromBot) console.log('a follow-up on my answer:', quoted.text);
 * ```
 */
export interface QuotedMessage {
  /** `repliedMsg.msgId` (protocol.md §12: soimy PR #599 capture, connector #399 logged payload), else the top-level `originalMsgId` (soimy PR #128; no capture). */
  msgId?: string;
  /** `repliedMsg.msgType`, named as the message's own `msgtype`: `text`, `markdown`, `picture`, `richText`, `file`, `audio`, `video`, `interactiveCard`, … (protocol.md §12). */
  msgtype?: string;
  /**
   * The quoted text, trimmed (`''` when none): a text's `content.content` (protocol.md §12:
   * #599 capture; `content.text`, which older code read, is read too), a markdown's
   * `content.text`, a richText's text parts (`{msgType: 'text', content}` in a quote), an
   * audio's `content.recognition` (read by the connector; in no capture), the bot's card: the
   * `value` of each `TEXT` element of `content.cardContent`, one per line (#599 capture, issue
   * #598; #399 logged a card quote without content, so this may be `''`).
   */
  text: string;
  /** Download codes of the quoted picture, file, audio or video (`content.downloadCode`) or richText pictures (protocol.md §12: #599 capture); for `api.messageFileDownloadUrl(code)`. */
  downloadCodes: string[];
  /** A quoted file's `content.fileName` (protocol.md §12: #599 capture). */
  fileName?: string;
  /** `repliedMsg.senderId`: who wrote the quoted message (protocol.md §12: #599 capture, #399). */
  senderId?: string;
  /** `repliedMsg.createdAt`, ms (spelled unlike the message's own `createAt`; protocol.md §12). */
  createdAt?: number;
  /** The quoted message is the bot's own (a reply, a card, an AI card): its `senderId` is the message's `chatbotUserId` (protocol.md §12, soimy `message-utils.ts`). */
  fromBot: boolean;
  /** The top-level `originalProcessQueryKey`: the `processQueryKey` of the quoted bot message (protocol.md §12: used by soimy; no capture). */
  processQueryKey?: string;
  /** `repliedMsg` as received; `{}` when only `originalMsgId` came. */
  raw: { [key: string]: unknown };
}

/** `value` when it is of `type` (a string unless said), else `undefined`: how a quote, which no document describes, is read. */
const is = <T = string>(value: unknown, type = 'string'): T | undefined => (typeof value == type ? (value as T) : undefined);
/** The text pieces of a content's parts: a text's `content`, a richText item's `text` (a quote's `content`), an audio's `recognition`. */
const textsOf = (parts: any[]): string[] => parts.flatMap((p) => is(p?.content) ?? is(p?.text) ?? is(p?.recognition) ?? []);
/** The download codes of a content's parts (a richText's items, or the content itself). */
const codesOf = (parts: any[]): string[] => parts.flatMap((p) => is(p?.downloadCode) || []);
/** The `value` of each `TEXT` element of a quoted card's `cardContent` tree; bounded in depth, as the tree is untrusted. */
const cardTexts = (node: any, depth = 0): string[] =>
  node instanceof Object && depth < 32 ? ([] as string[]).concat(is(node.elementType == 'TEXT' && node.value) ?? [], Object.values(node).flatMap((child) => cardTexts(child, depth + 1))) : [];

/**
 * The message types DingTalk documents for incoming chatbot messages; others (new ones)
 * are preserved as they come, with their `content`.
 *
 * @example
 * ```ts
 * if ((message.msgtype as ChatbotMsgType) === 'picture') console.log(message.downloadCodes);
 * ```
 */
export type ChatbotMsgType = 'text' | 'picture' | 'richText' | 'audio' | 'video' | 'file';

// the payload's fields become the message's fields, except `text` which is the extracted text
// (the original `{content}` stays in `raw.text`)
/** Fields of {@link ChatbotMessage} copied from the payload. */
export interface ChatbotMessage extends Omit<KnownFields, 'text'> {}

/**
 * A chatbot message (`/v1.0/im/bot/messages/get`, or the delegate topic), validated with
 * valibot: every msgtype (text, picture, richText, audio, video, file) with helpers, and
 * unknown msgtypes and fields preserved rather than rejected (`raw` is the whole payload).
 *
 * @example
 * ```ts
 * const message = ChatbotMessage.from(streamMessage.data);
 * if (message.isGroup) console.log(message.conversationTitle, message.text);
 * ```
 */
export class ChatbotMessage {
  readonly #raw: ChatbotMessageData;

  /**
   * Validates `data` and wraps it; throws {@link PayloadError} if it is not a chatbot message.
   *
   * @example
   * ```ts
   * const message = ChatbotMessage.from(JSON.parse(frame.data));
   * ```
   */
  static from(data: unknown): ChatbotMessage {
    if (!fits(data)) validate(ChatbotMessageSchema, data, 'chatbot message');
    const raw = data as ChatbotMessageData;
    return new ChatbotMessage(raw.atUsers ? raw : { ...raw, atUsers: [] });
  }

  private constructor(raw: ChatbotMessageData) {
    this.#raw = raw;
    // copy the payload's fields, except those the class computes (`text`, `isGroup`, `raw`, …):
    // assigning over a getter would throw, and the computed value must win anyway (a for-in
    // and a private field: ~0.5 µs less per message than Object.keys and defineProperty)
    for (const key in raw) if (!(key in ChatbotMessage.prototype)) (this as Record<string, unknown>)[key] = raw[key];
  }

  /**
   * The payload as received (after validation), unknown fields included.
   *
   * @example
   * ```ts
   * console.log(message.raw.text?.content); // untrimmed, as DingTalk sent it
   * ```
   */
  get raw(): ChatbotMessageData {
    return this.#raw;
  }

  /**
   * The text: `text.content` for text, the joined text parts for richText, the speech
   * recognition for audio, else `''`; surrounding whitespace (the space left by the
   * @-mention) trimmed.
   *
   * @example
   * ```ts
   * if (message.text === 'help') await reply.text('…');
   * ```
   */
  get text(): string {
    return this.textList.join('').trim();
  }

  /**
   * The text pieces, as Python's `get_text_list()`: one for text, one per text part of a
   * richText (untrimmed).
   *
   * @example
   * ```ts
   * const lines = message.textList;
   * ```
   */
  get textList(): string[] {
    const { msgtype, content, text } = this.raw;
    return textsOf(msgtype === 'text' ? [text] : msgtype === 'richText' ? content?.richText ?? [] : msgtype === 'audio' ? [content] : []);
  }

  /**
   * Download codes of the files the message carries (the picture, richText pictures, the
   * audio, video or file); turn one into a URL with `api.messageFileDownloadUrl(code)`.
   *
   * @example
   * ```ts
   * for (const code of message.downloadCodes) console.log(await api.messageFileDownloadUrl(code));
   * ```
   */
  get downloadCodes(): string[] {
    const { msgtype, content } = this.raw;
    return codesOf(msgtype === 'richText' ? content?.richText ?? [] : [content]);
  }

  /**
   * What the user quoted when replying to an earlier message, or `undefined` when the message
   * is not a reply. See {@link QuotedMessage} for each field and its source.
   *
   * @example
   * ```ts
   * const { quoted } = message;
   * if (quoted) await reply.text(`about "${quoted.text || quoted.msgtype}": ${message.text}`);
   * ```
   */
  get quoted(): QuotedMessage | undefined {
    const { raw } = this;
    const box: any = raw.text;
    const msgId = is(raw.originalMsgId);
    if (!box?.isReplyMsg && !msgId) return undefined;
    // jsonField: an object as it is; the connector also accepts JSON strings (no capture shows one)
    const replied = jsonField(box?.repliedMsg);
    const content = jsonField(replied.content);
    const parts: any[] = Array.isArray(content.richText) ? content.richText : [content];
    const senderId = is(replied.senderId);
    return {
      msgId: is(replied.msgId) ?? msgId,
      msgtype: is(replied.msgType),
      text: (textsOf(parts).join('') || cardTexts(content.cardContent).join('\n')).trim(),
      downloadCodes: codesOf(parts),
      fileName: is(content.fileName),
      senderId,
      createdAt: is<number>(replied.createdAt, 'number'),
      fromBot: !!senderId && senderId === raw.chatbotUserId,
      processQueryKey: is(raw.originalProcessQueryKey),
      raw: replied,
    };
  }

  /**
   * A group chat (`conversationType` `'2'`).
   *
   * @example
   * ```ts
   * if (message.isGroup) await reply.text('hi all', { sender: true });
   * ```
   */
  get isGroup(): boolean {
    return this.conversationType === '2';
  }

  /**
   * A 1:1 chat with the bot (`conversationType` `'1'`).
   *
   * @example
   * ```ts
   * if (message.isSingleChat) await reply.text('hi');
   * ```
   */
  get isSingleChat(): boolean {
    return this.conversationType === '1';
  }

  /** Not the payload: keeps `JSON.stringify(message)` equal to the original data. */
  toJSON(): ChatbotMessageData {
    return this.raw;
  }
}
