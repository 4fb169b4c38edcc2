// What a user sends from the simulator's composer (issue 22) reaches the bot in production's
// payload shape (protocol.md §12): a picture (`richText` with text), a file, a voice message
// with its recognition, a quote of an earlier message, and a group message that does not @
// the bot (`isInAtList: false`, when the bot receives them all). A picture or file is
// uploaded to the simulator and the fake download API serves its bytes back. And an AI card
// on a template given by --card-template is drawn with that template's buttons.
import { afterEach, describe, expect, it } from 'vitest';
import { DingTalkStreamClient } from '../../adapters/node.js';
import { AIStreamingCard, DingTalkOpenApi, registerCardCallbackHandler, registerChatbotHandler, type CardCallback, type ChatbotMessage } from '../../src/chatbot/index.js';
import { DingTalkSimulator, type SimSendOptions, type SimulatorOptions } from '../../src/testing/index.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// a 1×1 PNG
const PNG = Uint8Array.from(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64'));
/** The channel SDK's stock AI card template (its "Like" button lives in the template). */
const STOCK_AI_TEMPLATE = '02fcf2f4-5e02-4a85-b672-46d1f715543e.schema';

/** A simulator and a bot that records each message and answers "ok <n>"; `next()` resolves with the next message. */
async function start(options: SimulatorOptions = {}) {
  const sim = await DingTalkSimulator.start({ botName: 'TestBot', ...options });
  const client = new DingTalkStreamClient({ ...sim.clientOptions(), logger: null });
  const api = new DingTalkOpenApi(client, { oapiHost: sim.gateway.openApiHost });
  const seen: ChatbotMessage[] = [];
  const waiting: Array<(m: ChatbotMessage) => void> = [];
  registerChatbotHandler(client, async (message, reply) => {
    seen.push(message);
    waiting.shift()?.(message);
    await reply.text(`ok ${seen.length}`);
  });
  await client.start();
  cleanups.push(() => sim.close(), () => client.stop());
  const next = () => new Promise<ChatbotMessage>((resolve) => waiting.push(resolve));
  /** The user sends; resolves with what the page shows and what the bot got. */
  const exchange = async (text: string, options?: SimSendOptions) => {
    const arrived = next();
    const shown = sim.send(text, options);
    return { shown, message: await arrived };
  };
  /** What the bot gets when it downloads `downloadCode` as a bot does: the download API's link, then the bytes. */
  const download = async (downloadCode: string) => {
    const res = await fetch(await api.messageFileDownloadUrl(downloadCode));
    return { type: res.headers.get('content-type'), bytes: new Uint8Array(await res.arrayBuffer()) };
  };
  return { sim, api, seen, next, exchange, download };
}

describe('simulator composer: what the user sends, as production sends it', () => {
  it('a picture arrives as `picture` {pictureDownloadCode, downloadCode}, and the download API serves its bytes', async () => {
    const { sim, exchange, download } = await start();
    const code = sim.upload(PNG, { fileName: 'dot.png', contentType: 'image/png' });
    const { shown, message } = await exchange('', { picture: code });
    expect(shown).toMatchObject({ kind: 'image', file: { downloadCode: code, name: 'dot.png', contentType: 'image/png', size: PNG.length } });
    expect(message.msgtype).toBe('picture');
    expect(message.raw.content).toEqual({ pictureDownloadCode: code, downloadCode: code });
    expect(message.downloadCodes).toEqual([code]);
    expect(await download(code)).toEqual({ type: 'image/png', bytes: PNG });
  });

  it('a picture with text in the group (@ the bot) arrives as `richText`: the text without the mention, then the picture', async () => {
    const { sim, exchange } = await start();
    const code = sim.upload(PNG, { fileName: 'dot.png', contentType: 'image/png' });
    const { message } = await exchange('@TestBot what is this?', { conversation: 'group', picture: code });
    expect(message.msgtype).toBe('richText');
    expect(message.raw.content).toEqual({ richText: [{ text: 'what is this?' }, { pictureDownloadCode: code, downloadCode: code, type: 'picture' }] });
    expect(message.text).toBe('what is this?');
    expect(message.isInAtList).toBe(true);
    // without text a picture cannot @ anyone: by default the group's bot does not get it
    expect(sim.send('', { conversation: 'group', picture: code }).delivered).toBe(false);
  });

  it('a file arrives as `file` {spaceId, fileName, downloadCode, fileId} in the 1:1 chat; in the group it is not delivered, as in DingTalk', async () => {
    const { sim, exchange, download } = await start();
    const pdf = new TextEncoder().encode('%PDF-1.7 report');
    const code = sim.upload(pdf, { fileName: 'report.pdf', contentType: 'application/pdf' });
    const { shown, message } = await exchange('', { file: code });
    expect(shown).toMatchObject({ kind: 'file', title: 'report.pdf' });
    expect(message.msgtype).toBe('file');
    expect(message.raw.content).toEqual({ spaceId: expect.any(String), fileName: 'report.pdf', downloadCode: code, fileId: expect.any(String) });
    expect(await download(code)).toEqual({ type: 'application/pdf', bytes: pdf });
    const inGroup = sim.send('', { conversation: 'group', file: code });
    expect(inGroup).toMatchObject({ delivered: false, note: expect.stringContaining('only in a 1:1 chat') });
    await expect(sim.chat('', { conversation: 'group', file: code })).rejects.toThrow(/only in a 1:1 chat/);
    expect(() => sim.send('with text', { file: code })).toThrow(/on its own/);
    expect(() => sim.send('', { file: 'dc-unknown' })).toThrow(/no uploaded file dc-unknown/);
  });

  it('a voice message arrives as `audio` {downloadCode, recognition, duration}: message.text is the recognition, the file a WAV', async () => {
    const { sim, exchange, download } = await start();
    const { shown, message } = await exchange('turn on the light', { voice: { durationMs: 1500 } });
    expect(shown).toMatchObject({ kind: 'audio', text: 'turn on the light', file: { durationMs: 1500, contentType: 'audio/wav' } });
    expect(message.msgtype).toBe('audio');
    expect(message.raw.content).toEqual({ downloadCode: shown.file!.downloadCode, recognition: 'turn on the light', duration: 1500 });
    expect(message.text).toBe('turn on the light');
    const wav = await download(shown.file!.downloadCode);
    expect(new TextDecoder().decode(wav.bytes.subarray(0, 4))).toBe('RIFF');
    expect(wav.bytes.length).toBe(44 + 8 * 1500);
    expect(() => sim.send('  ', { voice: true })).toThrow(/recognition text/);
  });

  it('a quote is a text message with isReplyMsg and repliedMsg {msgType, msgId, createdAt, senderId, content}, content by the quoted type', async () => {
    const { sim, next, exchange } = await start();
    // the bot's own text reply, quoted: senderId is the bot's chatbotUserId
    const first = next();
    const botReply = await sim.chat('hello');
    const hello = await first;
    const { shown: quoting, message } = await exchange('what did you mean?', { quote: botReply.id });
    expect(quoting.quote).toMatchObject({ id: botReply.id, sender: 'TestBot', text: 'ok 1' });
    expect(message.msgtype).toBe('text');
    expect(message.text).toBe('what did you mean?');
    expect(message.raw.text).toEqual({
      content: ' what did you mean?',
      isReplyMsg: true,
      repliedMsg: { msgType: 'text', msgId: expect.stringMatching(/^msg/), createdAt: botReply.at, senderId: hello.chatbotUserId, content: { content: 'ok 1' } },
    });
    expect(message.quoted).toMatchObject({ msgtype: 'text', text: 'ok 1', fromBot: true }); // as the SDK reads it

    // the user's own picture, quoted: its msgId is the one the bot got, its content the downloadCode
    const repliedMsg = (m: ChatbotMessage) => (m.raw.text as unknown as { repliedMsg: unknown }).repliedMsg;
    const code = sim.upload(PNG, { fileName: 'dot.png', contentType: 'image/png' });
    const picture = await exchange('', { picture: code });
    const quotingPicture = await exchange('this one', { quote: picture.shown.id });
    expect(repliedMsg(quotingPicture.message)).toEqual({ msgType: 'picture', msgId: picture.message.msgId, createdAt: picture.shown.at, senderId: picture.message.senderId, content: { downloadCode: code } });
    expect(quotingPicture.message.quoted).toMatchObject({ msgtype: 'picture', downloadCodes: [code], fromBot: false });

    // a file the user sent, quoted: the same spaceId, fileName, downloadCode and fileId
    const file = await exchange('', { file: sim.upload(new Uint8Array([1, 2]), { fileName: 'a.bin' }) });
    const quotingFile = await exchange('and this', { quote: file.shown.id });
    expect(repliedMsg(quotingFile.message)).toMatchObject({ msgType: 'file', msgId: file.message.msgId, content: file.message.raw.content });

    expect(() => sim.send('hm', { quote: 'm9999' })).toThrow(/no message m9999 to quote/);
    expect(() => sim.send('hm', { quote: botReply.id, conversation: 'group' })).toThrow(/to quote in the group/);
    expect(() => sim.send('', { quote: botReply.id, picture: code })).toThrow(/only a text message can quote/);
  });

  it('with groupMessages: "all", a group message that does not @ the bot arrives with isInAtList false', async () => {
    const { sim, next } = await start({ groupMessages: 'all' });
    let arrived = next();
    expect(sim.send('lunch anyone? @Alice', { conversation: 'group' })).toMatchObject({ delivered: true, mentions: ['Alice'] });
    let message = await arrived;
    expect(message).toMatchObject({ isInAtList: false, conversationType: '2', text: 'lunch anyone? @Alice' });
    expect(JSON.stringify(message.atUsers)).not.toContain('simbot');
    arrived = next();
    sim.send('@TestBot and you?', { conversation: 'group' });
    message = await arrived;
    expect(message).toMatchObject({ isInAtList: true, text: 'and you?' });
  });

  it('the page uploads with its file name in a custom header (a foreign page cannot), and shows pictures back with no way to run as a page', async () => {
    const { sim, next } = await start();
    const host = sim.gateway.openApiHost;
    const upload = (body: Uint8Array, type: string, headers: Record<string, string>) => fetch(`${host}/sim/api/upload`, { method: 'POST', headers: { 'content-type': type, ...headers }, body: new Blob([body as Uint8Array<ArrayBuffer>]) });
    expect((await upload(PNG, 'image/png', {})).status).toBe(403);
    expect((await upload(PNG, 'image/png', { 'x-sim-file-name': 'a.png', origin: 'https://evil.example' })).status).toBe(403);
    const res = await upload(PNG, 'image/png', { 'x-sim-file-name': encodeURIComponent('点.png') });
    const { downloadCode, file } = (await res.json()) as { downloadCode: string; file: { name: string } };
    expect(file.name).toBe('点.png');
    const arrived = next();
    const sent = await fetch(`${host}/sim/api/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ conversation: 'single', text: '', picture: downloadCode }) });
    expect(sent.status).toBe(200);
    expect((await arrived).raw.content).toEqual({ pictureDownloadCode: downloadCode, downloadCode });

    const shown = await fetch(`${host}/sim/file?code=${downloadCode}`);
    expect(shown.headers.get('content-type')).toBe('image/png');
    expect(shown.headers.get('x-content-type-options')).toBe('nosniff');
    expect(shown.headers.get('content-security-policy')).toContain('sandbox');
    const html = await (await upload(new TextEncoder().encode('<script>alert(1)</script>'), 'text/html', { 'x-sim-file-name': 'x.html' })).json();
    const served = await fetch(`${host}/sim/file?code=${(html as { downloadCode: string }).downloadCode}`);
    expect(served.headers.get('content-type')).toBe('application/octet-stream');
    expect(served.headers.get('content-disposition')).toMatch(/^attachment/);
    // the page's uploads and its own loads of them stay off the wire (the bot's downloads show there)
    expect(sim.gateway.requests.some((r) => r.path === '/sim/api/upload' || r.path === '/sim/file')).toBe(false);
  });
});

describe('simulator: an AI card on a template with buttons', () => {
  it('draws the template\'s buttons on the finished AI card, and a press reaches the bot as a card callback', async () => {
    // what `dev --card-template 02fcf2f4-….schema=like.json` loads
    const like = { buttons: [{ text: 'Like', actionId: 'like', params: { feedback: 'like' } }, { text: 'Dislike', actionId: 'dislike', params: { feedback: 'dislike' } }] };
    const sim = await DingTalkSimulator.start({ botName: 'TestBot', cardTemplates: { [STOCK_AI_TEMPLATE]: like } });
    const client = new DingTalkStreamClient({ ...sim.clientOptions(), logger: null });
    const api = new DingTalkOpenApi(client, { oapiHost: sim.gateway.openApiHost });
    const pressed: CardCallback[] = [];
    registerChatbotHandler(client, async (message) => {
      const card = await AIStreamingCard.create(api, message, { templateId: STOCK_AI_TEMPLATE, minIntervalMs: 0 });
      await card.append('An answer.');
      await card.finish();
    });
    registerCardCallbackHandler(client, (callback) => void pressed.push(callback));
    await client.start();
    cleanups.push(() => sim.close(), () => client.stop());
    sim.send('question');
    const card = await sim.waitForMessage((m) => m.kind === 'aiCard' && m.status === 'finished', 10_000);
    expect(card).toMatchObject({ text: 'An answer.', buttons: [{ id: '0', text: 'Like' }, { id: '1', text: 'Dislike' }] });
    sim.pressCardButton(card.id, '0');
    await sim.gateway.waitFor(() => pressed.length === 1, 5000, 'the callback');
    expect(pressed[0]).toMatchObject({ outTrackId: card.id, params: { feedback: 'like' }, actionIds: ['like'] });
    // still an AI card, answered: no failure note
    expect(sim.messages.find((m) => m.id === card.id)).toMatchObject({ kind: 'aiCard', status: 'finished' });
    expect(sim.messages.find((m) => m.id === card.id)!.note).toBeUndefined();
  });
});
