import type { DingTalkStreamClient } from '../client.js';
import { HANDLER_OPTIONS, type HandlerOptions, type StreamMessage } from '../dispatch/message.js';
import { opt, readOptions } from '../options.js';
import { TOPIC_CARD, TOPIC_GRAPH_API, TOPIC_ROBOT } from '../protocol/topics.js';
import { parseCardCallback, type CardCallback, type CardCallbackResponse } from './card-callback.js';
import { graphResponse, parseGraphRequest, type GraphRequest, type GraphResponse } from './graph.js';
import { ChatbotMessage } from './message.js';
import { openApiOf, type DingTalkOpenApi } from './openapi.js';
import { ChatbotReplier, isLoopback, type ReplierOptions } from './webhook.js';

/**
 * Handles one chatbot message: the typed message, a reply helper bound to its session
 * webhook, and the raw stream message (headers, messageId).
 *
 * @example
 * ```ts
 * const onMessage: ChatbotHandler = async (message, reply) => { await reply.text(`you said: ${message.text}`); };
 * ```
 */
export type ChatbotHandler = (message: ChatbotMessage, reply: ChatbotReplier, stream: StreamMessage) => unknown;

/**
 * Options of {@link registerChatbotHandler} and {@link chatbotMessages}: the topic
 * (default `TOPIC_ROBOT`; `TOPIC_ROBOT_DELEGATE` for delegate mode), the ack policy (default
 * on receipt) and timeout, webhook hosts to trust beyond DingTalk's, the reply's split length
 * and OpenAPI (default: the first `DingTalkOpenApi` built on the client, else a new one), and
 * what to do when the handler fails.
 *
 * @example
 * ```ts
 * const options: ChatbotHandlerOptions = {
 *   topic: TOPIC_ROBOT_DELEGATE,
 *   onError: (error, message, reply) => reply.text('Sorry, something went wrong. Please try again.'),
 * };
 * ```
 */
export interface ChatbotHandlerOptions extends Omit<HandlerOptions, 'sequential' | 'onBusy'>, Omit<ReplierOptions, 'fetch'> {
  topic?: string;
  /**
   * `'conversation'`: the messages of one chat are handled one at a time, in arrival order,
   * while other chats run side by side (an LLM never answers two quick messages of one user
   * at once or out of order). Up to `maxWaiting` (10) may wait; beyond that `onBusy` is
   * called instead of the handler. Per process: with several processes see docs/scaling.md.
   */
  sequential?: 'conversation';
  /**
   * Told about a message refused because `maxWaiting` messages of its chat already wait; it was
   * acked on receipt and will not come again, so tell the user, e.g.
   * `(message, reply) => reply.text('Still working on your previous message…')`.
   */
  onBusy?: (message: ChatbotMessage, reply: ChatbotReplier) => unknown;
  /**
   * Called when the handler throws, with the reply helper, so the bot can tell the user. The
   * message was acked on receipt, so DingTalk will not send it again; the error is still
   * logged (with its stack) and emitted as the client's `error` event. A throw from
   * `onError` itself is logged and otherwise ignored.
   */
  onError?: (error: unknown, message: ChatbotMessage, reply: ChatbotReplier) => unknown;
}

/**
 * A chatbot message with its reply helper, as yielded by {@link chatbotMessages}.
 *
 * @example
 * ```ts
 * for await (const { message, reply }: ChatbotContext of chatbotMessages(client)) await reply.text(message.text);
 * ```
 */
export interface ChatbotContext {
  message: ChatbotMessage;
  reply: ChatbotReplier;
  stream: StreamMessage;
}

/** registerChatbotHandler's options, one row each (documented on {@link ChatbotHandlerOptions}). */
const CHATBOT_OPTIONS = {
  ...HANDLER_OPTIONS,
  topic: opt<string>('string'),
  sequential: opt<'conversation'>(['conversation']),
  onBusy: opt<NonNullable<ChatbotHandlerOptions['onBusy']>>('function'),
  onError: opt<NonNullable<ChatbotHandlerOptions['onError']>>('function'),
  allowedWebhookHosts: opt<string[]>('object'),
  maxChars: opt<number>('any'),
  api: opt<DingTalkOpenApi>('object'),
};
const { sequential: _s, onBusy: _b, onError: _e, ...MESSAGES_OPTIONS } = CHATBOT_OPTIONS;

