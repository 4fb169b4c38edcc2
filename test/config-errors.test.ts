// Plain-JS mistakes fail at once, with a CONFIG error that says what to fix, instead of
// passing silently (a typo'd option dialing the real host, a second handler silently
// replacing the first).
import { describe, expect, it } from 'vitest';
import { ConfigError, DingTalkStreamClient, TOPIC_CARD, TOPIC_ROBOT, type ClientOptions } from '../adapters/node.js';
import { DingTalkStreamClient as CoreClient } from '../src/client.js';
import { cardCallbackResponse, registerCardCallbackHandler, registerChatbotHandler } from '../src/chatbot/index.js';
import { client, gateway } from './helpers/setup.js';

const base = { clientId: 'ding-id', clientSecret: 'secret-value', logger: null };

/** The ConfigError that `fn` throws. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG');
    return err as ConfigError;
  }
  throw new Error('no error thrown');
}

describe('unknown options', () => {
  it('a typo is a CONFIG error naming the key and the option it probably meant', () => {
    const options = { ...base, openApiHots: 'http://127.0.0.1:8788' } as ClientOptions;
    expect(configError(() => new DingTalkStreamClient(options)).message).toBe('Unknown option openApiHots for DingTalkStreamClient (did you mean openApiHost?)');
    expect(configError(() => new DingTalkStreamClient({ ...base, clientID: 'x' } as ClientOptions)).message).toBe('Unknown option clientID for DingTalkStreamClient (did you mean clientId?)');
    expect(configError(() => new DingTalkStreamClient({ ...base, handlerTimeout: 5 } as ClientOptions)).message).toBe('Unknown option handlerTimeout for DingTalkStreamClient (did you mean handlerTimeoutMs?)');
  });

  it('a key like no option is named without a guess', () => {
    expect(configError(() => new DingTalkStreamClient({ ...base, webhook: 'x' } as ClientOptions)).message).toBe('Unknown option webhook for DingTalkStreamClient');
  });

  it('every documented option is accepted, and Node\'s proxy only by the Node adapter', () => {
    const all: Required<Omit<ClientOptions, 'platform' | 'dedupStore' | 'signal' | 'logger'>> & { proxy: false } = {
      ...base, openApiHost: 'https://api.dingtalk.io', logLevel: 'warn', ua: 'bot/1', openTimeoutMs: 1, handshakeTimeoutMs: 1, idleTimeoutMs: 1, drainTimeoutMs: 1, clockJumpMs: 1,
      connectionTtlMs: 0, connections: 1, backoffBaseMs: 1, backoffCapMs: 1, stableAfterMs: 1, maxConcurrency: 1, maxQueue: 1, maxQueueSize: 1, maxFrameSize: 1, handlerTimeoutMs: 1, dedupTtlMs: 1, dedupMaxEntries: 1, staleAfterMs: 0, proxy: false,
    };
    expect(() => new DingTalkStreamClient({ ...all, signal: new AbortController().signal, logger: null })).not.toThrow();
    const platform = { WebSocket: class {} as never, fetch };
    expect(configError(() => new CoreClient({ ...base, platform, proxy: false } as ClientOptions)).message).toBe('Unknown option proxy for DingTalkStreamClient');
  });

  it('missing credentials are a CONFIG error too', () => {
    const platform = { WebSocket: class {} as never, fetch };
    expect(configError(() => new CoreClient({ clientId: 'ding-id', platform } as unknown as ClientOptions)).message).toContain('clientId and clientSecret');
  });
});

describe('registrations', () => {
  it('an empty or missing topic, or a handler that is not a function, is a CONFIG error', () => {
    const c = new DingTalkStreamClient(base);
    expect(configError(() => c.registerCallbackHandler('', () => null)).message).toContain('Invalid topic');
    expect(configError(() => c.registerCallbackHandler(undefined as unknown as string, () => null)).message).toContain('Invalid topic');
    expect(configError(() => c.registerCallbackHandler(TOPIC_ROBOT, null as never)).message).toBe(`The handler for ${TOPIC_ROBOT} must be a function`);
    expect(configError(() => c.registerAllEventHandler('SUCCESS' as never)).message).toBe('The handler for events must be a function');
    expect(c.subscriptions()).toEqual([]);
  });

  it('a second handler for a topic is a CONFIG error that names the topic and says how to replace it', () => {
    const c = new DingTalkStreamClient(base);
    registerCardCallbackHandler(c, () => cardCallbackResponse({ cardData: { status: 'first' } }));
    expect(configError(() => c.registerCallbackHandler(TOPIC_CARD, () => null)).message).toBe(`${TOPIC_CARD} already has a handler: pass { replace: true } to replace it`);
    c.registerAllEventHandler(() => 'SUCCESS');
    expect(configError(() => c.registerAllEventHandler(() => 'LATER')).message).toContain('events already has a handler');
    registerChatbotHandler(c, () => {});
    expect(() => registerChatbotHandler(c, () => {})).toThrow(ConfigError);
  });

  it('{ replace: true } replaces the handler: the second one answers', async () => {
    const gw = await gateway();
    const c = client(gw);
    c.registerCallbackHandler(TOPIC_CARD, () => ({ from: 'first' }));
    c.registerCallbackHandler(TOPIC_CARD, () => ({ from: 'second' }), { replace: true });
    registerChatbotHandler(c, () => {});
    registerChatbotHandler(c, () => {}, { replace: true });
    await c.start();
    const ack = await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { outTrackId: 'card-1' }));
    expect(JSON.parse(ack.data)).toEqual({ response: { from: 'second' } });
  });

  it('messages() on a topic that has a handler fails at the first next(); once a loop ends its topic is free again', async () => {
    const gw = await gateway();
    const c = client(gw);
    c.registerCallbackHandler(TOPIC_CARD, () => null);
    await expect(c.messages(TOPIC_CARD).next()).rejects.toThrow(ConfigError);
    await c.start();
    const pushed = gw.pushCallback('/v1.0/custom/topic', { n: 1 });
    for await (const message of c.messages('/v1.0/custom/topic')) {
      expect(message.messageId).toBe(pushed);
      break;
    }
    expect(() => c.registerCallbackHandler('/v1.0/custom/topic', () => null)).not.toThrow();
  });
});
