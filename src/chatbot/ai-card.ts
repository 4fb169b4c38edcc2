import { DingTalkStreamError } from '../errors.js';
import { ms, off, opt, readOptions, val, type OptionsOf, type ValuesOf } from '../options.js';
import { DELIVERY, resolveTarget, type CardParams, type CardTarget } from './cards.js';
import { wait } from './governor.js';
import type { DingTalkOpenApi } from './openapi.js';
import { clip } from './text.js';
import { ChatbotReplier } from './webhook.js';

/**
 * The AI card template the Python SDK's `AIMarkdownCardInstance` uses.
 *
 * @example
 * ```ts
 * await AIStreamingCard.create(api, message, { templateId: AI_CARD_TEMPLATE_ID });
 * ```
 */
export const AI_CARD_TEMPLATE_ID = '382e4302-551d-4880-bf29-a30acfab2e71.schema';

/**
 * The AI card's `flowStatus` values (strings on the wire).
 *
 * @example
 * ```ts
 * await api.updateCard({ outTrackId, cardData: { flowStatus: AICardStatus.FINISHED } });
 * ```
 */
export const AICardStatus = { PROCESSING: '1', INPUTING: '2', FINISHED: '3', EXECUTING: '4', FAILED: '5' } as const;

/**
 * A content frame right after the delivery, or a final frame right after the previous one,
 * races the client fetching the card: it intermittently renders "内容加载失败" (SPEC.md §5
 * "帧节奏", 500 ms, ported from DingTalk's own dws client).
 */
const FRAME_GAP_MS = 500;

/**
 * The most one card update carries (SPEC.md §5 "单帧内容上限 20000"). A longer answer shows
 * its first 20,000 characters ending in "…" and continues in follow-up messages.
 *
 * @example
 * ```ts
 * if (answer.length > AI_CARD_MAX_CHARS) console.log('the rest follows as messages');
 * ```
 */
export const AI_CARD_MAX_CHARS = 20_000;
const OVERFLOW = '\n\n…';

/**
 * A button under a finished AI card (`sys_full_json_obj.msgButtons`, the list the Python
 * SDK's `ai_finish(button_list=…)` takes): a link (`url`, optionally `iosUrl`), or a
 * callback button (`id` with `request: true`) whose press arrives through
 * `registerCardCallbackHandler`.
 *
 * @example
 * ```ts
 * const buttons: AICardButton[] = [{ text: 'Docs', url: 'https://open.dingtalk.com', color: 'gray' }, { text: 'Retry', id: 'retry', request: true }];
 * ```
 */
export interface AICardButton {
  text: string;
  url?: string;
  iosUrl?: string;
  id?: string;
  request?: boolean;
  /** `blue` or `gray`. */
  color?: string;
}

/**
 * What {@link AIStreamingCard.finish} may add: the final text, buttons, and markdown that does
 * not stream (`staticMsgContent`, the Python SDK's `update(static_markdown=…)`).
 *
 * @example
 * ```ts
 * await card.finish({ staticText: '_Sources: the handbook_', buttons: [{ text: 'More', url: 'https://example.com' }] });
 * ```
 */
export type AICardFinish = OptionsOf<typeof FINISH>;

// what finish() takes (kind of each, see `readOptions`)
const FINISH = {
  /** Default: the text so far. */
  text: opt<string>('string'),
  buttons: opt<AICardButton[]>('object'),
  staticText: opt<string>('string'),
};

/**
 * Options of {@link AIStreamingCard.create}: where and how the card is delivered
 * (`CardDelivery` besides `to`), what it shows, and its pacing. An unknown key is a
 * `CONFIG` error naming the option it probably meant.
 *
 * @example
 * ```ts
 * const options: AIStreamingCardOptions = { title: 'Assistant', minIntervalMs: 1000 };
 * ```
 */
export type AIStreamingCardOptions = OptionsOf<typeof AI_CARD>;

