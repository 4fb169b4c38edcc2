import { describe, expect, it } from 'vitest';
import { AI_CARD_MAX_CHARS, AI_CARD_TEMPLATE_ID, AIStreamingCard, ChatbotMessage, DingTalkOpenApi, OpenApiError } from '../../src/chatbot/index.js';
import { chatbotMessage, installFakeOpenApi, type FakeCardCall } from '../../src/testing/index.js';
import { client, delay, gateway } from '../helpers/setup.js';

async function setup(options: Parameters<typeof installFakeOpenApi>[1] = {}) {
  const gw = await gateway();
  const fake = installFakeOpenApi(gw, options);
  const c = client(gw);
  const api = new DingTalkOpenApi(c, { oapiHost: gw.openApiHost });
  const message = ChatbotMessage.from(chatbotMessage({ sessionWebhook: gw.sessionWebhook(), conversationType: '2' }));
  const puts = () => fake.calls('/v1.0/card/instances', 'PUT').map((r) => (r.body as { cardData: { cardParamMap: Record<string, string> } }).cardData.cardParamMap);
  const streams = () => fake.calls('/v1.0/card/streaming', 'PUT').map((r) => r.body as Record<string, unknown>);
  return { gw, fake, c, api, message, puts, streams };
}

/** The updates of one card (instance PUTs and streaming PUTs), oldest first, as the fake received them. */
const updatesOf = (calls: FakeCardCall[], outTrackId: string) => calls.filter((x) => x.method === 'PUT' && x.outTrackId === outTrackId);
const gaps = (calls: FakeCardCall[]) => calls.slice(1).map((x, i) => x.at - calls[i]!.at);

