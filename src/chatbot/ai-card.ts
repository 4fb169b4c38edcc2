import { DingTalkStreamError } from '../errors.js';
import { resolveTarget, type CardDelivery, type CardParams, type CardTarget } from './cards.js';
import type { DingTalkOpenApi } from './openapi.js';

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
 * Options of {@link AIStreamingCard.create}.
 *
 * @example
 * ```ts
 * const options: AIStreamingCardOptions = { title: 'Assistant', throttleMs: 500 };
 * ```
 */
export interface AIStreamingCardOptions extends Omit<CardDelivery, 'to'> {
  /** Default {@link AI_CARD_TEMPLATE_ID}. */
  templateId?: string;
  title?: string;
  logo?: string;
  /** Extra card params sent at creation. */
  cardData?: CardParams;
  /** The streamed variable; default `msgContent`. */
  contentKey?: string;
  /** Streamed updates are coalesced so at most one PUT goes out per this many ms; default 300. */
  throttleMs?: number;
  outTrackId?: string;
  supportForward?: boolean;
}

/**
 * An AI streaming card, fed chunk by chunk (e.g. from an LLM's stream): created in
 * "processing" state, switched to "inputting" with the first text, streamed with the
 * accumulated markdown through `PUT /v1.0/card/streaming` (coalesced: at most one PUT per
 * `throttleMs`), then finished or failed. `append`/`update` never wait for the network; an
 * error of a background update is thrown by the next call and by `finish()`. The final text
 * is always sent.
 *
 * @example
 * ```ts
 * const card = await AIStreamingCard.create(api, message, { title: 'Assistant' });
 * try {
 *   for await (const chunk of llm.stream(message.text)) await card.append(chunk);
 *   await card.finish();
 * } catch (err) {
 *   await card.fail('Sorry, something went wrong.');
 * }
 * ```
 */
export class AIStreamingCard {
  private text = '';
  private inputting = false;
  private dirty = false;
  private state: 'open' | 'finished' | 'failed' = 'open';
  private lastSentAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | undefined;
  private error: unknown;

  private constructor(
    private readonly api: DingTalkOpenApi,
    readonly outTrackId: string,
    private readonly options: AIStreamingCardOptions,
    private readonly hostNick: string | undefined,
  ) {}

  /**
   * Creates and delivers the card (`flowStatus` "1", processing) where `to` points.
   *
   * @example
   * ```ts
   * const card = await AIStreamingCard.create(api, message);
   * ```
   */
  static async create(api: DingTalkOpenApi, to: CardTarget, options: AIStreamingCardOptions = {}): Promise<AIStreamingCard> {
    const { templateId, title, logo, cardData, contentKey: _k, throttleMs: _t, ...delivery } = options;
    const outTrackId = await api.createAndDeliverCard({
      ...delivery,
      to,
      cardTemplateId: templateId ?? AI_CARD_TEMPLATE_ID,
      cardData: { ...(title ? { msgTitle: title } : {}), ...(logo ? { logo } : {}), ...cardData, flowStatus: AICardStatus.PROCESSING },
    });
    return new AIStreamingCard(api, outTrackId, options, resolveTarget(to).message?.hostingContext?.nick);
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
   * Appends a chunk; the card shows the accumulated text at the next coalesced update.
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
   * Sends the final text (the accumulated one, or `finalText`) with `isFinalize`, then
   * marks the card finished (`flowStatus` "3"). Throws an error a background update met.
   *
   * @example
   * ```ts
   * await card.finish();
   * ```
   */
  async finish(finalText?: string): Promise<void> {
    this.close('finished');
    if (finalText !== undefined) this.text = finalText;
    await this.inFlight;
    if (this.error) throw this.error;
    if (this.inputting) await this.stream(true);
    await this.api.updateCard({ outTrackId: this.outTrackId, cardData: this.cardData(AICardStatus.FINISHED) });
  }

  /**
   * Marks the card failed (`flowStatus` "5"), keeping the text so far and appending
   * `reason` if given. Errors of earlier background updates are ignored here.
   *
   * @example
   * ```ts
   * await card.fail('The model is unavailable, try again later.');
   * ```
   */
  async fail(reason?: string): Promise<void> {
    this.close('failed');
    await this.inFlight;
    if (reason) this.text = this.text ? `${this.text}\n\n${reason}` : reason;
    await this.api.updateCard({ outTrackId: this.outTrackId, cardData: this.cardData(AICardStatus.FAILED) });
  }

  private set(text: string): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new DingTalkStreamError('AI_CARD_CLOSED', `The AI card is already ${this.state}; create a new one to write more.`));
    if (this.error) return Promise.reject(this.error);
    this.text = text;
    this.dirty = true;
    this.schedule();
    return Promise.resolve();
  }

  // one timer or one PUT at a time; chunks arriving meanwhile are coalesced into the next PUT
  private schedule(): void {
    if (this.timer !== undefined || this.inFlight || !this.dirty || this.state !== 'open') return;
    const wait = Math.max(0, this.lastSentAt + (this.options.throttleMs ?? 300) - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.stream(false)
        .catch((err: unknown) => void (this.error ??= err))
        .finally(() => {
          this.inFlight = undefined;
          this.schedule();
        });
    }, wait);
  }

  private async stream(isFinalize: boolean): Promise<void> {
    this.dirty = false;
    if (!this.inputting) {
      await this.api.updateCard({ outTrackId: this.outTrackId, cardData: this.cardData(AICardStatus.INPUTING) });
      this.inputting = true;
    }
    this.lastSentAt = Date.now();
    await this.api.streamCard({ outTrackId: this.outTrackId, key: this.options.contentKey ?? 'msgContent', content: this.text, isFull: true, isFinalize });
  }

  private close(state: 'finished' | 'failed'): void {
    if (this.state !== 'open') throw new DingTalkStreamError('AI_CARD_CLOSED', `The AI card is already ${this.state}.`);
    this.state = state;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private cardData(flowStatus: string): CardParams {
    const { title, logo } = this.options;
    const full: Record<string, unknown> = { order: ['msgTitle', 'msgContent', 'staticMsgContent', 'msgTextList', 'msgImages', 'msgSlider', 'msgButtons'] };
    // delegate (hosting) messages: say whose assistant answers, like the Python SDK
    if (this.hostNick) full.source = { text: `由${this.hostNick}的数字助理回答` };
    return {
      flowStatus,
      [this.options.contentKey ?? 'msgContent']: this.text,
      staticMsgContent: '',
      ...(title ? { msgTitle: title } : {}),
      ...(logo ? { logo } : {}),
      sys_full_json_obj: full,
    };
  }
}