// the options table: kind and default of each (see `readOptions`)
const AI_CARD = {
  ...DELIVERY,
  /** Default {@link AI_CARD_TEMPLATE_ID}. */
  templateId: val('string', AI_CARD_TEMPLATE_ID),
  title: opt<string>('string'),
  logo: opt<string>('string'),
  /** Extra card params sent at creation. */
  cardData: opt<CardParams>('object'),
  /** The streamed variable; default `msgContent`. */
  contentKey: val('string', 'msgContent'),
  /**
   * At most one update of this card per this many ms, however fast the model streams;
   * default 800: DingTalk protects a card against updates closer than ~800 ms (the DingTalk
   * team's channel SDK and its connector stream at most every 800 ms, dingtalk-channel-sdk-nodejs
   * SPEC.md §5 "节流"; protocol.md §10.3). The gap after the delivery and before the final
   * frame is 500 ms, or this when shorter.
   */
  minIntervalMs: ms(800),
  /**
   * A card left open this long after its last text is finished by the SDK, so that it stops
   * spinning; default 600 000 (10 min, the connector's CARD_WATCHDOG_TIMEOUT, SPEC.md §5), 0
   * for never.
   */
  watchdogMs: off(600_000),
  /**
   * Make sure the user gets the answer as messages when the card cannot carry it: a card
   * that cannot be created, delivered or finished sends its text as a markdown reply (with a
   * warning), and text beyond 20,000 characters continues in follow-up replies. Default
   * true; false throws instead (and truncates at 20,000).
   */
  textFallback: val('boolean', true),
  /** Ends the card's waits and timers; nothing more is sent for it. */
  signal: opt<AbortSignal>('object'),
  /** Your id for the card instance; default a random UUID. */
  outTrackId: opt<string>('string'),
  /** Whether the card may be forwarded; default `true`. */
  supportForward: opt<boolean>('boolean'),
};

/**
 * An AI streaming card, fed chunk by chunk (e.g. from an LLM's stream): created in
 * "processing" state, switched to "inputting" with the first text, streamed with the
 * accumulated markdown through `PUT /v1.0/card/streaming`, then finished or failed.
 *
 * Paced for production: at most one update per `minIntervalMs` (800 ms), the latest text
 * always sent (a trailing update when a window ends), 500 ms after the delivery before the
 * first text and before the final frame, at most 20,000 characters per update. App-wide
 * limits are the OpenAPI's governor's. `append`/`update` never wait for the network; a failed
 * update is logged and the next one carries the whole text. If the card cannot be created,
 * delivered or finished, the text goes out as a reply instead (`textFallback`), and a
 * watchdog finishes a card left open for 10 minutes.
 *
 * @example
 * ```ts
 * const card = await AIStreamingCard.create(api, message, { title: 'Assistant' });
 * for await (const chunk of llm.stream(message.text)) await card.append(chunk);
 * await card.finish({ buttons: [{ text: 'Docs', url: 'https://open.dingtalk.com' }] });
 * ```
 */
export class AIStreamingCard {
  private text = '';
  /** The frame last sent (or tried): the card is up to date while it equals {@link frame}. */
  private sent = '';
  private inputting = false;
  private state: 'open' | 'finished' | 'failed' = 'open';
  /** When the last call about this card ended (the delivery, then each update). */
  private lastAt = Date.now();
  private pump: Promise<void> | undefined;
  /** Aborted when the card closes: ends the pump's wait. */
  private readonly stop = new AbortController();
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private readonly onAbort = () => {
    this.state = 'failed';
    this.release();
  };

  private constructor(
    private readonly api: DingTalkOpenApi,
    readonly outTrackId: string,
    private readonly options: ValuesOf<typeof AI_CARD>,
    private readonly to: CardTarget,
    /** Whether the card exists in the chat; false: it could not be created or delivered, and the text will go out as a reply. */
    readonly delivered: boolean,
  ) {
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.arm();
  }

  /**
   * Creates and delivers the card (`flowStatus` "1", processing) where `to` points. If that
   * fails and `textFallback` is on (the default), it logs a warning and resolves with a card
   * whose `delivered` is false: its text goes out as a reply when it finishes.
   *
   * @example
   * ```ts
   * const card = await AIStreamingCard.create(api, message);
   * ```
   */
  static async create(api: DingTalkOpenApi, to: CardTarget, options?: AIStreamingCardOptions): Promise<AIStreamingCard> {
    const o = readOptions('AIStreamingCard', AI_CARD, options);
    const { templateId, title, logo, cardData, contentKey: _k, minIntervalMs: _i, watchdogMs: _w, textFallback, signal: _s, ...delivery } = o;
    const outTrackId = o.outTrackId ?? crypto.randomUUID();
    try {
      await api.createAndDeliverCard({
        ...delivery,
        outTrackId,
        to,
        cardTemplateId: templateId,
        cardData: { ...(title ? { msgTitle: title } : {}), ...(logo ? { logo } : {}), ...cardData, flowStatus: AICardStatus.PROCESSING },
      });
    } catch (err) {
      if (!textFallback) throw err;
      api.logger.warn(`AI card ${outTrackId} not delivered, its text goes out as a reply: ${(err as Error).message}`);
      return new AIStreamingCard(api, outTrackId, o, to, false);
    }
    return new AIStreamingCard(api, outTrackId, o, to, true);
  }

