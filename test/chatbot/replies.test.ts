import { describe, expect, it } from 'vitest';
import { assertWebhookUrl, ChatbotMessage, ChatbotReplier, WebhookError } from '../../src/chatbot/index.js';
import { chatbotMessage } from '../../src/testing/index.js';
import { gateway } from '../helpers/setup.js';

async function setup(extra: Record<string, unknown> = {}) {
  const gw = await gateway();
  const message = ChatbotMessage.from(chatbotMessage({ sessionWebhook: gw.sessionWebhook('s1'), senderStaffId: 'staff1', extra }));
  return { gw, message, reply: new ChatbotReplier(message) };
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
      expect(assertWebhookUrl(url).href).toBe(new URL(url).href);
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
