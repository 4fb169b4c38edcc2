// Every options object a user passes is read through one table (src/options.ts): in plain JS a
// misspelt key is a CONFIG error naming it and the option it probably meant, instead of being
// ignored (a mistyped host silently calling production); a duration or count out of range is
// refused; `undefined` takes the default. Casts (`as never`) stand for what plain JS lets through.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../adapters/node.js';
import { RedisDedupStore } from '../adapters/redis.js';
import { AIStreamingCard, ChatbotMessage, ChatbotReplier, DingTalkOpenApi } from '../src/chatbot/index.js';
import { chatbotMessage, installFakeOpenApi } from '../src/testing/index.js';
import { client, gateway } from './helpers/setup.js';

const credentials = { clientId: 'ding-id', clientSecret: 'secret-value' };

/** The CONFIG error that `fn` throws (or its promise rejects with). */
async function configError(fn: () => unknown): Promise<ConfigError> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).code).toBe('CONFIG');
  return err as ConfigError;
}

/** A fetch that must not be called: a misconfigured object sends nothing. */
function noFetch(): typeof fetch & { calls: number } {
  const f = Object.assign(async () => {
    f.calls++;
    return new Response('{}');
  }, { calls: 0 });
  return f;
}

/** An OpenAPI on the fake gateway, and a group message to answer. */
async function openApi() {
  const gw = await gateway();
  const fake = installFakeOpenApi(gw);
  const api = new DingTalkOpenApi(client(gw), { oapiHost: gw.openApiHost });
  const message = ChatbotMessage.from(chatbotMessage({ sessionWebhook: gw.sessionWebhook(), conversationType: '2' }));
  return { fake, api, message };
}