  /**
   * The accumulated text.
   *
   * @example
   * ```ts
   * console.log(card.content.length);
   * ```
   */
  get content(): string {
    return this.text;
  }

  /**
   * `open`, `finished` or `failed`.
   *
   * @example
   * ```ts
   * if (card.status === 'open') await card.finish();
   * ```
   */
  get status(): 'open' | 'finished' | 'failed' {
    return this.state;
  }

  /**
   * Appends a chunk; the card shows the accumulated text at its next update.
   *
   * @example
   * ```ts
   * await card.append('Hello');
   * ```
   */
  append(chunk: string): Promise<void> {
    return this.set(this.text + chunk);
  }

  /**
   * Replaces the whole text (for sources that give the full text each time).
   *
   * @example
   * ```ts
   * await card.update('Hello, world');
   * ```
   */
  update(fullText: string): Promise<void> {
    return this.set(fullText);
  }

  /**
   * Sends the final text (the accumulated one, or `final.text`) with `isFinalize`, then marks
   * the card finished (`flowStatus` "3") with the buttons and static text. Text beyond
   * 20,000 characters follows as replies. If the card cannot be finished, the text goes out
   * as a reply (`textFallback`); with that off, the error is thrown.
   *
   * @example
   * ```ts
   * await card.finish();
   * await other.finish({ text: 'Done.', buttons: [{ text: 'Open', url: 'https://example.com' }] });
   * ```
   */
  async finish(final?: string | AICardFinish): Promise<void> {
    const o = readOptions('AIStreamingCard.finish', FINISH, typeof final === 'string' ? { text: final } : final);
    await this.close('finished');
    if (o.text !== undefined) this.text = o.text;
    await this.end(AICardStatus.FINISHED, o);
  }

  /**
   * Marks the card failed (`flowStatus` "5"), keeping the text so far and appending
   * `reason` if given; a card that is not there sends that text as a reply.
   *
   * @example
   * ```ts
   * await card.fail('The model is unavailable, try again later.');
   * ```
   */
  async fail(reason?: string): Promise<void> {
    await this.close('failed');
    if (reason) this.text = this.text ? `${this.text}\n\n${reason}` : reason;
    await this.end(AICardStatus.FAILED, {});
  }

