import { describe, expect, it } from 'vitest';
import { AI_CARD_TEMPLATE_ID, AIStreamingCard, ChatbotMessage, DingTalkOpenApi, OpenApiError } from '../../src/chatbot/index.js';
import { chatbotMessage, installFakeOpenApi } from '../../src/testing/index.js';
import { client, gateway } from '../helpers/setup.js';

async function setup() {
  const gw = await gateway();
  const fake = installFakeOpenApi(gw);
  const api = new DingTalkOpenApi(client(gw), { oapiHost: gw.openApiHost });
  const message = ChatbotMessage.from(chatbotMessage({ sessionWebhook: gw.sessionWebhook(), conversationType: '2' }));
  const puts = () => fake.calls('/v1.0/card/instances', 'PUT').map((r) => (r.body as { cardData: { cardParamMap: Record<string, string> } }).cardData.cardParamMap);
  const streams = () => fake.calls('/v1.0/card/streaming', 'PUT').map((r) => r.body as Record<string, unknown>);
  return { gw, fake, api, message, puts, streams };
}

describe('AIStreamingCard', () => {
  it('runs the whole lifecycle: processing → inputting → coalesced streaming of the accumulated text → finished', async () => {
    const { gw, fake, api, message, puts, streams } = await setup();
    const card = await AIStreamingCard.create(api, message, { title: 'Assistant', throttleMs: 20 });
    const created = fake.calls('/v1.0/card/instances/createAndDeliver', 'POST')[0]!.body as Record<string, any>;
    expect(created).toMatchObject({
      cardTemplateId: AI_CARD_TEMPLATE_ID,
      outTrackId: card.outTrackId,
      cardData: { cardParamMap: { msgTitle: 'Assistant', flowStatus: '1' } },
      callbackType: 'STREAM',
      openSpaceId: `dtv1.card//IM_GROUP.${message.conversationId}`,
    });

    // 50 tokens in one tick: one coalesced streaming PUT, not fifty
    const tokens = Array.from({ length: 50 }, (_, i) => `t${i} `);
    for (const t of tokens) await card.append(t);
    await gw.waitFor(() => streams().length === 1, 2000, 'the coalesced streaming PUT');
    expect(puts()[0]).toMatchObject({ flowStatus: '2', msgContent: tokens.join(''), msgTitle: 'Assistant' });
    expect(JSON.parse(puts()[0]!.sys_full_json_obj!).order).toContain('msgContent');
    expect(streams()[0]).toEqual({ outTrackId: card.outTrackId, guid: expect.any(String), key: 'msgContent', content: tokens.join(''), isFull: true, isFinalize: false, isError: false });

    await card.append('end.');
    await card.finish();
    const last = streams().at(-1)!;
    expect(last).toMatchObject({ content: `${tokens.join('')}end.`, isFinalize: true, isError: false });
    expect(puts().at(-1)).toMatchObject({ flowStatus: '3', msgContent: `${tokens.join('')}end.` });
    expect(card.status).toBe('finished');
    expect(streams().every((s, i, all) => i === 0 || String(s.content).startsWith(String(all[i - 1]!.content)))).toBe(true);
    await expect(card.append('more')).rejects.toMatchObject({ code: 'AI_CARD_CLOSED' });
  });

  it('always sends the final text, even when finish() comes before the throttled update', async () => {
    const { api, message, puts, streams } = await setup();
    const card = await AIStreamingCard.create(api, message, { throttleMs: 60_000 });
    await card.append('a');
    await card.append('b');
    await card.finish('final answer');
    expect(streams()).toEqual([]); // never reached inputting: one full update instead
    expect(puts()).toEqual([expect.objectContaining({ flowStatus: '3', msgContent: 'final answer' })]);
  });

  it('marks the card failed with the text so far and the reason', async () => {
    const { api, fake, puts } = await setup();
    const card = await AIStreamingCard.create(api, { userId: 'staff1' }, { throttleMs: 10 });
    expect(fake.calls('/v1.0/card/instances/createAndDeliver')[0]!.body).toMatchObject({ openSpaceId: 'dtv1.card//IM_ROBOT.staff1' });
    await card.append('partial');
    await card.fail('The model is unavailable.');
    expect(puts().at(-1)).toMatchObject({ flowStatus: '5', msgContent: 'partial\n\nThe model is unavailable.' });
    expect(card.status).toBe('failed');
  });

  it('reports a failed background update at the next call', async () => {
    const { gw, fake, api, message, streams } = await setup();
    const card = await AIStreamingCard.create(api, message, { throttleMs: 0 });
    fake.failNext('/v1.0/card/streaming', { status: 500, code: 'InternalError', message: 'boom' });
    await card.append('x');
    await gw.waitFor(() => streams().length === 1, 2000, 'the failing streaming PUT');
    // the PUT's failure is kept and thrown by finish(), after the in-flight PUT settled
    const err = await card.finish().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenApiError);
    expect((err as OpenApiError).dingtalkCode).toBe('InternalError');
  });
});