describe('AIStreamingCard', () => {
  it('runs the whole lifecycle: processing → inputting with the first text → streaming of the accumulated text → a final frame → finished', async () => {
    const { gw, fake, api, message, puts, streams } = await setup();
    const card = await AIStreamingCard.create(api, message, { title: 'Assistant', minIntervalMs: 20 });
    expect(card.delivered).toBe(true);
    const created = fake.calls('/v1.0/card/instances/createAndDeliver', 'POST')[0]!.body as Record<string, any>;
    expect(created).toMatchObject({
      cardTemplateId: AI_CARD_TEMPLATE_ID,
      outTrackId: card.outTrackId,
      cardData: { cardParamMap: { msgTitle: 'Assistant', flowStatus: '1' } },
      callbackType: 'STREAM',
      openSpaceId: `dtv1.card//IM_GROUP.${message.conversationId}`,
    });

    // 50 tokens in one tick: one coalesced update (the switch to inputting carries them), not fifty
    const tokens = Array.from({ length: 50 }, (_, i) => `t${i} `);
    for (const t of tokens) await card.append(t);
    await gw.waitFor(() => puts().length === 1, 2000, 'the first content frame');
    expect(puts()[0]).toMatchObject({ flowStatus: '2', msgContent: tokens.join(''), msgTitle: 'Assistant' });
    expect(JSON.parse(puts()[0]!.sys_full_json_obj!).order).toContain('msgContent');

    await card.append('more ');
    await gw.waitFor(() => streams().length === 1, 2000, 'a streaming update');
    expect(streams()[0]).toEqual({ outTrackId: card.outTrackId, guid: expect.any(String), key: 'msgContent', content: `${tokens.join('')}more `, isFull: true, isFinalize: false, isError: false });

    await card.append('end.');
    await card.finish();
    expect(streams().at(-1)).toMatchObject({ content: `${tokens.join('')}more end.`, isFinalize: true, isError: false });
    expect(puts().at(-1)).toMatchObject({ flowStatus: '3', msgContent: `${tokens.join('')}more end.` });
    expect(card.status).toBe('finished');
    expect(streams().every((s, i, all) => i === 0 || String(s.content).startsWith(String(all[i - 1]!.content)))).toBe(true);
    await expect(card.append('more')).rejects.toMatchObject({ code: 'AI_CARD_CLOSED' });
  });

  it('paces one card for production: one update per 800 ms however fast the model streams, 500 ms after the delivery and before the final frame, and the last text of a window never dropped', async () => {
    const { gw, fake, api, message, streams } = await setup();
    const card = await AIStreamingCard.create(api, message);
    let text = '';
    for (let i = 0; i < 30; i++) {
      text += `chunk ${i} `;
      await card.append(`chunk ${i} `);
      await delay(100); // a model streaming ten chunks a second for 3 s
    }
    // the trailing update: the card shows the whole text before anyone calls finish()
    await gw.waitFor(() => streams().at(-1)?.content === text, 3000, 'the trailing update');
    await card.finish();

    const updates = updatesOf(fake.cardCalls, card.outTrackId);
    const delivery = fake.cardCalls.find((x) => x.path.endsWith('/createAndDeliver'))!;
    expect(updates.length).toBeGreaterThanOrEqual(4);
    expect(updates.length).toBeLessThanOrEqual(8); // 3 s of text at one update per 800 ms, plus the final frame and "finished"
    expect(Math.min(...gaps(updates))).toBeGreaterThanOrEqual(750);
    expect(updates[0]!.at - delivery.at).toBeGreaterThanOrEqual(450);
    const final = updates.findIndex((x) => x.body.isFinalize === true);
    expect(updates[final]!.at - updates[final - 1]!.at).toBeGreaterThanOrEqual(450);
    expect(updates.at(-1)!.body.cardData.cardParamMap).toMatchObject({ flowStatus: '3', msgContent: text });
    expect(fake.violations).toEqual([]);
  });

  it('always sends the final text, even when finish() comes before the first update: one update that finishes', async () => {
    const { api, message, puts, streams } = await setup();
    const card = await AIStreamingCard.create(api, message, { minIntervalMs: 60_000 });
    await card.append('a');
    await card.append('b');
    await card.finish('final answer');
    expect(streams()).toEqual([]); // never reached inputting: one full update instead
    expect(puts()).toEqual([expect.objectContaining({ flowStatus: '3', msgContent: 'final answer' })]);
  });

  it('finishes with buttons and a static text, as the Python SDK\'s ai_finish(button_list) and update(static_markdown)', async () => {
    const { api, message, puts } = await setup();
    const card = await AIStreamingCard.create(api, message, { minIntervalMs: 10 });
    await card.append('answer');
    const buttons = [{ text: 'Docs', url: 'https://open.dingtalk.com', color: 'gray' }, { text: 'Again', id: 'again', request: true }];
    await card.finish({ staticText: '_from the handbook_', buttons });
    const finished = puts().at(-1)!;
    expect(finished).toMatchObject({ flowStatus: '3', msgContent: 'answer', staticMsgContent: '_from the handbook_' });
    expect(JSON.parse(finished.sys_full_json_obj!).msgButtons).toEqual(buttons);
  });

  it('marks the card failed with the text so far and the reason', async () => {
    const { api, fake, puts } = await setup();
    const card = await AIStreamingCard.create(api, { userId: 'staff1' }, { minIntervalMs: 10 });
    expect(fake.calls('/v1.0/card/instances/createAndDeliver')[0]!.body).toMatchObject({ openSpaceId: 'dtv1.card//IM_ROBOT.staff1' });
    await card.append('partial');
    await card.fail('The model is unavailable.');
    expect(puts().at(-1)).toMatchObject({ flowStatus: '5', msgContent: 'partial\n\nThe model is unavailable.' });
    expect(card.status).toBe('failed');
  });

  it('logs a failed update and carries on: the next update has the whole text', async () => {
    const { gw, c, fake, api, message, streams } = await setup();
    const card = await AIStreamingCard.create(api, message, { minIntervalMs: 10 });
    await card.append('x');
    await gw.waitFor(() => fake.calls('/v1.0/card/instances', 'PUT').length === 1, 2000, 'inputting');
    fake.failNext('/v1.0/card/streaming', { status: 400, code: 'InvalidParameter', message: 'boom' });
    await card.append('y');
    await gw.waitFor(() => streams().length === 1, 2000, 'the refused update');
    await card.append('z');
    await card.finish();
    expect(streams().at(-1)).toMatchObject({ content: 'xyz', isFinalize: true });
    expect(card.status).toBe('finished');
    expect(c.log.lines.filter((l) => l.startsWith('warn') && l.includes('update failed'))).toHaveLength(1);
  });

  it('caps every update at 20,000 characters on a character boundary and continues a longer answer in follow-up messages', async () => {
    const { gw, fake, api, message } = await setup();
    const card = await AIStreamingCard.create(api, message, { minIntervalMs: 10 });
    // an emoji (two UTF-16 units) straddles the 20,000-unit cut
    const answer = `${'字'.repeat(AI_CARD_MAX_CHARS - 4)}😀${`\n${'b'.repeat(99)}`.repeat(100)}`; // ~30,000 units
    for (let i = 0; i < answer.length; i += 3000) await card.append(answer.slice(i, i + 3000));
    await card.finish();
    const contents = fake.cardCalls.filter((x) => x.method === 'PUT').map((x) => String(x.body.content ?? x.body.cardData?.cardParamMap?.msgContent));
    expect(Math.max(...contents.map((s) => s.length))).toBeLessThanOrEqual(AI_CARD_MAX_CHARS);
    for (const s of contents) expect(s).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/); // no half emoji
    const shown = contents.at(-1)!;
    expect(shown.endsWith('\n\n…')).toBe(true);
    // the rest went out as markdown replies, split under the webhook's limit
    const replies = gw.webhookCalls.map((r) => (r.body as { markdown: { text: string } }).markdown.text);
    expect(replies.length).toBeGreaterThanOrEqual(3);
    expect(replies.every((r) => r.length <= 3500)).toBe(true);
    expect(shown.slice(0, -3) + replies.join('\n').slice(1)).toBe(answer);
  });

  it('falls back to a text reply when the card cannot be delivered (HTTP 200, success: false), with a warning', async () => {
    const { gw, c, fake, api, message } = await setup();
    fake.rejectDeliveries(1, 'robot not in group');
    const card = await AIStreamingCard.create(api, message, { title: 'Assistant', minIntervalMs: 10 });
    expect(card.delivered).toBe(false);
    expect(c.log.lines.some((l) => l.startsWith('warn') && l.includes('robot not in group'))).toBe(true);
    await card.append('the whole ');
    await card.append('answer');
    await card.finish();
    expect(fake.calls('/v1.0/card/instances', 'PUT')).toEqual([]);
    expect(gw.webhookCalls.map((r) => r.body)).toEqual([{ msgtype: 'markdown', markdown: { title: 'Assistant', text: 'the whole answer' } }]);
  });

  it('with textFallback off, a failed delivery throws the typed error instead', async () => {
    const { fake, api, message } = await setup();
    fake.rejectDeliveries(1, 'robot not in group');
    const err = await AIStreamingCard.create(api, message, { textFallback: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenApiError);
    expect(err).toMatchObject({ code: 'DELIVERY_FAILED', status: 200 });
    expect((err as Error).message).toContain('robot not in group');
  });

  it('sends the text as a reply when the card cannot be finished', async () => {
    const { gw, api, fake, message } = await setup();
    const card = await AIStreamingCard.create(api, message, { minIntervalMs: 10 });
    fake.failNext('/v1.0/card/instances', { status: 404, code: 'cardInstanceNotExist', message: 'gone' }, 2);
    await card.append('answer');
    await card.finish();
    expect(gw.webhookCalls.map((r) => (r.body as { markdown: { text: string } }).markdown.text)).toEqual(['answer']);
  });

  it('finishes a card nobody finished once the watchdog fires', async () => {
    const { gw, c, api, message, puts } = await setup();
    const card = await AIStreamingCard.create(api, message, { minIntervalMs: 10, watchdogMs: 150 });
    await card.append('left behind');
    await gw.waitFor(() => card.status === 'finished' && puts().at(-1)?.flowStatus === '3', 3000, 'the watchdog');
    expect(puts().at(-1)).toMatchObject({ msgContent: 'left behind' });
    expect(c.log.lines.some((l) => l.startsWith('warn') && l.includes('watchdog'))).toBe(true);
  });

  it('stops everything when its signal aborts', async () => {
    const { fake, api, message } = await setup();
    const controller = new AbortController();
    const card = await AIStreamingCard.create(api, message, { signal: controller.signal, minIntervalMs: 20 });
    await card.append('soon');
    controller.abort();
    expect(card.status).toBe('failed');
    await delay(200); // well past the card's 20 ms slot: nothing was sent
    expect(fake.calls('/v1.0/card/instances', 'PUT')).toEqual([]);
    await expect(card.finish()).rejects.toMatchObject({ code: 'AI_CARD_CLOSED' });
  });
});

describe('no access token in what a user prints', () => {
  it('JSON.stringify and util.inspect of a DingTalkOpenApi and of an AIStreamingCard show no token', async () => {
    const { fake, api, message } = await setup();
    const card = await AIStreamingCard.create(api, message, { minIntervalMs: 20 });
    const token = fake.tokens.at(-1)!;
    expect(token).toBeTruthy();
    const { inspect } = await import('node:util');
    // JSON.stringify with the cycle-tolerant replacer a logging library would use
    const stringify = (v: unknown) => {
      const seen = new WeakSet<object>();
      return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'object' && x !== null ? (seen.has(x) ? '[cycle]' : (seen.add(x), x)) : x));
    };
    for (const printed of [stringify(api), inspect(api, { depth: 10 }), stringify(card), inspect(card, { depth: 10 })]) expect(printed).not.toContain(token);
    await card.finish();
  });
});
