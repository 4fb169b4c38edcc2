// Issue 22: files out (api.sendFile / reply.file, voice and video robot messages) and a robot
// message's lifecycle (recall, read status, private-chat sends), against the fake OpenAPI and
// the simulator, in the request shapes of DingTalk's generated client (@alicloud/dingtalk robot_1_0).
import { afterEach, describe, expect, it } from 'vitest';
import { DingTalkStreamClient } from '../../adapters/node.js';
import { ChatbotMessage, ChatbotReplier, DingTalkOpenApi, MEDIA_LIMITS, MediaError, OpenApiError, WebhookError, mediaTypeOf, registerChatbotHandler, robotMessage, type MediaType } from '../../src/chatbot/index.js';
import { DingTalkSimulator, chatbotMessage, installFakeOpenApi, type FakeDingTalkGateway, type RecordedRequest } from '../../src/testing/index.js';
import { client, gateway } from '../helpers/setup.js';

async function setup() {
  const gw = await gateway();
  const fake = installFakeOpenApi(gw);
  const api = new DingTalkOpenApi(client(gw), { oapiHost: gw.openApiHost });
  return { gw, fake, api };
}

const message = (gw: FakeDingTalkGateway, conversationType: '1' | '2') =>
  ChatbotMessage.from(chatbotMessage({ sessionWebhook: gw.sessionWebhook(), conversationType, senderStaffId: 'staff1', senderNick: 'Ann' }));
const bodyOf = (req: RecordedRequest) => req.body as Record<string, any>;
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 256); // every byte value: a binary file
const MB = 2 ** 20;

describe('robot messages for voice and video', () => {
  it('builds sampleAudio {mediaId, duration in ms} and sampleVideo {duration in s, videoMediaId, videoType, picMediaId} as strings, as documented', () => {
    expect(robotMessage.audio('@voice', 3200)).toEqual({ msgKey: 'sampleAudio', msgParam: { mediaId: '@voice', duration: '3200' } });
    expect(robotMessage.video('@video', '@cover', 12_400)).toEqual({ msgKey: 'sampleVideo', msgParam: { duration: '12', videoMediaId: '@video', videoType: 'mp4', picMediaId: '@cover' } });
  });
});

