/**
 * dingtalk-stream-universal: the DingTalk Stream Mode client on WHATWG `WebSocket` and `fetch`. This entry uses the runtime's globals (Deno, Bun, workerd, Node
 * 22+); on Node the package's `node` export condition picks an adapter that falls back to `ws`.
 * @example `import { DingTalkStreamClient, TOPIC_ROBOT } from 'dingtalk-stream-universal';`
 * @module
 */
export { DingTalkStreamClient, Credential } from './client.js';
export type { ClientOptions, ClientListenerOptions, ClientSettings, ClientStatus, ClientState, ClientEventName, ClientEventMap, ClientEventListener } from './client.js';
export type { StreamMessage, CallbackHandler, EventHandler, EventResult, HandlerOptions, AckMode } from './dispatch/message.js';
export type { ClientCounters } from './dispatch/router.js';
export type { EventStatus } from './protocol/acks.js';
export { TOPIC_ROBOT, TOPIC_ROBOT_DELEGATE, TOPIC_CARD, TOPIC_CARD_DYNAMIC_DATA, TOPIC_GRAPH_API } from './protocol/topics.js';
export type { TopicPayloads, RobotMessagePayload, CardCallbackPayload, GraphApiPayload } from './protocol/payloads.js';
export type { DedupStore, Claim } from './dispatch/store.js';
export { DingTalkStreamError, ConfigError, GatewayAuthError, GatewayError, InsecureTransportError, RedirectRefusedError, FrameError, HandlerError, ClientStoppedError } from './errors.js';
export type { ErrorCode } from './errors.js';
export type { Logger, LogLevel } from './logger.js';
export type { Platform, SocketLike } from './platform.js';
export { globalPlatform } from './platform.js';
export type { Subscription } from './connection/gateway.js';
export { VERSION } from './version.js';
