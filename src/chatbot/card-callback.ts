import * as v from 'valibot';
import { DingTalkStreamError } from '../errors.js';
import { cardParamMap, type CardParams } from './cards.js';
import { jsonField, validate } from './validate.js';

const jsonText = v.optional(v.union([v.string(), v.record(v.string(), v.unknown())]));
const CardCallbackSchema = v.object({
  outTrackId: v.string(),
  type: v.optional(v.string()),
  corpId: v.optional(v.string()),
  userId: v.optional(v.string(), ''),
  userIdType: v.optional(v.number()),
  spaceType: v.optional(v.string()),
  spaceId: v.optional(v.string()),
  content: jsonText,
  /** Production repeats the pressed button here; read when `content` is absent. */
  value: jsonText,
  extension: jsonText,
});

/**
 * A card callback (`/v1.0/card/instances/callback`): someone pressed a button on a card.
 * `content` and `extension` arrive as JSON strings and are parsed; `params` are the
 * button's callback parameters (`content.cardPrivateData.params`).
 *
 * @example
 * ```ts
 * const cb: CardCallback = parseCardCallback(msg.data);
 * if (cb.params.action === 'accept') console.log(cb.userId, 'accepted card', cb.outTrackId);
 * ```
 */
export interface CardCallback {
  /** The card instance (`outTrackId` you chose at creation). */
  outTrackId: string;
  /** `actionCallback` for a button. */
  type: string | undefined;
  corpId: string | undefined;
  /** Who pressed (staffId). */
  userId: string;
  userIdType: number | undefined;
  spaceType: string | undefined;
  spaceId: string | undefined;
  /** The parsed `content`: `{ cardPrivateData: { actionIds, params } }`. */
  content: Record<string, unknown>;
  /** The parsed `extension`. */
  extension: Record<string, unknown>;
  /** The pressed button's parameters. */
  params: Record<string, unknown>;
  actionIds: string[];
  /** The payload as received. */
  raw: Record<string, unknown>;
}

/**
 * Validates and parses a card callback's `data`; throws `PayloadError` if it is not one.
 *
 * @example
 * ```ts
 * const cb = parseCardCallback(streamMessage.data);
 * ```
 */
export function parseCardCallback(data: unknown): CardCallback {
  const raw = validate(CardCallbackSchema, data, 'card callback');
  const content = jsonField(raw.content ?? raw.value);
  const privateData = (content.cardPrivateData ?? {}) as { params?: Record<string, unknown>; actionIds?: string[] };
  return {
    outTrackId: raw.outTrackId,
    type: raw.type,
    corpId: raw.corpId,
    userId: raw.userId,
    userIdType: raw.userIdType,
    spaceType: raw.spaceType,
    spaceId: raw.spaceId,
    content,
    extension: jsonField(raw.extension),
    params: privateData.params ?? {},
    actionIds: Array.isArray(privateData.actionIds) ? privateData.actionIds : [],
    raw: data as Record<string, unknown>,
  };
}

/**
 * What a card callback answers (DingTalk's document "event-callback-card"; go SDK
 * `card/model.go` `CardResponse`): new public card data, and the **clicking user's**
 * private data in `userPrivateData`, which is not keyed by userId. (`privateData` keyed by
 * userId is the shape of `PUT /v1.0/card/instances`, i.e. `api.updateCard`; in a callback
 * answer DingTalk ignores it.)
 *
 * @example
 * ```ts
 * const r: CardCallbackResponse = cardCallbackResponse({ cardData: { status: 'accepted' }, userPrivateData: { voted: true } });
 * ```
 */
export interface CardCallbackResponse {
  cardData?: { cardParamMap: Record<string, string> };
  /** The clicking user's private params. */
  userPrivateData?: { cardParamMap: Record<string, string> };
  cardUpdateOptions?: { updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean };
}

/**
 * What {@link cardCallbackResponse} takes. `userPrivateData` holds plain values only, so a
 * userId-keyed map (`{ [userId]: { … } }`, the `api.updateCard` shape) does not type-check.
 *
 * @example
 * ```ts
 * const answer: CardCallbackAnswer = { cardData: { votes: 3 }, userPrivateData: { voted: true } };
 * ```
 */
export interface CardCallbackAnswer {
  /** Card data for everyone. */
  cardData?: CardParams;
  /** Data only the user who pressed sees (not keyed by userId). */
  userPrivateData?: Record<string, string | number | boolean | null>;
  updateCardDataByKey?: boolean;
  updatePrivateDataByKey?: boolean;
  /** Not a callback field: use `userPrivateData` (keyed `privateData` belongs to `api.updateCard`). */
  privateData?: never;
}

/**
 * Builds a card callback response: `cardData.cardParamMap` for everyone and
 * `userPrivateData.cardParamMap` for the user who pressed the button. Throws when given
 * `privateData`, which DingTalk would silently ignore in a callback answer.
 *
 * @example
 * ```ts
 * registerCardCallbackHandler(client, (cb) =>
 *   cardCallbackResponse({ cardData: { votes: 3 }, userPrivateData: { voted: true } }));
 * ```
 */
export function cardCallbackResponse(o: CardCallbackAnswer): CardCallbackResponse {
  if ('privateData' in o) throw new DingTalkStreamError('INVALID_ARGUMENT', 'A card callback answers with userPrivateData (not keyed by userId); keyed privateData is for api.updateCard.');
  const options = { ...(o.updateCardDataByKey !== undefined ? { updateCardDataByKey: o.updateCardDataByKey } : {}), ...(o.updatePrivateDataByKey !== undefined ? { updatePrivateDataByKey: o.updatePrivateDataByKey } : {}) };
  return {
    ...(o.cardData ? { cardData: cardParamMap(o.cardData) } : {}),
    ...(o.userPrivateData ? { userPrivateData: cardParamMap(o.userPrivateData) } : {}),
    ...(Object.keys(options).length ? { cardUpdateOptions: options } : {}),
  };
}
