import { opt, type OptionsOf } from '../options.js';
import type { ChatbotMessage } from './message.js';

/**
 * Where a card (or a legacy interactive card) goes: the conversation a chatbot message
 * came from (its group, or the 1:1 chat with its sender), a group by `openConversationId`,
 * or a user's 1:1 chat with the bot by `userId` (staffId).
 *
 * @example
 * ```ts
 * const to: CardTarget = message;               // answer where the message came from
 * const group: CardTarget = { openConversationId: 'cidAsXSBLnA==' };
 * const user: CardTarget = { userId: 'manager01' };
 * ```
 */
export type CardTarget = ChatbotMessage | { openConversationId: string } | { userId: string };

/**
 * Card data values: `cardParamMap` carries strings only, so numbers and booleans become
 * their text and objects their JSON (as `sys_full_json_obj` expects). Any JSON value goes,
 * including one read from a callback's `params` (typed `unknown`); `undefined` leaves the
 * key out.
 *
 * @example
 * ```ts
 * const params: CardParams = { title: 'Build', progress: 40, done: false, sys_full_json_obj: { order: ['msgTitle'] } };
 * ```
 */
export type CardParams = Record<string, unknown>;

/**
 * `{ cardParamMap }` with every value as a string.
 *
 * @example
 * ```ts
 * cardParamMap({ count: 2, ok: true }); // { cardParamMap: { count: '2', ok: 'true' } }
 * ```
 */
export function cardParamMap(params: CardParams = {}): { cardParamMap: Record<string, string> } {
  const map: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) map[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return { cardParamMap: map };
}

/**
 * Private card data of several users, keyed by userId: the `privateData` of
 * `PUT /v1.0/card/instances` and card creation. (A card callback answers with
 * `userPrivateData` instead: the clicking user's params, not keyed.)
 *
 * @example
 * ```ts
 * const data: PrivateDataByUser = { manager01: { canApprove: true } };
 * ```
 */
export type PrivateDataByUser = Record<string, CardParams>;

/** Per-user private card data: userId → `{ cardParamMap }`. */
export function privateCardData(data: PrivateDataByUser): Record<string, { cardParamMap: Record<string, string> }> {
  const out: Record<string, { cardParamMap: Record<string, string> }> = {};
  for (const [userId, params] of Object.entries(data)) out[userId] = cardParamMap(params);
  return out;
}

/** Resolves a target to a group conversation id or a user id. */
export function resolveTarget(to: CardTarget): { group?: string; user?: string; message?: ChatbotMessage } {
  if ('openConversationId' in to) return { group: to.openConversationId };
  if ('userId' in to) return { user: to.userId };
  const message = to as ChatbotMessage;
  return message.conversationType === '2' ? { group: message.conversationId, message } : { user: message.senderStaffId ?? '', message };
}

/**
 * The card `openSpaceId` of a target: `dtv1.card//IM_GROUP.<openConversationId>` for a
 * group, `dtv1.card//IM_ROBOT.<userId>` for a 1:1 chat with the bot.
 *
 * @example
 * ```ts
 * openSpaceId(message); // 'dtv1.card//IM_GROUP.cidAsXSBLnA==' for a group message
 * ```
 */
export function openSpaceId(to: CardTarget): string {
  const { group, user } = resolveTarget(to);
  return group !== undefined ? `dtv1.card//IM_GROUP.${group}` : `dtv1.card//IM_ROBOT.${user}`;
}

/**
 * How a card instance is delivered (the deliver part of deliver/createAndDeliver).
 *
 * @example
 * ```ts
 * const d: CardDelivery = { to: message, atSender: true };
 * ```
 */
export interface CardDelivery extends OptionsOf<typeof DELIVERY> {
  to: CardTarget;
}

/** The options of a delivery besides `to` (the kind of each, see `readOptions`); `AIStreamingCard.create` takes them too. */
export const DELIVERY = {
  /** Default: the app's clientId (internal apps' robotCode). */
  robotCode: opt<string>('string'),
  /** Groups: @-mention the message's sender. */
  atSender: opt<boolean>('boolean'),
  /** Groups: @-mention everyone. */
  atAll: opt<boolean>('boolean'),
  /** Groups: staffId → nick to @-mention. */
  atUserIds: opt<Record<string, string>>('object'),
  /** Groups: only these staffIds see the card. */
  recipients: opt<string[]>('object'),
};

/** The deliver fields of a body: openSpaceId, userIdType, and the group or 1:1 deliver model. */
export function deliverFields(d: CardDelivery, robotCode: string): Record<string, unknown> {
  const { group, message } = resolveTarget(d.to);
  const hosting = message?.hostingContext?.userId ? { extension: { hostingRepliedContext: JSON.stringify({ userId: message.hostingContext.userId }) } } : {};
  if (group === undefined) return { openSpaceId: openSpaceId(d.to), userIdType: 1, imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', ...hosting } };
  const at = d.atAll ? { '@ALL': '@ALL' } : { ...(d.atSender && message?.senderStaffId ? { [message.senderStaffId]: message.senderNick ?? '' } : {}), ...d.atUserIds };
  return {
    openSpaceId: openSpaceId(d.to),
    userIdType: 1,
    imGroupOpenDeliverModel: { robotCode: d.robotCode ?? robotCode, ...(Object.keys(at).length ? { atUserIds: at } : {}), ...(d.recipients ? { recipients: d.recipients } : {}), ...hosting },
  };
}