type Client = Pick<DingTalkStreamClient, 'registerCallbackHandler' | 'messages' | 'logger' | 'platform' | 'settings'>;

/** Builds each message's context; what does not change per message (the loopback check parses a URL) is worked out once. */
function contextOf(client: Client, options: ChatbotHandlerOptions): (stream: StreamMessage) => ChatbotContext | undefined {
  const allowLoopback = isLoopback(client.settings.openApiHost);
  // one replier options object while the OpenAPI stays the same: the replier reads it once
  let replier: ReplierOptions | undefined;
  return (stream) => {
    try {
      const message = ChatbotMessage.from(stream.data);
      // the OpenAPI carries replies past the webhook's 90 minutes: the one given, else the client's
      const api = options.api ?? openApiOf(client);
      if (!replier || replier.api !== api) replier = { fetch: client.platform.fetch, allowedWebhookHosts: options.allowedWebhookHosts, maxChars: options.maxChars, api, allowLoopback };
      return { message, reply: new ChatbotReplier(message, replier), stream };
    } catch (err) {
      client.logger.warn(`ignored chatbot message ${stream.messageId}: ${(err as Error).message}`);
      return undefined;
    }
  };
}

/**
 * Registers a chatbot handler, Python's `ChatbotHandler` in one call: the payload is
 * validated into a {@link ChatbotMessage} and the handler gets it with a
 * {@link ChatbotReplier}. The message is acked on receipt, before the handler runs: the
 * gateway redelivers anything not acked within ~2 s, and an LLM answer takes longer
 * (protocol.md §10.1). Redeliveries are recognised by `msgId` and never reach the handler
 * twice. A throw is logged with its stack, emitted as an `error` event and handed to
 * `onError`. A payload that fails validation is logged as a warning and skipped.
 *
 * @example
 * ```ts
 * registerChatbotHandler(client, async (message, reply) => {
 *   await reply.text(`Q: ${message.text}\nA: …`);
 * });
 * await client.start();
 * ```
 */
export function registerChatbotHandler<C extends Client>(client: C, handler: ChatbotHandler, options: ChatbotHandlerOptions = {}): C {
  const { topic, sequential, onBusy, onError, allowedWebhookHosts, maxChars, api, ...core } = readOptions('registerChatbotHandler', CHATBOT_OPTIONS, options);
  const contextFor = contextOf(client, { allowedWebhookHosts, maxChars, api });
  const conversation = (stream: StreamMessage) => (stream.data as { conversationId?: unknown } | null)?.conversationId as string | undefined;
  const busy = (stream: StreamMessage) => {
    const ctx = contextFor(stream);
    return ctx && onBusy!(ctx.message, ctx.reply);
  };
  client.registerCallbackHandler(topic ?? TOPIC_ROBOT, async (stream) => {
    const ctx = contextFor(stream);
    if (!ctx) return null;
    try {
      await handler(ctx.message, ctx.reply, stream);
    } catch (err) {
      if (onError) {
        try {
          await onError(err, ctx.message, ctx.reply);
        } catch (inner) {
          client.logger.error(`onError failed for ${stream.messageId}`, inner);
        }
      }
      throw err; // the router logs it with its stack and emits the `error` event
    }
    return null; // the gateway ignores a chatbot ack's response
  }, { ...core, sequential: sequential && conversation, onBusy: onBusy && busy });
  return client;
}

/**
 * Chatbot messages as an async iterator, for scripts. Each message is acked on receipt and
 * redeliveries are dropped by `msgId`, as with {@link registerChatbotHandler}; messages
 * still buffered when the loop ends were acked but never handed out, and each is logged as
 * an error. Invalid payloads are logged and skipped. (`ack: 'after'` restores
 * `client.messages()`'s ack-when-the-loop-asks-for-the-next-one, with its redelivery risk.)
 *
 * @example
 * ```ts
 * for await (const { message, reply } of chatbotMessages(client)) {
 *   await reply.text(`echo: ${message.text}`);
 * }
 * ```
 */
