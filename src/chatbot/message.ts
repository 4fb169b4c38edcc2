import * as v from 'valibot';
import { checker, validate } from './validate.js';

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
type KnownFields = v.InferOutput<typeof ChatbotMessageSchema>;

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
    const { raw } = this;
    if (raw.msgtype === 'text') return raw.text ? [raw.text.content] : [];
    if (raw.msgtype === 'richText') return (raw.content?.richText ?? []).flatMap((p) => (typeof p.text === 'string' ? [p.text] : []));
    if (raw.msgtype === 'audio' && raw.content?.recognition) return [raw.content.recognition];
    return [];
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
    const content = this.raw.content;
    if (!content) return [];
    const parts = this.raw.msgtype === 'richText' ? content.richText ?? [] : [content];
    return parts.flatMap((p) => (p.downloadCode ? [p.downloadCode] : []));
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
