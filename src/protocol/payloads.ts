import type { TOPIC_CARD, TOPIC_GRAPH_API, TOPIC_ROBOT, TOPIC_ROBOT_DELEGATE } from './topics.js';

// Types only: the `data` of each known CALLBACK topic as DingTalk sends it. The core only parses
// the JSON (nothing here is guaranteed present); the chatbot layer validates these payloads.

/**
 * The `data` of a chatbot message (`TOPIC_ROBOT`, `TOPIC_ROBOT_DELEGATE`) as DingTalk sends it. `registerChatbotHandler` validates it into a `ChatbotMessage`.
 * @example `client.registerCallbackHandler(TOPIC_ROBOT, (msg) => console.log(msg.data.senderNick, msg.data.text?.content));`
 */
export interface RobotMessagePayload {
  msgId?: string;
  /** `text`, `picture`, `richText`, `audio`, `video`, `file`, … */ msgtype?: string;
  /** `'1'` a 1:1 chat, `'2'` a group. */ conversationType?: string;
  conversationId?: string; conversationTitle?: string; senderId?: string; senderNick?: string; senderStaffId?: string; senderCorpId?: string;
  chatbotUserId?: string; robotCode?: string; isAdmin?: boolean; isInAtList?: boolean;
  atUsers?: Array<{ dingtalkId?: string; staffId?: string }>;
  /** Where a reply goes (no token needed), until `sessionWebhookExpiredTime`. */ sessionWebhook?: string;
  sessionWebhookExpiredTime?: number;
  /** Wall-clock ms when the user sent it. */ createAt?: number;
  text?: { content: string };
  /** Every msgtype but `text` carries its fields here (download codes, rich text, …). */ content?: { [key: string]: unknown };
  /** Delegate mode only. */ hostingContext?: { userId?: string; nick?: string };
  [key: string]: unknown;
}
/**
 * The `data` of a card callback (`TOPIC_CARD`): `content` and `extension` are JSON strings (`parseCardCallback` parses them, and finds the button's params).
 * @example `client.registerCallbackHandler(TOPIC_CARD, (msg) => console.log(msg.data.outTrackId, msg.data.userId));`
 */
export interface CardCallbackPayload {
  /** `actionCallback` for a button. */ type?: string;
  outTrackId?: string; corpId?: string; userId?: string; userIdType?: number; spaceType?: string; spaceId?: string;
  /** JSON: `{ "cardPrivateData": { "actionIds": [...], "params": {...} } }`. */ content?: string;
  extension?: string;
  [key: string]: unknown;
}
/**
 * The `data` of a Graph API / AI plugin call (`TOPIC_GRAPH_API`): an HTTP request carried over the stream (`parseGraphRequest` reads it).
 * @example `client.registerCallbackHandler(TOPIC_GRAPH_API, (msg) => console.log(msg.data.requestLine?.uri));`
 */
export interface GraphApiPayload {
  requestLine?: { method: string; uri: string };
  headers?: Record<string, string>;
  body?: unknown;
  [key: string]: unknown;
}
/**
 * The payload type of each known CALLBACK topic; a handler registered for one of them gets its `data` typed. Any other topic's data is `unknown` (give its type
 * as `registerCallbackHandler<MyData>(topic, …)`).
 * @example `type Robot = TopicPayloads[typeof TOPIC_ROBOT]; // RobotMessagePayload`
 */
export interface TopicPayloads {
  [TOPIC_ROBOT]: RobotMessagePayload;
  [TOPIC_ROBOT_DELEGATE]: RobotMessagePayload;
  [TOPIC_CARD]: CardCallbackPayload;
  [TOPIC_GRAPH_API]: GraphApiPayload;
}