describe('message lifecycle: each call in the generated client\'s shape', () => {
  it('1:1: read status is a GET with the key URL-encoded in the query, recall a POST to otoMessages/batchRecall (lower-case oto)', async () => {
    const { gw, fake, api } = await setup();
    const sent = await api.sendRobotToUsers({ userIds: ['u1', 'u2'], ...robotMessage.text('hi') });
    expect(sent).toMatchObject({ processQueryKey: expect.stringMatching(/\+.*\/.*=/), robotCode: gw.clientId, userIds: ['u1', 'u2'] });

    fake.markRead(sent.processQueryKey, 'u2');
    const status = await api.readStatus(sent);
    const get = fake.calls('/v1.0/robot/oToMessages/readStatus')[0]!;
    expect(get.method).toBe('GET');
    expect(get.query).toEqual({ processQueryKey: sent.processQueryKey, robotCode: gw.clientId });
    expect(get.headers['x-acs-dingtalk-access-token']).toBe(fake.tokens[0]);
    expect(status).toEqual({
      sendStatus: 'SUCCESS',
      messageReadInfoList: [
        { name: 'u1', userId: 'u1', readStatus: 'UNREAD' },
        { name: 'u2', userId: 'u2', readStatus: 'READ' },
      ],
    });

    expect(await api.recall(sent)).toEqual({ successResult: [sent.processQueryKey], failedResult: {} });
    const post = fake.calls('/v1.0/robot/otoMessages/batchRecall')[0]!;
    expect(post.method).toBe('POST');
    expect(post.body).toEqual({ robotCode: gw.clientId, processQueryKeys: [sent.processQueryKey] });
    expect(fake.robotMessages.get(sent.processQueryKey)!.recalledAt).toBeTypeOf('number');
    expect((await api.readStatus(sent)).sendStatus).toBe('RECALLED');
  });

  it('group: read status by POST groupMessages/query (paged), recall by POST groupMessages/recall with the conversation', async () => {
    const { fake, api } = await setup();
    const sent = await api.sendRobotToGroup({ openConversationId: 'cid9', robotCode: 'robot9', ...robotMessage.markdown('T', '**x**') });
    expect(sent).toMatchObject({ openConversationId: 'cid9', robotCode: 'robot9' });
    for (const user of ['a', 'b', 'c']) fake.markRead(sent.processQueryKey, user);

    const first = await api.readStatus(sent, { maxResults: 2 });
    expect(fake.calls('/v1.0/robot/groupMessages/query', 'POST')[0]!.body).toEqual({ openConversationId: 'cid9', robotCode: 'robot9', processQueryKey: sent.processQueryKey, maxResults: 2 });
    expect(first).toEqual({ sendStatus: 'SUCCESS', readUserIds: ['a', 'b'], hasMore: true, nextToken: '2' });
    expect(await api.readStatus(sent, { maxResults: 2, nextToken: first.nextToken! })).toEqual({ sendStatus: 'SUCCESS', readUserIds: ['c'], hasMore: false });

    await api.recall(sent);
    expect(fake.calls('/v1.0/robot/groupMessages/recall', 'POST')[0]!.body).toEqual({ robotCode: 'robot9', openConversationId: 'cid9', processQueryKeys: [sent.processQueryKey] });
    expect((await api.readStatus(sent)).sendStatus).toBe('RECALLED');
  });

  it('private chat (a cool app between two people): send, query and recall under privateChatMessages/', async () => {
    const { gw, fake, api } = await setup();
    const sent = await api.sendRobotToPrivateChat({ openConversationId: 'cidP2P', coolAppCode: 'COOLAPP-1-X', ...robotMessage.text('standup in 5') });
    expect(fake.calls('/v1.0/robot/privateChatMessages/send', 'POST')[0]!.body).toEqual({ robotCode: gw.clientId, openConversationId: 'cidP2P', coolAppCode: 'COOLAPP-1-X', msgKey: 'sampleText', msgParam: JSON.stringify({ content: 'standup in 5' }) });
    await api.readStatus(sent);
    expect(fake.calls('/v1.0/robot/privateChatMessages/query', 'POST')[0]!.body).toEqual({ openConversationId: 'cidP2P', robotCode: gw.clientId, processQueryKey: sent.processQueryKey });
    await api.recall(sent);
    expect(fake.calls('/v1.0/robot/privateChatMessages/batchRecall', 'POST')[0]!.body).toEqual({ robotCode: gw.clientId, openConversationId: 'cidP2P', processQueryKeys: [sent.processQueryKey] });
    expect(fake.robotMessages.get(sent.processQueryKey)).toMatchObject({ space: 'private', recalledAt: expect.any(Number) });
  });

  it('sendRobotMessage answers where a chatbot message came from: its group, or the 1:1 chat with its sender', async () => {
    const { gw, fake, api } = await setup();
    await api.sendRobotMessage(message(gw, '2'), robotMessage.text('to the group'));
    await api.sendRobotMessage(message(gw, '1'), robotMessage.text('to Ann'));
    expect(fake.calls('/v1.0/robot/groupMessages/send')[0]!.body).toMatchObject({ openConversationId: 'cidAsXSBLnA==', msgKey: 'sampleText' });
    expect(fake.calls('/v1.0/robot/oToMessages/batchSend')[0]!.body).toMatchObject({ userIds: ['staff1'], msgKey: 'sampleText' });
  });

  it('throws when DingTalk refuses a recall inside an HTTP 200 (failedResult), e.g. a second recall', async () => {
    const { api } = await setup();
    const sent = await api.sendRobotToUsers({ userIds: ['u1'], ...robotMessage.text('oops') });
    await api.recall(sent);
    const err = (await api.recall(sent).catch((e: unknown) => e)) as OpenApiError;
    expect(err).toBeInstanceOf(OpenApiError);
    expect(err).toMatchObject({ code: 'OPENAPI_ERROR', status: 200 });
    expect(err.message).toContain('already recalled');
  });

  it('the fake refuses what production refuses: an unknown key (400 invalid.processQueryKey), another robot\'s message, more than 20 keys', async () => {
    const { api } = await setup();
    const unknown = (await api.readStatus({ processQueryKey: 'nope' }).catch((e: unknown) => e)) as OpenApiError;
    expect(unknown).toMatchObject({ status: 400, dingtalkCode: 'invalid.processQueryKey' });
    const sent = await api.sendRobotToUsers({ userIds: ['u1'], ...robotMessage.text('x') });
    expect(await api.recall({ ...sent, robotCode: 'other-robot' }).catch((e: unknown) => (e as Error).message)).toContain('not.allowed.robotCode');
    const many = Array.from({ length: 21 }, () => sent.processQueryKey);
    const tooMany = (await api.request('POST', '/v1.0/robot/otoMessages/batchRecall', { robotCode: sent.robotCode, processQueryKeys: many }).catch((e: unknown) => e)) as OpenApiError;
    expect(tooMany).toMatchObject({ status: 400, dingtalkCode: 'invalidParameter.processQueryKeys.overMax' });
  });
});

