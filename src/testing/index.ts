/**
 * Testing kit: a fake DingTalk gateway (and OpenAPI) on 127.0.0.1 that speaks the real
 * Stream protocol, for your bot's tests and for trying a bot offline. Node only.
 *
 * @example
 * ```ts
 * import { FakeDingTalkGateway } from 'dingtalk-stream-universal/testing';
 * const gateway = await new FakeDingTalkGateway().listen();
 * ```
 * @module
 */
export { FakeDingTalkGateway } from './gateway.js';
export type { FakeGatewayOptions, FakeConnection, FakeSocket, RecordedAck, RecordedRequest, RouteHandler, RouteAnswer, OpenFault } from './gateway.js';
export type { Delivery, PushRecord, PushedFrame, RedeliveryModel } from './deliveries.js';
export { chatbotMessage, eventHeaders, newMessageId, MEDIA_SAMPLES, QUOTED_SAMPLES, SAMPLE_CHATBOT_USER_ID } from './samples.js';
export type { ChatbotSampleOptions, ChatbotSampleQuote } from './samples.js';
export { installFakeOpenApi, type FakeOpenApi, type FakeOpenApiOptions, type OpenApiFault, type FakeFile, type FakeCardCall, type FakeRobotMessage } from './openapi.js';
export type { FakeLimits, FakeLimitViolation } from './openapi-limits.js';
export { DingTalkSimulator, SimulatorError, SIMULATOR_APPROVAL_TEMPLATE, SIMULATOR_CREDENTIALS, SIMULATOR_PORT } from './simulator.js';
export type { SimMessage, SimConversationId, SimCardTemplate, SimFile, SimSendOptions, SimulatorOptions } from './simulator.js';
export type { WireTap, RawRouteHandler } from './gateway.js';
