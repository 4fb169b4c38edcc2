// The simulator accepts what production DingTalk accepts (issue 16): requests shaped the way
// the official Python SDK and the DingTalk team's channel SDKs send them, written from their
// documented shapes.
import { afterEach, describe, expect, it } from 'vitest';
import { DingTalkStreamClient } from '../../adapters/node.js';
import { DingTalkOpenApi, parseCardCallback, registerCardCallbackHandler, registerChatbotHandler, type CardCallback, type ChatbotMessage } from '../../src/chatbot/index.js';
import { DingTalkSimulator, SIMULATOR_APPROVAL_TEMPLATE, type SimMessage } from '../../src/testing/index.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A simulator with a bot that only records what it receives; the test then calls DingTalk itself. */
async function start() {
  const sim = await DingTalkSimulator.start({ botName: 'TestBot' });
  const client = new DingTalkStreamClient({ ...sim.clientOptions(), logger: null });
  const waiting: Array<(m: ChatbotMessage) => void> = [];
  registerChatbotHandler(client, (message) => waiting.shift()?.(message));
  await client.start();
  cleanups.push(() => sim.close(), () => client.stop());
  const host = sim.gateway.openApiHost;
  const token = async () => {
    const res = await post(`${host}/v1.0/oauth2/accessToken`, { appKey: sim.gateway.clientId, appSecret: sim.gateway.clientSecret });
    return String(((await res.json()) as { accessToken: string }).accessToken);
  };
  const userMessage = async (text: string) => {
    const arrived = new Promise<ChatbotMessage>((resolve) => waiting.push(resolve));
    const shown = sim.send(text);
    return { shown, message: await arrived };
  };
  return { sim, host, token, userMessage };
}

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function wire(sim: DingTalkSimulator): Promise<Array<{ kind: string; text: string }>> {
  const controller = new AbortController();
  const res = await fetch(`${sim.gateway.openApiHost}/sim/events`, { signal: controller.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
  controller.abort();
  return JSON.parse(text.slice('data: '.length, text.indexOf('\n\n'))).state.wire;
}

describe('simulator: what production accepts', () => {
  it('draws session-webhook replies in the channel SDKs\' msgKey/msgParam form, and refuses an object msgParam as production does', async () => {
    const { sim, token, userMessage } = await start();
    const { message } = await userMessage('hello');
    const webhook = message.sessionWebhook!;
    const auth = { 'x-acs-dingtalk-access-token': await token() };
    // channel SDK reply.text / reply.markdown: msgParam is a JSON string
    const text = await post(webhook, { msgKey: 'sampleText', msgParam: JSON.stringify({ content: 'plain answer' }) }, auth);
    expect(await text.json()).toMatchObject({ errcode: 0 });
    const md = await post(webhook, { msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title: 'Sum', text: '**2**' }) }, auth);
    expect(md.status).toBe(200);
    const bot = (kind: SimMessage['kind']) => sim.waitForMessage((m) => m.from === 'bot' && m.kind === kind);
    expect((await bot('text')).text).toBe('plain answer');
    expect(await bot('markdown')).toMatchObject({ title: 'Sum', text: '**2**' });
    // the channel SDKs record that production answers 400 to msgParam sent as an object
    const object = await post(webhook, { msgKey: 'sampleText', msgParam: { content: 'x' } }, auth);
    expect(object.status).toBe(400);
    expect(sim.messages.filter((m) => m.from === 'bot' && m.kind === 'raw')).toEqual([]);
    // the documented msgtype form (Python SDK reply_text) still draws
    await post(webhook, { msgtype: 'text', text: { content: 'python form' } });
    expect((await sim.waitForMessage((m) => m.text === 'python form')).kind).toBe('text');
  });

  it('serves the legacy gettoken, checking the app\'s credentials, and its token works on legacy endpoints', async () => {
    const { sim, host } = await start();
    const good = await fetch(`${host}/gettoken?appkey=${encodeURIComponent(sim.gateway.clientId)}&appsecret=${encodeURIComponent(sim.gateway.clientSecret)}`);
    const body = (await good.json()) as { errcode: number; access_token: string; expires_in: number };
    expect(body).toMatchObject({ errcode: 0, expires_in: 7200 });
    const bad = (await (await fetch(`${host}/gettoken?appkey=${encodeURIComponent(sim.gateway.clientId)}&appsecret=wrong`)).json()) as { errcode: number; access_token?: string };
    expect(bad.errcode).not.toBe(0);
    expect(bad.access_token).toBeUndefined();
    // the channel SDK uploads media with the legacy token (a pdf: DingTalk's files are doc(x), xls(x), ppt(x), zip, pdf, rar; a .txt gets errcode 40005)
    const form = new FormData();
    form.set('type', 'file');
    form.set('media', new Blob(['%PDF-1.7']), 'a.pdf');
    const upload = await fetch(`${host}/media/upload?access_token=${body.access_token}&type=file`, { method: 'POST', body: form });
    expect(await upload.json()).toMatchObject({ errcode: 0 });
  });

  it('draws emotion reactions on the user\'s message and removes them on recall; checks token and body', async () => {
    const { sim, host, token, userMessage } = await start();
    const { shown, message } = await userMessage('think about it');
    const auth = { 'x-acs-dingtalk-access-token': await token() };
    // the channel SDKs' shape: emotionType 2 with a text emotion (id 2659900)
    const reaction = (name: string) => ({
      robotCode: message.robotCode,
      openConversationId: message.conversationId,
      openMsgId: message.msgId,
      emotionType: 2,
      emotionName: name,
      textEmotion: { emotionId: '2659900', emotionName: name, text: name, backgroundId: 'im_bg_1' },
    });
    expect((await post(`${host}/v1.0/robot/emotion/reply`, reaction('🤔Thinking'), auth)).status).toBe(200);
    await sim.waitForMessage((m) => m.id === shown.id && (m.reactions ?? []).includes('🤔Thinking'));
    expect((await post(`${host}/v1.0/robot/emotion/recall`, reaction('🤔Thinking'), auth)).status).toBe(200);
    expect((await post(`${host}/v1.0/robot/emotion/reply`, reaction('🥳Done'), auth)).status).toBe(200);
    await sim.waitForMessage((m) => m.id === shown.id && (m.reactions ?? []).join() === '🥳Done');

    expect((await post(`${host}/v1.0/robot/emotion/reply`, reaction('x'))).status).toBe(401);
    const { openMsgId: _dropped, ...noMsg } = reaction('x');
    const missing = await post(`${host}/v1.0/robot/emotion/reply`, noMsg, auth);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: 'MissingParameter' });
  });

  it('draws AI cards by behaviour: the stock template, any card that streams or gets a flowStatus, and a template marked aiCard', async () => {
    const { sim, host, token, userMessage } = await start();
    const { message } = await userMessage('stream please');
    const auth = { 'x-acs-dingtalk-access-token': await token() };
    const put = (path: string, body: unknown) => fetch(`${host}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) });
    const openSpaceId = `dtv1.card//IM_ROBOT.${message.senderStaffId}`;
    const deliver = async (cardTemplateId: string, outTrackId: string) => {
      // the channel SDK: create with the stock template, then deliver to the 1:1 chat
      expect((await post(`${host}/v1.0/card/instances`, { cardTemplateId, outTrackId, cardData: { cardParamMap: { config: '{"autoLayout":true}' } }, callbackType: 'STREAM' }, auth)).status).toBe(200);
      const delivered = await post(`${host}/v1.0/card/instances/deliver`, { outTrackId, userIdType: 1, openSpaceId, imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode: message.robotCode } }, auth);
      expect(delivered.status).toBe(200);
    };
    const card = (id: string) => sim.messages.find((m) => m.id === id);

    await deliver('02fcf2f4-5e02-4a85-b672-46d1f715543e.schema', 'stock-1');
    expect(card('stock-1')).toMatchObject({ kind: 'aiCard', status: 'processing' });
    await put('/v1.0/card/instances', { outTrackId: 'stock-1', cardData: { cardParamMap: { flowStatus: '2', msgContent: '' } } });
    await put('/v1.0/card/streaming', { outTrackId: 'stock-1', guid: 'g1', key: 'msgContent', content: 'half', isFull: true, isFinalize: false, isError: false });
    await put('/v1.0/card/instances', { outTrackId: 'stock-1', cardData: { cardParamMap: { flowStatus: '3', msgContent: 'all done' } }, cardUpdateOptions: { updateCardDataByKey: true } });
    await sim.waitForMessage((m) => m.id === 'stock-1' && m.status === 'finished' && m.text === 'all done');

    // a template the simulator never heard of: plain until it streams
    await deliver('someone-elses.schema', 'other-1');
    expect(card('other-1')?.kind).toBe('card');
    await put('/v1.0/card/streaming', { outTrackId: 'other-1', guid: 'g2', key: 'msgContent', content: 'streamed', isFull: true, isFinalize: false, isError: false });
    await sim.waitForMessage((m) => m.id === 'other-1' && m.kind === 'aiCard' && m.text === 'streamed');
  });

  it('draws a card of a template marked aiCard (dev --card-template) as an AI card from the start', async () => {
    const sim = await DingTalkSimulator.start({ cardTemplates: { 'mine.schema': { aiCard: true } } });
    cleanups.push(() => sim.close());
    const host = sim.gateway.openApiHost;
    const res = await post(`${host}/v1.0/oauth2/accessToken`, { appKey: sim.gateway.clientId, appSecret: sim.gateway.clientSecret });
    const auth = { 'x-acs-dingtalk-access-token': ((await res.json()) as { accessToken: string }).accessToken };
    const body = { cardTemplateId: 'mine.schema', outTrackId: 'mine-1', cardData: { cardParamMap: { msgTitle: 'Mine' } }, openSpaceId: 'dtv1.card//IM_ROBOT.sim-user-0001' };
    expect((await post(`${host}/v1.0/card/instances/createAndDeliver`, body, auth)).status).toBe(200);
    expect(await sim.waitForMessage((m) => m.id === 'mine-1')).toMatchObject({ kind: 'aiCard', title: 'Mine', status: 'processing' });
  });

  it('sends card callbacks with the fields production sends: content, value and extension', async () => {
    const sim = await DingTalkSimulator.start({ botName: 'TestBot' });
    const client = new DingTalkStreamClient({ ...sim.clientOptions(), logger: null });
    const api = new DingTalkOpenApi(client, { oapiHost: sim.gateway.openApiHost });
    const pressed: CardCallback[] = [];
    registerChatbotHandler(client, (message) => api.createAndDeliverCard({ cardTemplateId: SIMULATOR_APPROVAL_TEMPLATE, to: message, cardData: { title: 'Go?' } }).then(() => undefined));
    registerCardCallbackHandler(client, (callback) => void pressed.push(callback));
    await client.start();
    cleanups.push(() => sim.close(), () => client.stop());
    const card = await sim.chat('card');
    sim.pressCardButton(card.id, '0');
    await sim.gateway.waitFor(() => sim.gateway.pushes.some((p) => p.topic === '/v1.0/card/instances/callback' && p.state === 'acked'));
    const raw = pressed[0]!.raw;
    expect(raw).toMatchObject({ type: 'actionCallback', outTrackId: card.id, userIdType: 1, extension: '{}' });
    expect(typeof raw.content).toBe('string');
    expect(raw.value).toBe(raw.content);
    expect(pressed[0]!.params).toEqual({ action: 'approved' });
    // a callback carrying only `value` still parses
    const { content: _content, ...valueOnly } = raw;
    expect(parseCardCallback(valueOnly).params).toEqual({ action: 'approved' });
  });

  it('api.reactToMessage marks the user\'s message through the emotion API, and recalls a mark', async () => {
    const sim = await DingTalkSimulator.start({ botName: 'TestBot' });
    const client = new DingTalkStreamClient({ ...sim.clientOptions(), logger: null });
    const api = new DingTalkOpenApi(client, { oapiHost: sim.gateway.openApiHost });
    registerChatbotHandler(client, async (message, reply) => {
      const mark = { openConversationId: message.conversationId, openMsgId: message.msgId };
      await api.reactToMessage({ ...mark, name: '🤔Thinking' });
      await reply.text('working on it');
      await api.reactToMessage({ ...mark, name: '🤔Thinking', recall: true });
      await api.reactToMessage({ ...mark, name: '🥳Done' });
    });
    await client.start();
    cleanups.push(() => sim.close(), () => client.stop());
    const shown = sim.send('mark me');
    await sim.waitForMessage((m) => m.id === shown.id && (m.reactions ?? []).join() === '🥳Done');
    const [first] = sim.openApi.calls('/v1.0/robot/emotion/reply');
    expect(first?.body).toMatchObject({ emotionType: 2, emotionName: '🤔Thinking', openConversationId: 'cidSimSingleChat==', textEmotion: { emotionId: '2659900', text: '🤔Thinking' } });
    expect(sim.openApi.calls('/v1.0/robot/emotion/recall')).toHaveLength(1);
  });

  it('shows a call the simulator cannot serve on the wire, with its path and a hint', async () => {
    const { sim, host } = await start();
    const res = await post(`${host}/v1.0/robot/unknownThing`, { a: 1 });
    expect(res.status).toBe(404);
    const entry = (await wire(sim)).find((e) => e.kind.startsWith('POST /v1.0/robot/unknownThing → 404'));
    expect(entry?.kind).toContain('not served');
    expect(entry?.text).toContain('does not serve POST /v1.0/robot/unknownThing');
  });
});
