import { describe, expect, it } from 'vitest';
import { DingTalkOpenApi, registerChatbotHandler, type ChatbotMessage } from '../../src/chatbot/index.js';
import { chatbotMessage, installFakeOpenApi, MEDIA_SAMPLES, SAMPLE_CHATBOT_USER_ID, type ChatbotSampleOptions } from '../../src/testing/index.js';
import { client, gateway } from '../helpers/setup.js';

// Every payload goes out of the fake gateway over a real socket in production's shape
// (protocol.md §12) and the test asserts what the handler sees.
const TOPIC = '/v1.0/im/bot/messages/get';

/** A bot on a fake gateway whose handler records each message; `say` pushes one and waits until the handler has it. */
async function bot() {
  const gw = await gateway();
  const c = client(gw);
  const seen: ChatbotMessage[] = [];
  registerChatbotHandler(c, (message) => void seen.push(message));
  await c.start();
  const say = async (options: Omit<ChatbotSampleOptions, 'sessionWebhook'>, data = chatbotMessage({ ...options, sessionWebhook: gw.sessionWebhook() })) => {
    const before = seen.length;
    gw.pushCallback(TOPIC, data);
    await gw.waitFor(() => seen.length > before, 5_000, 'the handler');
    return seen.at(-1)!;
  };
  return { gw, c, say };
}

