import { describe, expect, it } from 'vitest';
import { assertWebhookUrl, ChatbotMessage, ChatbotReplier, DingTalkOpenApi, registerChatbotHandler, WebhookError } from '../../src/chatbot/index.js';
import { chatbotMessage, installFakeOpenApi } from '../../src/testing/index.js';
import { client, gateway } from '../helpers/setup.js';

async function setup(extra: Record<string, unknown> = {}) {
  const gw = await gateway();
  const message = ChatbotMessage.from(chatbotMessage({ sessionWebhook: gw.sessionWebhook('s1'), senderStaffId: 'staff1', extra }));
  return { gw, message, reply: new ChatbotReplier(message, { allowLoopback: true }) }; // the fake's webhook is plain http on loopback
}

describe('replies through the session webhook', () => {
  it('posts text without a mention unless asked', async () => {
    const { gw, reply } = await setup();
    await reply.text('Q: 1+1\nA: 2');
    const call = gw.webhookCalls[0]!;
    expect(call.method).toBe('POST');
    expect(call.query.session).toBe('s1');
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.body).toEqual({ msgtype: 'text', text: { content: 'Q: 1+1\nA: 2' } });
  });

  it('mentions the sender, listed users and everyone', async () => {
    const { gw, reply } = await setup();
    await reply.text('hi', { sender: true, userIds: ['u2'] });
    await reply.markdown('Title', '**bold**', { all: true });
    expect(gw.webhookCalls[0]!.body).toEqual({ msgtype: 'text', text: { content: 'hi' }, at: { atUserIds: ['staff1', 'u2'], isAtAll: false } });
    expect(gw.webhookCalls[1]!.body).toEqual({ msgtype: 'markdown', markdown: { title: 'Title', text: '**bold**' }, at: { atUserIds: [], isAtAll: true } });
  });

  it('posts single-button and multi-button actionCards', async () => {
    const { gw, reply } = await setup();
    await reply.actionCard({ title: 'T', text: 'x', singleTitle: 'Open', singleURL: 'https://example.com/a' });
    await reply.actionCard({ title: 'T', text: 'y', btnOrientation: '1', buttons: [{ title: 'Yes', actionURL: 'https://example.com/y' }, { title: 'No', actionURL: 'https://example.com/n' }] });
    expect(gw.webhookCalls[0]!.body).toEqual({ msgtype: 'actionCard', actionCard: { title: 'T', text: 'x', btnOrientation: '0', singleTitle: 'Open', singleURL: 'https://example.com/a' } });
    expect(gw.webhookCalls[1]!.body).toEqual({
      msgtype: 'actionCard',
      actionCard: { title: 'T', text: 'y', btnOrientation: '1', btns: [{ title: 'Yes', actionURL: 'https://example.com/y' }, { title: 'No', actionURL: 'https://example.com/n' }] },
    });
  });

  it('posts an AI markdown card for graph API replies', async () => {
    const { gw, reply } = await setup();
    await reply.aiMarkdown('**sunny**');
    expect(gw.webhookCalls[0]!.body).toEqual({ contentType: 'ai_card', content: { templateId: 'd28e2ac5-fb34-4d93-94bc-cf5c580c2d4f.schema', cardData: { content: '**sunny**' } } });
  });

  it('refuses an expired webhook with WEBHOOK_EXPIRED and sends nothing', async () => {
    const { gw, reply } = await setup({ sessionWebhookExpiredTime: Date.now() - 1 });
    const err = (await reply.text('late').catch((e: unknown) => e)) as WebhookError;
    expect(err).toBeInstanceOf(WebhookError);
    expect(err.code).toBe('WEBHOOK_EXPIRED');
    expect(gw.webhookCalls).toHaveLength(0);
  });

  it('throws WEBHOOK_FAILED when DingTalk answers with an errcode', async () => {
    const { gw, reply } = await setup();
    gw.route('POST', '/robot/sendBySession', () => ({ status: 200, body: { errcode: 300001, errmsg: 'session expired' } }));
    const err = (await reply.text('x').catch((e: unknown) => e)) as WebhookError;
    expect(err.code).toBe('WEBHOOK_FAILED');
    expect(err.message).toContain('session expired');
    expect(err.message).not.toContain('session=s1');
  });
});