describe('a misspelt option is a CONFIG error naming it and the option it probably meant', () => {
  it('DingTalkOpenApi, from credentials or as overrides on a client', async () => {
    const oapiHots = 'http://127.0.0.1:8788';
    expect((await configError(() => new DingTalkOpenApi({ ...credentials, oapiHots } as never))).message).toBe('Unknown option oapiHots for DingTalkOpenApi (did you mean oapiHost?)');
    expect((await configError(() => new DingTalkOpenApi({ ...credentials, openApiHots: oapiHots } as never))).message).toBe('Unknown option openApiHots for DingTalkOpenApi (did you mean openApiHost?)');
    const gw = await gateway();
    expect((await configError(() => new DingTalkOpenApi(client(gw), { timeoutMS: 5 } as never))).message).toBe('Unknown option timeoutMS for DingTalkOpenApi (did you mean timeoutMs?)');
    // the credentials of a client-built one are the client's: passing them again is a mistake too
    expect((await configError(() => new DingTalkOpenApi(client(gw), { clientSecret: 'x' } as never))).message).toBe('Unknown option clientSecret for DingTalkOpenApi');
  });

  it('AIStreamingCard.create, before any card is created, and AIStreamingCard.finish', async () => {
    const { fake, api, message } = await openApi();
    const err = await configError(() => AIStreamingCard.create(api, message, { minIntervalMS: 10 } as never));
    expect(err.message).toBe('Unknown option minIntervalMS for AIStreamingCard (did you mean minIntervalMs?)');
    expect(fake.calls('/v1.0/card/instances/createAndDeliver', 'POST')).toHaveLength(0);
    const card = await AIStreamingCard.create(api, message, { minIntervalMs: 0 });
    expect((await configError(() => card.finish({ statictext: 'sources' } as never))).message).toBe('Unknown option statictext for AIStreamingCard.finish (did you mean staticText?)');
  });

  it('ChatbotReplier, before anything is posted', async () => {
    const fetch = noFetch();
    const err = await configError(() => new ChatbotReplier({ sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=s' }, { fetch, allowedWebhookHost: ['*.proxy.example'] } as never));
    expect(err.message).toBe('Unknown option allowedWebhookHost for ChatbotReplier (did you mean allowedWebhookHosts?)');
    expect(fetch.calls).toBe(0);
  });

  it('RedisDedupStore, without connecting', async () => {
    const sendCommand = async () => null;
    expect((await configError(() => new RedisDedupStore({ client: { sendCommand }, prefx: 'bot:' } as never))).message).toBe('Unknown option prefx for RedisDedupStore (did you mean prefix?)');
  });

  it('a key like no option is named without a guess', async () => {
    expect((await configError(() => new ChatbotReplier({}, { webhook: 'x' } as never))).message).toBe('Unknown option webhook for ChatbotReplier');
  });
});

describe('values out of range or of the wrong kind are refused', () => {
  it('a negative duration or count', async () => {
    expect((await configError(() => new DingTalkOpenApi({ ...credentials, timeoutMs: -1 }))).message).toBe('DingTalkOpenApi: timeoutMs must be a number >= 0, not -1');
    expect((await configError(() => new RedisDedupStore({ url: 'redis://127.0.0.1:6379', timeoutMs: -500 }))).message).toBe('RedisDedupStore: timeoutMs must be a number >= 0, not -500');
    expect((await configError(() => new ChatbotReplier({}, { maxChars: -1 }))).message).toBe('ChatbotReplier: maxChars must be a number >= 0, not -1');
    const { api, message } = await openApi();
    expect((await configError(() => AIStreamingCard.create(api, message, { watchdogMs: -1 }))).message).toBe('AIStreamingCard: watchdogMs must be a number >= 0, not -1');
  });

  it('a number given as a string, a string list given as a string', async () => {
    expect((await configError(() => new DingTalkOpenApi({ ...credentials, cardQps: '20' } as never))).message).toBe('DingTalkOpenApi: cardQps must be a number >= 0, not a string');
    expect((await configError(() => new ChatbotReplier({}, { allowedWebhookHosts: '*.proxy.example' } as never))).message).toBe('ChatbotReplier: allowedWebhookHosts must be an object, not a string');
  });

  it('a duration beyond the timer maximum is the maximum (no limit), not a timer that fires at once', () => {
    const api = new DingTalkOpenApi({ ...credentials, timeoutMs: Infinity });
    expect((api as unknown as { timeoutMs: number }).timeoutMs).toBe(2 ** 31 - 1);
  });
});

describe('undefined takes the default', () => {
  it('DingTalkOpenApi: hosts and timeout', () => {
    const api = new DingTalkOpenApi({ ...credentials, openApiHost: undefined, oapiHost: undefined, timeoutMs: undefined, cardQps: undefined });
    expect(api.openApiHost).toBe('https://api.dingtalk.com');
    expect(api.oapiHost).toBe('https://oapi.dingtalk.com');
    expect((api as unknown as { timeoutMs: number }).timeoutMs).toBe(15_000);
  });

  it('DingTalkOpenApi on a client: the client\'s host, not the table\'s', async () => {
    const gw = await gateway();
    const c = client(gw);
    expect(new DingTalkOpenApi(c, { openApiHost: undefined }).openApiHost).toBe(c.settings.openApiHost.replace(/\/+$/, ''));
  });

  it('ChatbotReplier: long text splits at 3,500 characters, DingTalk hosts only', async () => {
    const posted: string[] = [];
    const fetch = async (url: string | URL | Request, init?: RequestInit) => (posted.push(String(init?.body)), new Response('{"errcode":0}'));
    const reply = new ChatbotReplier({ sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=s' }, { fetch: fetch as typeof globalThis.fetch, maxChars: undefined, allowedWebhookHosts: undefined });
    await reply.text('x'.repeat(3501));
    expect(posted).toHaveLength(2);
  });

  it('RedisDedupStore: keys under dingtalk:dedup:', async () => {
    const sent: string[][] = [];
    const store = new RedisDedupStore({ client: { sendCommand: async (args) => (sent.push(args), null) }, prefix: undefined, timeoutMs: undefined, logger: undefined });
    expect(await store.claim('k', 1000)).toEqual({ state: 'claimed' });
    expect(sent[0]).toContain('dingtalk:dedup:k');
  });

  it('AIStreamingCard: the default template and content key', async () => {
    const { fake, api, message } = await openApi();
    const card = await AIStreamingCard.create(api, message, { templateId: undefined, contentKey: undefined, minIntervalMs: 0, textFallback: undefined });
    await card.append('hello');
    await card.finish();
    const created = fake.calls('/v1.0/card/instances/createAndDeliver', 'POST')[0]!.body as Record<string, unknown>;
    expect(created.cardTemplateId).toBe('382e4302-551d-4880-bf29-a30acfab2e71.schema');
    const finished = fake.calls('/v1.0/card/instances', 'PUT').at(-1)!.body as { cardData: { cardParamMap: Record<string, string> } };
    expect(finished.cardData.cardParamMap).toMatchObject({ flowStatus: '3', msgContent: 'hello' });
  });
});

describe('every documented option is accepted', () => {
  it('AIStreamingCard takes the delivery options too', async () => {
    const { api, message } = await openApi();
    const card = await AIStreamingCard.create(api, message, {
      robotCode: 'ding-id', atSender: true, atAll: false, atUserIds: {}, recipients: ['staff1'], templateId: 'tpl.schema', title: 'T', logo: '@lALP', cardData: {}, contentKey: 'msgContent',
      minIntervalMs: 0, watchdogMs: 0, textFallback: true, signal: new AbortController().signal, outTrackId: 'track-1', supportForward: false,
    });
    expect(card.outTrackId).toBe('track-1');
    await card.finish({ text: 'done', buttons: [], staticText: '' });
  });
});