describe('quoted replies, as production sends them', () => {
  it('a reply to a text exposes the quoted msgId, msgtype, text, sender and time, apart from the reply itself', async () => {
    const { say } = await bot();
    const m = await say({ text: '这个什么意思', quote: { msgType: 'text', msgId: 'msgQuotedText==', content: { content: ' PR599 Smoking test ' }, senderId: '$:LWCP_v1:$alice', createdAt: 1774356117207 } });
    expect(m.raw.text).toMatchObject({ isReplyMsg: true, repliedMsg: { msgType: 'text', msgId: 'msgQuotedText==' } });
    expect(m.text).toBe('这个什么意思');
    expect(m.quoted).toEqual({
      msgId: 'msgQuotedText==',
      msgtype: 'text',
      text: 'PR599 Smoking test',
      downloadCodes: [],
      fileName: undefined,
      senderId: '$:LWCP_v1:$alice',
      createdAt: 1774356117207,
      fromBot: false,
      processQueryKey: undefined,
      raw: { msgType: 'text', msgId: 'msgQuotedText==', content: { content: ' PR599 Smoking test ' }, senderId: '$:LWCP_v1:$alice', createdAt: 1774356117207 },
    });
  });

  it('a reply to a text quoted in the older shape (content.text) reads that text too', async () => {
    const { say } = await bot();
    expect((await say({ text: 'and?', quote: { content: { text: '被引用内容' } } })).quoted?.text).toBe('被引用内容');
  });

  it('a reply to a markdown message exposes its text', async () => {
    const { say } = await bot();
    const m = await say({ text: '展开说说', quote: { msgType: 'markdown', content: { text: '## 周报\n- 完成了 **接入**' } } });
    expect(m.quoted).toMatchObject({ msgtype: 'markdown', text: '## 周报\n- 完成了 **接入**', downloadCodes: [] });
  });

  it('a reply to a picture exposes its download code, which turns into a download URL', async () => {
    const { gw, c, say } = await bot();
    installFakeOpenApi(gw);
    const m = await say({ text: '图里是什么', quote: { msgType: 'picture', content: { downloadCode: 'dc-quoted-pic' } } });
    expect(m.quoted).toMatchObject({ msgtype: 'picture', text: '', downloadCodes: ['dc-quoted-pic'] });
    expect(m.downloadCodes).toEqual([]); // the reply itself is text: the picture is the quote's
    const url = await new DingTalkOpenApi(c).messageFileDownloadUrl(m.quoted!.downloadCodes[0]!);
    expect(url).toContain('dc-quoted-pic');
  });

  it('a reply to a file exposes its name and download code', async () => {
    const { say } = await bot();
    const m = await say({ text: '总结一下', quote: { msgType: 'file', msgId: 'msg456', createdAt: 1774356117207, content: { spaceId: '28414449789', fileName: 'report.pdf', downloadCode: 'DOWNLOAD_CODE_ABC', fileId: '215330128705' } } });
    expect(m.quoted).toMatchObject({ msgId: 'msg456', msgtype: 'file', fileName: 'report.pdf', downloadCodes: ['DOWNLOAD_CODE_ABC'], createdAt: 1774356117207 });
  });

  it('replies to audio, video and richText expose their download codes, and richText its text parts', async () => {
    const { say } = await bot();
    const audio = await say({ text: '听这段', quote: { msgType: 'audio', content: { duration: '2000', downloadCode: 'AUDIO_DL_CODE' } } });
    expect(audio.quoted).toMatchObject({ msgtype: 'audio', text: '', downloadCodes: ['AUDIO_DL_CODE'] });
    const video = await say({ text: '看这段', quote: { msgType: 'video', content: { duration: '1', downloadCode: 'VIDEO_DL_CODE', videoType: 'mp4' } } });
    expect(video.quoted).toMatchObject({ msgtype: 'video', downloadCodes: ['VIDEO_DL_CODE'] });
    const rich = await say({ text: '继续分析', quote: { msgType: 'richText', content: { richText: [{ msgType: 'text', content: '被引用的说明' }, { msgType: 'picture', downloadCode: 'quoted-picture' }, { msgType: 'text', content: '第二段' }] } } });
    expect(rich.quoted).toMatchObject({ msgtype: 'richText', text: '被引用的说明第二段', downloadCodes: ['quoted-picture'] });
  });

  it("a reply to the bot's own card is marked fromBot, with the text of the card's TEXT elements and the card's processQueryKey", async () => {
    const { say } = await bot();
    // the element tree as issue #598 describes it ({elementType, value, children}); the container's own type is a guess
    const cardContent = { elementType: 'CONTAINER', children: [{ elementType: 'TEXT', value: '答案是 42' }, { elementType: 'IMAGE', children: [] }, { elementType: 'CONTAINER', children: [{ elementType: 'TEXT', value: '还有问题吗？' }] }] };
    const m = await say({ text: '为什么', quote: { msgType: 'interactiveCard', content: { cardContent } }, extra: { originalProcessQueryKey: 'carrier_123' } });
    expect(m.quoted).toMatchObject({ msgtype: 'interactiveCard', senderId: SAMPLE_CHATBOT_USER_ID, fromBot: true, text: '答案是 42\n还有问题吗？', processQueryKey: 'carrier_123' });
  });

  it("a reply to a card that came with metadata only (connector #399's logged payload) is still a quote, and one by a user is not the bot's", async () => {
    const { say } = await bot();
    const logged = { createdAt: 1774947711809, senderId: '$:LWCP_v1:$JZo9x3iyncV7TlQCLDZ/bnnY48PVfYcC', msgType: 'interactiveCard', msgId: 'msg5LkjE+EA3dWPeQHoIEutIg==' };
    const m = await say({ text: '关于文档', quote: logged }); // a quoted card has no content by default
    expect(m.quoted).toEqual({ msgId: logged.msgId, msgtype: 'interactiveCard', text: '', downloadCodes: [], fileName: undefined, senderId: logged.senderId, createdAt: logged.createdAt, fromBot: false, processQueryKey: undefined, raw: logged });
  });

  it('a reply that carries only originalMsgId (rich media, soimy PR #128) is a quote with that msgId', async () => {
    const { say } = await bot();
    const m = await say({ text: '这张', extra: { originalMsgId: 'msgOriginal==', chatbotUserId: undefined } }); // no sender on either side is not the bot
    expect(m.quoted).toMatchObject({ msgId: 'msgOriginal==', msgtype: undefined, text: '', downloadCodes: [], fromBot: false, raw: {} });
  });

  it('a message that is not a reply has no quote', async () => {
    const { say } = await bot();
    expect((await say({ text: 'hello' })).quoted).toBeUndefined();
    expect((await say({ msgtype: 'picture' })).quoted).toBeUndefined();
  });

  it('a quote of an unknown or partial shape never makes the message invalid', async () => {
    const { say, c } = await bot();
    const deep: Record<string, unknown> = { elementType: 'TEXT', value: 'top' };
    let at = deep;
    for (let i = 0; i < 2_000; i++) at = (at.children = [{ elementType: 'TEXT', value: `v${i}` }])[0] as Record<string, unknown>;
    const shapes: unknown[] = [
      'a string',
      42,
      null,
      [],
      { msgType: 7, msgId: {}, senderId: null, createdAt: '1774356117207', content: 'not json' },
      { msgType: 'richText', content: { richText: [null, 3, 'x', { msgType: 'picture', downloadCode: 5 }, { content: 'ok' }] } },
      { msgType: 'richText', content: { richText: 'not a list' } },
      { msgType: 'text', content: JSON.stringify({ content: 'as a JSON string' }) },
      { msgType: 'interactiveCard', content: { cardContent: deep } },
      { msgType: 'chatRecord', content: { summary: '[]', title: '聊天记录' } },
    ];
    const quotes = [];
    for (const repliedMsg of shapes) {
      const data = chatbotMessage({ text: 'reply', sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=s' });
      Object.assign(data.text as object, { isReplyMsg: true, repliedMsg });
      const m = await say({}, data);
      const q = m.quoted!;
      expect(m.text).toBe('reply');
      expect(typeof q.text).toBe('string');
      expect(q.downloadCodes.every((code) => typeof code === 'string')).toBe(true);
      for (const key of ['msgId', 'msgtype', 'senderId', 'fileName'] as const) expect(['string', 'undefined']).toContain(typeof q[key]);
      expect(['number', 'undefined']).toContain(typeof q.createdAt);
      expect(q.fromBot).toBe(false);
      quotes.push(q);
    }
    expect(quotes[5]).toMatchObject({ text: 'ok', downloadCodes: [] });
    expect(quotes[7]!.text).toBe('as a JSON string'); // the connector accepts content as a JSON string
    expect(quotes[8]!.text.split('\n').length).toBeLessThan(20); // the walk of an untrusted tree is bounded
    expect(c.log.lines.filter((l) => l.startsWith('warn') || l.startsWith('error'))).toEqual([]);
  });
});

describe('media in, as production sends it', () => {
  it('a picture (msgtype picture, not image) exposes its download code; pictureDownloadCode stays in content', async () => {
    const { say } = await bot();
    const m = await say({ msgtype: 'picture' });
    expect(m.msgtype).toBe('picture');
    expect(m.content).toEqual(MEDIA_SAMPLES.picture);
    expect(m.downloadCodes).toEqual([MEDIA_SAMPLES.picture.downloadCode]);
    expect(m.content?.pictureDownloadCode).toBe(MEDIA_SAMPLES.picture.pictureDownloadCode);
    expect(m.text).toBe('');
  });

  it('a file exposes its name, download code, spaceId and fileId', async () => {
    const { say } = await bot();
    const m = await say({ msgtype: 'file', conversationType: '1' });
    expect(m.downloadCodes).toEqual([MEDIA_SAMPLES.file.downloadCode]);
    expect(m.content).toMatchObject({ fileName: 'report.pdf', spaceId: '28414449789', fileId: '215330128705' });
    const fileId: string | undefined = m.content?.fileId; // typed, as DingTalk's sample shows it
    expect(fileId).toBe('215330128705');
  });

  it("audio: its speech recognition is the message's text, its download code the audio", async () => {
    const { say } = await bot();
    const m = await say({ msgtype: 'audio', conversationType: '1' });
    expect(m.text).toBe(MEDIA_SAMPLES.audio.recognition);
    expect(m.textList).toEqual([MEDIA_SAMPLES.audio.recognition]);
    expect(m.content?.recognition).toBe(MEDIA_SAMPLES.audio.recognition);
    expect(m.downloadCodes).toEqual([MEDIA_SAMPLES.audio.downloadCode]);
  });

  it('video exposes its download code, duration (a string, as DingTalk sends it) and videoType', async () => {
    const { say } = await bot();
    const m = await say({ msgtype: 'video', conversationType: '1' });
    expect(m.downloadCodes).toEqual([MEDIA_SAMPLES.video.downloadCode]);
    expect(m.content).toMatchObject({ duration: '5', videoType: 'mp4' });
    expect(m.text).toBe('');
  });

  it('richText joins its text parts and lists its pictures as download codes', async () => {
    const { say } = await bot();
    const m = await say({ msgtype: 'richText' });
    expect(m.text).toBe('这个问题示例图如下：通过以上示意图可以明白完整的交互流程');
    expect(m.textList).toEqual(['这个问题示例图如下：', '通过以上示意图可以明白完整的交互流程']);
    expect(m.downloadCodes).toEqual(['dc-rich-mIof7A==']);
  });
});