describe('webhook host allowlist', () => {
  it.each([
    'https://evil.example.com/robot/sendBySession?session=x',
    'https://dingtalk.com.evil.example/robot',
    'https://evildingtalk.com/robot',
    'http://oapi.dingtalk.com/robot/sendBySession',
    'http://10.0.0.1/robot',
    'https://user:pw@oapi.dingtalk.com/robot',
    'javascript:alert(1)',
    'not a url',
  ])('rejects %s', async (url) => {
    const posted: string[] = [];
    const reply = new ChatbotReplier({ sessionWebhook: url }, { fetch: async (u) => (posted.push(String(u)), new Response('{"errcode":0}')) });
    const err = (await reply.text('x').catch((e: unknown) => e)) as WebhookError;
    expect(err).toBeInstanceOf(WebhookError);
    expect(err.code).toBe('WEBHOOK_HOST_REJECTED');
    expect(err.message).not.toContain('session=x');
    expect(posted).toEqual([]);
  });

  it.each(['https://oapi.dingtalk.com/robot/sendBySession?session=x', 'https://api.dingtalk.io/robot/sendBySession?session=x', 'http://127.0.0.1:8080/robot', 'http://localhost/robot', 'http://[::1]:3000/robot'])(
    'accepts %s',
    (url) => {
      expect(assertWebhookUrl(url, [], url.startsWith('http:')).href).toBe(new URL(url).href);
    },
  );

  it('accepts extra https hosts given in allowedWebhookHosts', async () => {
    const posted: string[] = [];
    const reply = new ChatbotReplier({ sessionWebhook: 'https://hook.proxy.example/robot' }, { allowedWebhookHosts: ['*.proxy.example'], fetch: async (u) => (posted.push(String(u)), new Response('{"errcode":0}')) });
    await reply.text('x');
    expect(posted).toEqual(['https://hook.proxy.example/robot']);
    expect(() => assertWebhookUrl('http://hook.proxy.example/robot', ['*.proxy.example'])).toThrow(WebhookError);
  });
});