  private set(text: string): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.closed());
    this.text = text;
    this.arm();
    if (this.delivered) this.pump ??= this.run();
    return Promise.resolve();
  }

  // one update at a time, each when the card's next slot comes, with the text as it is then
  private async run(): Promise<void> {
    try {
      while (this.state === 'open' && this.frame() !== this.sent) {
        await wait(this.due(), this.stop.signal);
        await this.push(false, this.stop.signal).catch((err: unknown) => {
          if (err === this.stop.signal.reason) return; // the card closed meanwhile: not a failure
          // the next update carries the whole text again, so one lost update costs nothing
          this.api.logger[this.failures++ ? 'debug' : 'warn'](`AI card ${this.outTrackId}: update failed, the next carries the whole text: ${(err as Error).message}`);
        });
      }
    } catch {
      /* the card closed while waiting */
    } finally {
      this.pump = undefined;
    }
  }

  /** ms until the next update may go: `minIntervalMs` after the last one, the frame gap after the delivery. */
  private due(): number {
    const interval = this.options.minIntervalMs;
    return (this.inputting ? interval : Math.min(FRAME_GAP_MS, interval)) + this.lastAt - Date.now();
  }

  /** What the card shows: the text, or its first 20,000 characters ending in "…". */
  private frame(): string {
    return this.text.length > AI_CARD_MAX_CHARS ? clip(this.text, AI_CARD_MAX_CHARS - OVERFLOW.length) + OVERFLOW : this.text;
  }

  private async push(isFinalize: boolean, signal: AbortSignal | undefined): Promise<void> {
    const content = (this.sent = this.frame());
    try {
      if (this.inputting) await this.api.streamCard({ outTrackId: this.outTrackId, key: this.options.contentKey, content, isFull: true, isFinalize }, { signal });
      else {
        // the switch to "inputting" carries the first text: it is the first content frame
        await this.api.updateCard({ outTrackId: this.outTrackId, cardData: this.cardData(AICardStatus.INPUTING, content) }, { signal });
        this.inputting = true;
      }
    } finally {
      this.lastAt = Date.now();
    }
  }

  private async close(state: 'finished' | 'failed'): Promise<void> {
    if (this.state !== 'open') throw this.closed();
    this.state = state;
    this.release();
    await this.pump;
  }

  private closed(): DingTalkStreamError {
    return new DingTalkStreamError('AI_CARD_CLOSED', `The AI card is already ${this.state}; create a new one to write more.`);
  }

  // the timers, the pump's wait and the abort listener: nothing of the card outlives it
  private release(): void {
    clearTimeout(this.watchdog);
    this.stop.abort();
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }

  private async end(flowStatus: string, o: AICardFinish): Promise<void> {
    const { signal, textFallback } = this.options;
    let rest = this.text; // what goes out as a reply: all of it, unless the card carries it
    if (this.delivered) {
      try {
        if (this.inputting && flowStatus === AICardStatus.FINISHED) {
          await wait(this.due(), signal);
          await this.push(true, signal);
        }
        await wait(this.due(), signal);
        await this.api.updateCard({ outTrackId: this.outTrackId, cardData: this.cardData(flowStatus, this.frame(), o) }, { signal });
        this.lastAt = Date.now();
        // beyond the card's 20,000 characters: the rest as messages
        const shown = clip(this.text, AI_CARD_MAX_CHARS - OVERFLOW.length).length;
        rest = this.text.length > AI_CARD_MAX_CHARS && textFallback ? `…${this.text.slice(shown)}` : '';
      } catch (err) {
        if (!textFallback || signal?.aborted) throw err;
        this.api.logger.warn(`AI card ${this.outTrackId} not closed, its text goes out as a reply: ${(err as Error).message}`);
      }
    }
    if (rest.trim()) await this.reply(rest);
  }

  // a markdown reply to where the card went: the session webhook, or the robot OpenAPI
  private reply(text: string): Promise<unknown> {
    const { group, user, message } = resolveTarget(this.to);
    const title = this.options.title ?? (text.replace(/^[\s#>*_`-]+/, '').split('\n')[0]!.slice(0, 30) || '…');
    return new ChatbotReplier(message ?? (group ? { conversationType: '2', conversationId: group } : { senderStaffId: user }), { api: this.api }).markdown(title, text);
  }

  private arm(): void {
    clearTimeout(this.watchdog);
    const ms = this.options.watchdogMs;
    if (!ms) return;
    this.watchdog = setTimeout(() => {
      this.api.logger.warn(`AI card ${this.outTrackId} left open ${ms} ms: the watchdog finishes it`);
      this.finish().catch((err: unknown) => this.api.logger.warn(`AI card ${this.outTrackId}: ${(err as Error).message}`));
    }, ms);
  }

  private cardData(flowStatus: string, content: string, o: AICardFinish = {}): CardParams {
    const { title, logo, contentKey } = this.options;
    const full: Record<string, unknown> = { order: ['msgTitle', 'msgContent', 'staticMsgContent', 'msgTextList', 'msgImages', 'msgSlider', 'msgButtons'] };
    // delegate (hosting) messages: say whose assistant answers, like the Python SDK
    const nick = resolveTarget(this.to).message?.hostingContext?.nick;
    if (nick) full.source = { text: `由${nick}的数字助理回答` };
    if (o.buttons?.length) full.msgButtons = o.buttons;
    return {
      flowStatus,
      [contentKey]: content,
      staticMsgContent: o.staticText ?? '',
      ...(title ? { msgTitle: title } : {}),
      ...(logo ? { logo } : {}),
      sys_full_json_obj: full,
    };
  }
}
