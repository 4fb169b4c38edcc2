import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ChatbotMessage, PayloadError } from '../../src/chatbot/index.js';
import { ChatbotMessageSchema } from '../../src/chatbot/message.js';
import { checker } from '../../src/chatbot/validate.js';

const fits = checker(ChatbotMessageSchema);
import { chatbotMessage } from '../../src/testing/index.js';

const webhook = 'https://oapi.dingtalk.com/robot/sendBySession?session=abc';
const sample = (msgtype: string, content?: Record<string, unknown>, extra?: Record<string, unknown>) =>
  chatbotMessage({ msgtype, sessionWebhook: webhook, ...(content ? { content } : {}), ...(extra ? { extra } : {}) });

describe('ChatbotMessage', () => {
  it('parses the devpedia text sample, trimming the space the @-mention leaves', () => {
    const data = JSON.parse(
      '{"conversationId":"cidAsXSBLnA==","atUsers":[{"dingtalkId":"$:LWCP_v1:$4TgHFUDZ8Qi8qr3"}],"chatbotCorpId":"ding9fcd16741","chatbotUserId":"$:LWCP_v1:$x3vTgHFUDZ8Qi8qr3","msgId":"msgLICYeHgY4JtMQw==","senderNick":"用户","isAdmin":true,"senderStaffId":"16650698","sessionWebhookExpiredTime":1690367502152,"createAt":1690362101894,"senderCorpId":"ding9d16741","conversationType":"2","senderId":"$:LWCP_v1:$jqTgIfhRX9Q==","conversationTitle":"测试群","isInAtList":true,"sessionWebhook":"https://oapi.dingtalk.com/robot/sendBySession?session=76da36b48f59e8","text":{"content":" 测试数据"},"robotCode":"dingr3xc0b","msgtype":"text"}',
    );
    const m = ChatbotMessage.from(data);
    expect(m.msgtype).toBe('text');
    expect(m.text).toBe('测试数据');
    expect(m.raw.text).toEqual({ content: ' 测试数据' });
    expect(m.isGroup).toBe(true);
    expect(m.isSingleChat).toBe(false);
    expect(m.senderStaffId).toBe('16650698');
    expect(m.sessionWebhook).toBe('https://oapi.dingtalk.com/robot/sendBySession?session=76da36b48f59e8');
    expect(m.sessionWebhookExpiredTime).toBe(1690367502152);
    expect(m.atUsers).toEqual([{ dingtalkId: '$:LWCP_v1:$4TgHFUDZ8Qi8qr3' }]);
    expect(m.conversationTitle).toBe('测试群');
    expect(m.downloadCodes).toEqual([]);
    expect(JSON.parse(JSON.stringify(m))).toEqual(data);
  });

  it('parses a picture and returns its download code', () => {
    const m = ChatbotMessage.from(sample('picture', { downloadCode: 'dc-pic', pictureDownloadCode: 'pdc-pic' }));
    expect(m.msgtype).toBe('picture');
    expect(m.downloadCodes).toEqual(['dc-pic']);
    expect(m.text).toBe('');
  });

  it('parses richText: text parts joined, pictures as download codes', () => {
    const m = ChatbotMessage.from(
      sample('richText', { richText: [{ text: ' 看看' }, { text: '这张图' }, { pictureDownloadCode: 'p1', downloadCode: 'd1', type: 'picture' }, { text: '\n谢谢 ' }] }),
    );
    expect(m.text).toBe('看看这张图\n谢谢');
    expect(m.textList).toEqual([' 看看', '这张图', '\n谢谢 ']);
    expect(m.downloadCodes).toEqual(['d1']);
  });

  it('parses audio (its recognition is the text), video and file', () => {
    const audio = ChatbotMessage.from(sample('audio', { downloadCode: 'd-audio', recognition: '你好', duration: 3000 }, { conversationType: '1' }));
    expect(audio.text).toBe('你好');
    expect(audio.downloadCodes).toEqual(['d-audio']);
    expect(audio.isSingleChat).toBe(true);
    const video = ChatbotMessage.from(sample('video', { downloadCode: 'd-video', duration: 12, videoType: 'mp4' }));
    expect(video.downloadCodes).toEqual(['d-video']);
    expect(video.content).toEqual({ downloadCode: 'd-video', duration: 12, videoType: 'mp4' });
    const file = ChatbotMessage.from(sample('file', { downloadCode: 'd-file', fileName: 'a.pdf', spaceId: 's', fileId: 'f' }));
    expect(file.downloadCodes).toEqual(['d-file']);
    expect(file.content?.fileName).toBe('a.pdf');
  });

  it('preserves an unknown msgtype and unknown fields instead of rejecting them', () => {
    const data = sample('interactiveCardV9', { whatever: { nested: [1, 2] } }, { senderPlatform: 'Mac', openThreadId: 'cid1' });
    const m = ChatbotMessage.from(data);
    expect(m.msgtype).toBe('interactiveCardV9');
    expect(m.content).toEqual({ whatever: { nested: [1, 2] } });
    expect(m.raw.senderPlatform).toBe('Mac');
    expect((m as unknown as Record<string, unknown>).openThreadId).toBe('cid1');
    expect(m.text).toBe('');
    expect(m.downloadCodes).toEqual([]);
  });

  it('keeps computed helpers when the payload has fields with the same names', () => {
    const m = ChatbotMessage.from(sample('text', undefined, { isGroup: 'yes', downloadCodes: 'x', toJSON: 1, raw: 2, textList: 3 }));
    expect(m.isGroup).toBe(true);
    expect(m.downloadCodes).toEqual([]);
    expect(m.textList).toEqual([' hello']);
    expect(m.raw.isGroup).toBe('yes');
  });

  it('reads hostingContext on the delegate topic', () => {
    const m = ChatbotMessage.from(sample('text', undefined, { hostingContext: { userId: 'owner1', nick: '老板' } }));
    expect(m.hostingContext).toEqual({ userId: 'owner1', nick: '老板' });
  });

  it('rejects what is not a chatbot message, naming the fields', () => {
    expect(() => ChatbotMessage.from('nope')).toThrow(PayloadError);
    const err = (() => {
      try {
        ChatbotMessage.from({ msgtype: 'text', msgId: 'm', conversationId: 'c', conversationType: '1', text: { content: 42 } });
      } catch (e) {
        return e as PayloadError;
      }
    })();
    expect(err?.code).toBe('INVALID_PAYLOAD');
    expect(err?.issues.join()).toContain('text.content');
    expect(() => ChatbotMessage.from({ conversationId: 'c' })).toThrow(/msgtype/);
  });

  it('accepts a valid payload by a plain check read from the schema, and exactly what valibot accepts', () => {
    const valid = ['text', 'picture', 'richText', 'audio', 'video', 'file'].map((t) =>
      sample(t, t === 'text' ? undefined : { downloadCode: 'd', recognition: 'r', richText: [{ text: 'a' }, { downloadCode: 'p', type: 'picture' }] }, { atUsers: [{ dingtalkId: 'x' }], createAt: 1, isAdmin: false }),
    );
    valid.push(chatbotMessage({ text: 'why?', quote: { msgType: 'richText' }, sessionWebhook: webhook, extra: { originalMsgId: 'msgO==', originalProcessQueryKey: 'pqk' } }));
    for (const data of valid) expect(fits(data)).toBe(true);
    // any field of a valid payload (nested ones too) replaced by any JSON-ish value: the plain
    // check and valibot agree, so the fast path neither lets through nor refuses anything new
    const anything = fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constant(Number.NaN), fc.array(fc.oneof(fc.string(), fc.object())), fc.object(), fc.constant({ content: 1 }), fc.constant([{ text: 1 }]));
    const paths = ['msgtype', 'msgId', 'conversationId', 'conversationType', 'senderNick', 'isAdmin', 'createAt', 'atUsers', 'atUsers.0', 'atUsers.0.staffId', 'text', 'text.content', 'content', 'content.richText', 'content.richText.0', 'content.richText.1.type', 'hostingContext', 'unknownField', 'text.isReplyMsg', 'text.repliedMsg', 'text.repliedMsg.content', 'text.repliedMsg.content.richText.0', 'originalMsgId', 'content.spaceId', 'content.duration'];
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.constantFrom(...paths), anything, (base, path, value) => {
        const data = structuredClone(base) as Record<string, any>;
        const keys = path.split('.');
        let at = data;
        for (const k of keys.slice(0, -1)) at = at[k] ??= {};
        at[keys.at(-1)!] = value;
        expect(fits(data)).toBe(v.is(ChatbotMessageSchema, data));
        // a quote is read leniently and never checked: whatever it holds, the message stays valid
        if (/^(text\.(isReplyMsg|repliedMsg)|originalMsgId)/.test(path) && base.msgtype === 'text') expect(fits(data)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});