export function chatbotMessages(client: Client, options: Omit<ChatbotHandlerOptions, 'sequential' | 'onBusy' | 'onError'> = {}): AsyncIterableIterator<ChatbotContext> {
  const { topic, allowedWebhookHosts, maxChars, api, ...core } = readOptions('chatbotMessages', MESSAGES_OPTIONS, options);
  const inner = client.messages(topic ?? TOPIC_ROBOT, core);
  const contextFor = contextOf(client, { allowedWebhookHosts, maxChars, api });
  const iterator: AsyncIterableIterator<ChatbotContext> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      for (;;) {
        const r = await inner.next();
        if (r.done) return { value: undefined, done: true };
        const ctx = contextFor(r.value);
        if (ctx) return { value: ctx, done: false };
      }
    },
    return: async () => {
      await inner.return?.();
      return { value: undefined, done: true };
    },
  };
  return iterator;
}

/**
 * Handles card button callbacks (`TOPIC_CARD`): the handler gets a parsed
 * {@link CardCallback} and returns a {@link CardCallbackResponse} (build it with
 * `cardCallbackResponse`), or nothing to leave the card as it is. An invalid payload is
 * logged and answered with no update.
 *
 * @example
 * ```ts
 * registerCardCallbackHandler(client, async (cb) => cardCallbackResponse({ cardData: { status: cb.params.action } }));
 * ```
 */
export function registerCardCallbackHandler<C extends Client>(client: C, handler: (callback: CardCallback, stream: StreamMessage) => CardCallbackResponse | void | null | Promise<CardCallbackResponse | void | null>, options: HandlerOptions & { topic?: string } = {}): C {
  const { topic, ...core } = readOptions('registerCardCallbackHandler', { ...HANDLER_OPTIONS, topic: opt<string>('string') }, options);
  client.registerCallbackHandler(topic ?? TOPIC_CARD, async (stream) => {
    let callback: CardCallback;
    try {
      callback = parseCardCallback(stream.data);
    } catch (err) {
      client.logger.warn(`ignored card callback ${stream.messageId}: ${(err as Error).message}`);
      return null;
    }
    return (await handler(callback, stream)) ?? null;
  }, core);
  return client;
}

/**
 * Handles Graph API / AI plugin calls (`TOPIC_GRAPH_API`): the handler gets a parsed
 * {@link GraphRequest} and returns a {@link GraphResponse} (build it with `graphResponse`)
 * or any JSON value, which is sent as a 200 body. An invalid request is answered 400; a
 * throw, 500.
 *
 * @example
 * ```ts
 * registerGraphApiHandler(client, async (req) => graphResponse({ body: { weather: 'sunny', city: req.json().city } }));
 * ```
 */
export function registerGraphApiHandler<C extends Client>(client: C, handler: (request: GraphRequest, stream: StreamMessage) => unknown, options: HandlerOptions = {}): C {
  const core = readOptions('registerGraphApiHandler', HANDLER_OPTIONS, options);
  client.registerCallbackHandler(TOPIC_GRAPH_API, async (stream): Promise<GraphResponse> => {
    let request: GraphRequest;
    try {
      request = parseGraphRequest(stream.data);
    } catch (err) {
      client.logger.warn(`ignored graph API request ${stream.messageId}: ${(err as Error).message}`);
      return graphResponse({ status: 400, body: { error: 'invalid graph API request' } });
    }
    try {
      const result = await handler(request, stream);
      return isGraphResponse(result) ? result : graphResponse({ body: result });
    } catch (err) {
      client.logger.error(`graph API handler failed for ${request.requestLine.method} ${request.path}`, err);
      return graphResponse({ status: 500, body: { error: 'handler failed' } });
    }
  }, core);
  return client;
}

function isGraphResponse(value: unknown): value is GraphResponse {
  return typeof value === 'object' && value !== null && 'statusLine' in value;
}