describe('replies under production limits', () => {
  it('splits long text at line breaks under the webhook limit (3,500 characters), @-mentions once, and closes and reopens a code block cut in two', async () => {
    const { gw, reply } = await setup();
    const lines = Array.from({ length: 120 }, (_, i) => `line ${String(i).padStart(3, '0')} ${'x'.repeat(40)}`);
    const code = ['```ts', ...Array.from({ length: 60 }, (_, i) => `const v${i} = ${'1'.repeat(60)};`), '```'];
    const text = [...lines, ...code].join('\n');
    await reply.markdown('Report', text, { sender: true });
    const parts = gw.webhookCalls.map((r) => r.body as { markdown: { title: string; text: string }; at?: unknown });
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.markdown.text.length <= 3500 && p.markdown.title === 'Report')).toBe(true);
    expect(parts.map((p) => p.at !== undefined)).toEqual(parts.map((_, i) => i === 0));
    // every part ends at a line break, and every code block in a part is closed
    for (const p of parts) expect((p.markdown.text.match(/^```/gm) ?? []).length % 2).toBe(0);
    const rejoined = parts.map((p) => p.markdown.text).join('\n').replace(/\n```\n```\n/g, '\n');
    expect(rejoined).toBe(text);
  });

  it('splits on a character boundary when a line is longer than a message, never inside an emoji', async () => {
    const { gw, reply } = await setup();
    const text = `${'a'.repeat(3495)}😀${'b'.repeat(3000)}`;
    await reply.text(text);
    const parts = gw.webhookCalls.map((r) => (r.body as { text: { content: string } }).text.content);
    expect(parts.join('')).toBe(text);
    for (const p of parts) expect(p).not.toMatch(/[\ud800-\udbff]$|^[\udc00-\udfff]/);
  });

  it('turns errcode 130101 (20 messages a minute in a conversation, then blocked) into WEBHOOK_RATE_LIMITED with a hint', async () => {
    const gw = await gateway();
    const fake = installFakeOpenApi(gw); // production limits: the webhook's 130101 included
    const reply = new ChatbotReplier(ChatbotMessage.from(chatbotMessage({ sessionWebhook: gw.sessionWebhook('busy') })), { allowLoopback: true });
    for (let i = 0; i < 20; i++) await reply.text(`message ${i}`);
    const err = (await reply.text('one too many').catch((e: unknown) => e)) as WebhookError;
    expect(err).toBeInstanceOf(WebhookError);
    expect(err.code).toBe('WEBHOOK_RATE_LIMITED');
    expect(err.message).toMatch(/130101.*20 messages a minute.*10 min/);
    expect(fake.violations.map((v) => v.rule)).toEqual(['webhook-rate']);
    // other conversations are not affected
    await new ChatbotReplier({ sessionWebhook: gw.sessionWebhook('quiet') }, { allowLoopback: true }).text('fine');
  });

  it('replies after the session webhook expired through the robot OpenAPI: 1:1 by staffId, a group by conversationId', async () => {
    const gw = await gateway();
    const fake = installFakeOpenApi(gw);
    const api = new DingTalkOpenApi(client(gw), { oapiHost: gw.openApiHost });
    const expired = { sessionWebhookExpiredTime: Date.now() - 1 };
    const single = ChatbotMessage.from(chatbotMessage({ sessionWebhook: gw.sessionWebhook('s1'), conversationType: '1', senderStaffId: 'staff9', extra: expired }));
    const group = ChatbotMessage.from(chatbotMessage({ sessionWebhook: gw.sessionWebhook('g1'), conversationType: '2', extra: { ...expired, conversationId: 'cidGroup9==' } }));
    await new ChatbotReplier(single, { api }).markdown('Late', '**still here**');
    await new ChatbotReplier(group, { api }).text('late, but here');
    expect(gw.webhookCalls).toEqual([]);
    expect(fake.calls('/v1.0/robot/oToMessages/batchSend')[0]!.body).toEqual({ robotCode: gw.clientId, userIds: ['staff9'], msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title: 'Late', text: '**still here**' }) });
    expect(fake.calls('/v1.0/robot/groupMessages/send')[0]!.body).toEqual({ robotCode: gw.clientId, openConversationId: 'cidGroup9==', msgKey: 'sampleText', msgParam: JSON.stringify({ content: 'late, but here' }) });
    // a body the robot OpenAPI has no template for is refused with the reason
    const err = (await new ChatbotReplier(single, { api }).aiMarkdown('x').catch((e: unknown) => e)) as WebhookError;
    expect(err.code).toBe('WEBHOOK_EXPIRED');
    expect(err.message).toContain('text, markdown and one-button actionCards');
  });

  it('does it by itself in a chatbot handler: the reply helper carries the client\'s OpenAPI', async () => {
    const gw = await gateway();
    const fake = installFakeOpenApi(gw);
    const c = client(gw);
    registerChatbotHandler(c, (message, reply) => reply.text(`answer to ${message.text}`));
    await c.start();
    gw.pushChatbotMessage('an old question', { conversationType: '1', senderStaffId: 'staff7', extra: { sessionWebhookExpiredTime: Date.now() - 1 } });
    await gw.waitFor(() => fake.calls('/v1.0/robot/oToMessages/batchSend').length === 1, 5000, 'the reply through the OpenAPI');
    expect(fake.calls('/v1.0/robot/oToMessages/batchSend')[0]!.body).toMatchObject({ userIds: ['staff7'], msgKey: 'sampleText', msgParam: JSON.stringify({ content: 'answer to an old question' }) });
    expect(gw.webhookCalls).toEqual([]);
  });

  it('without an OpenAPI, an expired webhook is WEBHOOK_EXPIRED saying how to enable the fallback', async () => {
    const { reply } = await setup({ sessionWebhookExpiredTime: Date.now() - 1 });
    const err = (await reply.text('late').catch((e: unknown) => e)) as WebhookError;
    expect(err.code).toBe('WEBHOOK_EXPIRED');
    expect(err.message).toContain('new ChatbotReplier(message, { api })');
  });
});

describe('plain http webhooks on loopback', () => {
  it('are refused in production (a forged message must not make the bot post to a local port) and accepted next to a loopback gateway', async () => {
    const posted: string[] = [];
    const fetchSpy = async (u: unknown) => (posted.push(String(u)), new Response('{"errcode":0}'));
    const local = { sessionWebhook: 'http://127.0.0.1:6379/robot' };
    const production = new DingTalkOpenApi({ clientId: 'id', clientSecret: 'secret-0123', openApiHost: 'https://api.dingtalk.com' });
    for (const reply of [new ChatbotReplier(local, { fetch: fetchSpy as typeof fetch }), new ChatbotReplier(local, { fetch: fetchSpy as typeof fetch, api: production })]) {
      const err = (await reply.text('x').catch((e: unknown) => e)) as WebhookError;
      expect(err.code).toBe('WEBHOOK_HOST_REJECTED');
    }
    expect(posted).toEqual([]);
    await new ChatbotReplier(local, { fetch: fetchSpy as typeof fetch, allowLoopback: true }).text('x');
    expect(posted).toEqual(['http://127.0.0.1:6379/robot']);
  });
});
