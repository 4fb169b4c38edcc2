import * as v from 'valibot';
import { cardParamMap, privateCardData, type CardParams } from './cards.js';
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
  const content = jsonField(raw.content);
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
 * What a card callback answers: new public card data and/or per-user private data.
 *
 * @example
 * ```ts
 * const r: CardCallbackResponse = cardCallbackResponse({ cardData: { status: 'accepted' } });
 * ```
 */
export interface CardCallbackResponse {
  cardData?: { cardParamMap: Record<string, string> };
  privateData?: Record<string, { cardParamMap: Record<string, string> }>;
  cardUpdateOptions?: { updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean };
}

/**
 * Builds a card callback response: `cardData.cardParamMap` for everyone, and
 * `privateData` (userId → `cardParamMap`) for data only that user sees. `privateData` is
 * the key of DingTalk's card-data documentation, of `PUT /v1.0/card/instances` and of the
 * Python SDK's example (the Go SDK's `userPrivateData` is not in the OpenAPI docs).
 *
 * @example
 * ```ts
 * registerCardCallbackHandler(client, (cb) =>
 *   cardCallbackResponse({ cardData: { votes: 3 }, privateData: { [cb.userId]: { voted: true } } }));
 * ```
 */
export function cardCallbackResponse(o: { cardData?: CardParams; privateData?: Record<string, CardParams>; updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean }): CardCallbackResponse {
  const options = { ...(o.updateCardDataByKey !== undefined ? { updateCardDataByKey: o.updateCardDataByKey } : {}), ...(o.updatePrivateDataByKey !== undefined ? { updatePrivateDataByKey: o.updatePrivateDataByKey } : {}) };
  return {
    ...(o.cardData ? { cardData: cardParamMap(o.cardData) } : {}),
    ...(o.privateData ? { privateData: privateCardData(o.privateData) } : {}),
    ...(Object.keys(options).length ? { cardUpdateOptions: options } : {}),
  };
}
