/**
 * The chatbot toolbox (`dingtalk-stream-universal/chatbot`), everything the Python SDK
 * offers on top of the stream: typed chatbot messages and webhook replies, the handler
 * layer, the OpenAPI (access token, proactive robot messages, cards, AI streaming cards,
 * media), card callbacks and the Graph API. Only `fetch`, `FormData` and `Blob`: it runs
 * in every runtime.
 *
 * @example
 * ```ts
 * import { DingTalkStreamClient } from 'dingtalk-stream-universal';
 * import { registerChatbotHandler } from 'dingtalk-stream-universal/chatbot';
 * const client = new DingTalkStreamClient({ clientId, clientSecret });
 * registerChatbotHandler(client, (message, reply) => reply.text(`you said: ${message.text}`));
 * await client.start();
 * ```
 * @module
 */
export { ChatbotMessage } from './message.js';
export type { ChatbotMessageData, ChatbotContent, AtUser, ChatbotMsgType, QuotedMessage } from './message.js';
export { ChatbotReplier, assertWebhookUrl } from './webhook.js';
export type { Mention, ActionCard, ReplierOptions, ReplyTarget } from './webhook.js';
export { registerChatbotHandler, chatbotMessages, registerCardCallbackHandler, registerGraphApiHandler } from './handlers.js';
export type { ChatbotHandler, ChatbotHandlerOptions, ChatbotContext } from './handlers.js';
export { DingTalkOpenApi } from './openapi.js';
export type { OpenApiOptions, CardCreate, InteractiveCard, RequestOptions, SentMessage, ReadStatus, SendFileOptions } from './openapi.js';
export { MEDIA_LIMITS, mediaTypeOf } from './media.js';
export type { MediaType } from './media.js';
export { robotMessage } from './robot-messages.js';
export type { RobotMessage } from './robot-messages.js';
export { cardParamMap, openSpaceId } from './cards.js';
export type { CardTarget, CardParams, CardDelivery, PrivateDataByUser } from './cards.js';
export { parseCardCallback, cardCallbackResponse } from './card-callback.js';
export type { CardCallback, CardCallbackResponse, CardCallbackAnswer } from './card-callback.js';
export { AIStreamingCard, AI_CARD_TEMPLATE_ID, AI_CARD_MAX_CHARS, AICardStatus } from './ai-card.js';
export type { AIStreamingCardOptions, AICardButton, AICardFinish } from './ai-card.js';
export { parseGraphRequest, graphResponse } from './graph.js';
export type { GraphRequest, GraphResponse } from './graph.js';
export { OpenApiError, WebhookError, PayloadError, MediaError } from './errors.js';
export type { OpenApiErrorCode } from './errors.js';
