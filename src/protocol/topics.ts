/**
 * Chatbot messages (`CALLBACK`): someone wrote to the bot or @-mentioned it.
 * @example `client.registerCallbackHandler(TOPIC_ROBOT, async (msg) => { console.log(msg.data); });`
 */
export const TOPIC_ROBOT = '/v1.0/im/bot/messages/get';
/** Chatbot messages in "delegate" (hosting) mode; the payload carries `hostingContext`. @example `client.registerCallbackHandler(TOPIC_ROBOT_DELEGATE, async (msg) => null);` */
export const TOPIC_ROBOT_DELEGATE = '/v1.0/im/bot/messages/delegate';
/**
 * Interactive card callbacks (a user pressed a button on a card).
 * @example `client.registerCallbackHandler(TOPIC_CARD, async (msg) => ({ cardData: { cardParamMap: { done: 'true' } } }));`
 */
export const TOPIC_CARD = '/v1.0/card/instances/callback';
/** Card dynamic data source callbacks. @example `client.registerCallbackHandler(TOPIC_CARD_DYNAMIC_DATA, async () => ({}));` */
export const TOPIC_CARD_DYNAMIC_DATA = '/v1.0/card/dynamicData/get';
/**
 * AI assistant Graph API / AI plugin actions.
 * @example `client.registerCallbackHandler(TOPIC_GRAPH_API, async (msg) => ({ statusLine: { code: 200, reasonPhrase: 'OK' }, headers: {}, body: '{}' }));`
 */
export const TOPIC_GRAPH_API = '/v1.0/graph/api/invoke';