describe('files out: api.sendFile and reply.file', () => {
  it('uploads a picture (binary, intact) and sends it as sampleImageMsg to the 1:1 chat the message came from', async () => {
    const { gw, fake, api } = await setup();
    const png = bytes(5000);
    const sent = await api.sendFile(message(gw, '1'), new File([png], 'chart.png', { type: 'image/png' }));
    const upload = fake.calls('/media/upload', 'POST')[0]!;
    expect(upload.query.access_token).toBe(fake.tokens[0]);
    expect(fake.uploads).toEqual([expect.objectContaining({ type: 'image', filename: 'chart.png', size: 5000, mediaId: expect.any(String) })]);
    const send = fake.calls('/v1.0/robot/oToMessages/batchSend')[0]!;
    expect(send.body).toEqual({ robotCode: gw.clientId, userIds: ['staff1'], msgKey: 'sampleImageMsg', msgParam: JSON.stringify({ photoURL: fake.uploads[0]!.mediaId }) });
    expect(sent.processQueryKey).toBeTruthy();
  });

  it('sends bytes with a name as sampleFile to a group, and a nameless Blob by its MIME type', async () => {
    const { gw, fake, api } = await setup();
    await api.sendFile(message(gw, '2'), bytes(300).buffer, { fileName: 'Q3 report.PDF' });
    expect(fake.uploads[0]).toMatchObject({ type: 'file', filename: 'Q3 report.PDF', size: 300 });
    expect(JSON.parse(bodyOf(fake.calls('/v1.0/robot/groupMessages/send')[0]!).msgParam)).toEqual({ mediaId: fake.uploads[0]!.mediaId, fileName: 'Q3 report.PDF', fileType: 'pdf' });
    await api.sendFile({ userId: 'manager01' }, new Blob([bytes(10)], { type: 'image/jpeg' }));
    expect(fake.uploads[1]).toMatchObject({ type: 'image', filename: 'file.jpeg' });
  });

  it('sends voice as sampleAudio with its duration in ms, video as sampleVideo with its cover uploaded first', async () => {
    const { gw, fake, api } = await setup();
    await api.sendFile(message(gw, '1'), bytes(1000), { fileName: 'answer.mp3', durationMs: 3000 });
    expect(fake.uploads[0]).toMatchObject({ type: 'voice', filename: 'answer.mp3' });
    const voice = bodyOf(fake.calls('/v1.0/robot/oToMessages/batchSend')[0]!);
    expect(voice.msgKey).toBe('sampleAudio');
    expect(JSON.parse(voice.msgParam)).toEqual({ mediaId: fake.uploads[0]!.mediaId, duration: '3000' });

    await api.sendFile(message(gw, '2'), new File([bytes(2000)], 'demo.mp4'), { durationMs: 12_000, cover: new File([bytes(100)], 'poster.png') });
    expect(fake.uploads.slice(1).map((u) => [u.type, u.filename])).toEqual([
      ['image', 'cover.png'],
      ['video', 'demo.mp4'],
    ]);
    const video = bodyOf(fake.calls('/v1.0/robot/groupMessages/send')[0]!);
    expect(video.msgKey).toBe('sampleVideo');
    expect(JSON.parse(video.msgParam)).toEqual({ duration: '12', videoMediaId: fake.uploads[2]!.mediaId, videoType: 'mp4', picMediaId: fake.uploads[1]!.mediaId });
  });

  it('a 20 MB picture, DingTalk\'s largest, goes through the fake (its body cap is the upload limit, not 1 MiB)', async () => {
    const { gw, fake, api } = await setup();
    await api.sendFile(message(gw, '1'), new Blob([new Uint8Array(20 * MB)]), { fileName: 'big.png' });
    expect(fake.uploads[0]).toMatchObject({ type: 'image', size: 20 * MB });
    expect(fake.calls('/media/upload')[0]!.rawBody).toMatch(/^\(multipart upload, \d+ bytes\)$/); // the megabytes are not kept
  });

  it.each([
    ['a format DingTalk does not list', 'notes.txt', 10, {}, 'MEDIA_UNSUPPORTED'],
    ['a name and type without any format', '', 10, {}, 'MEDIA_UNSUPPORTED'],
    ['voice over 2 MB', 'long.mp3', 2 * MB + 1, { durationMs: 1000 }, 'MEDIA_TOO_LARGE'],
    ['a picture over 20 MB', 'huge.png', 20 * MB + 1, {}, 'MEDIA_TOO_LARGE'],
    ['voice without its duration', 'a.amr', 10, {}, 'INVALID_ARGUMENT'],
    ['video without a cover', 'v.mp4', 10, { durationMs: 1000 }, 'INVALID_ARGUMENT'],
    ['video with a cover that is no picture', 'v.mp4', 10, { durationMs: 1000, cover: new File(['x'], 'cover.pdf') }, 'INVALID_ARGUMENT'],
  ])('refuses %s with a typed MediaError before any request', async (_what, fileName, size, options, code) => {
    const { gw, api } = await setup();
    const err = await api.sendFile(message(gw, '1'), new Blob([new Uint8Array(size)]), { fileName, ...options }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toMatchObject({ code });
    expect(gw.requests).toEqual([]); // not even the token
  });

  it('MEDIA_LIMITS cell by cell: each documented format is its type up to its size, one byte more is refused', () => {
    for (const [type, [mb, formats]] of Object.entries(MEDIA_LIMITS) as Array<[MediaType, readonly [number, string]]>) {
      for (const ext of formats.split(' ')) {
        const atLimit = { size: mb * MB, type: '' } as Blob;
        expect(mediaTypeOf(`x.${ext.toUpperCase()}`, atLimit)).toEqual({ type, ext });
        expect(() => mediaTypeOf(`x.${ext}`, { ...atLimit, size: mb * MB + 1 } as Blob)).toThrow(expect.objectContaining({ code: 'MEDIA_TOO_LARGE' }));
      }
    }
    expect(MEDIA_LIMITS).toEqual({ image: [20, 'jpg jpeg gif png bmp'], voice: [2, 'amr mp3 wav ogg'], video: [20, 'mp4'], file: [20, 'doc docx xls xlsx ppt pptx zip pdf rar'] });
  });

  it('the fake\'s media/upload refuses what production does, with its errcodes: 40005 a format, 40006 a size, 40004 a type', async () => {
    const { fake, api } = await setup();
    const refused = (blob: Blob, type: 'image' | 'voice' | 'video' | 'file', filename: string) => api.uploadMedia(blob, { type, filename }).catch((e: unknown) => e as OpenApiError);
    expect(await refused(new Blob(['x']), 'file', 'notes.txt')).toMatchObject({ dingtalkCode: '40005' });
    expect(await refused(new Blob([new Uint8Array(2 * MB + 1)]), 'voice', 'long.mp3')).toMatchObject({ dingtalkCode: '40006' });
    expect(await refused(new Blob(['x']), 'sticker' as 'file', 'a.png')).toMatchObject({ dingtalkCode: '40004' });
    expect(fake.violations.map((v) => v.rule)).toEqual(['media', 'media', 'media']);
  });

  it('reply.file sends through the replier\'s OpenAPI; a replier without one says how to give it one', async () => {
    const { gw, fake, api } = await setup();
    const sent = await new ChatbotReplier(message(gw, '2'), { api }).file(bytes(50), { fileName: 'export.zip' });
    expect(fake.calls('/v1.0/robot/groupMessages/send')[0]!.body).toMatchObject({ openConversationId: 'cidAsXSBLnA==', msgKey: 'sampleFile' });
    expect(sent.openConversationId).toBe('cidAsXSBLnA==');
    expect(() => new ChatbotReplier(message(gw, '1')).file(bytes(1), { fileName: 'a.zip' })).toThrow(WebhookError);
  });
});

describe('the simulator draws the lifecycle', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('shows voice, video and files a handler sends, marks a recalled message recalled, and reports what the user read', async () => {
    const sim = await DingTalkSimulator.start({ botName: 'TestBot' });
    const bot = new DingTalkStreamClient({ ...sim.clientOptions(), logger: null });
    const api = new DingTalkOpenApi(bot);
    const sent: Array<Awaited<ReturnType<DingTalkOpenApi['sendFile']>>> = [];
    registerChatbotHandler(bot, async (message, reply) => {
      if (message.text !== 'files') return;
      sent.push(await reply.file(bytes(100), { fileName: 'hello.mp3', durationMs: 4000 }));
      sent.push(await reply.file(bytes(100), { fileName: 'clip.mp4', durationMs: 9000, cover: new File([bytes(10)], 'c.png') }));
      sent.push(await api.sendRobotMessage(message, robotMessage.text('Working on it…')));
    });
    await bot.start();
    cleanups.push(() => sim.close(), () => bot.stop());

    sim.send('files');
    const working = await sim.waitForMessage((m) => m.text === 'Working on it…');
    await expect.poll(() => sent.length).toBe(3);
    expect(sim.messages.filter((m) => m.from === 'bot').map((m) => [m.kind, m.text])).toEqual([
      ['audio', '4″ voice'],
      ['video', '9″ mp4 video'],
      ['text', 'Working on it…'],
    ]);

    const status = await api.readStatus(sent[2]!);
    expect(status.messageReadInfoList).toEqual([{ name: 'sim-user-0001', userId: 'sim-user-0001', readStatus: 'UNREAD' }]);
    sim.send('thanks'); // writing in the chat means having seen it
    expect((await api.readStatus(sent[2]!)).messageReadInfoList![0]!.readStatus).toBe('READ');

    await api.recall(sent[2]!);
    await sim.waitForMessage((m) => m.id === working.id && m.recalled === true);
    expect(sim.messages.filter((m) => m.recalled).map((m) => m.id)).toEqual([working.id]);
  });
});
