import { describe, expect, it } from 'vitest';
import { ChatbotMessage, DingTalkOpenApi, OpenApiError, robotMessage } from '../../src/chatbot/index.js';
import { chatbotMessage, installFakeOpenApi, type FakeDingTalkGateway } from '../../src/testing/index.js';
import { client, gateway } from '../helpers/setup.js';

async function setup(options: Parameters<typeof installFakeOpenApi>[1] = {}) {
  const gw = await gateway();
  const fake = installFakeOpenApi(gw, options);
  const c = client(gw);
  const api = new DingTalkOpenApi(c, { oapiHost: gw.openApiHost });
  return { gw, fake, c, api };
}

const message = (gw: FakeDingTalkGateway, conversationType: '1' | '2', extra?: Record<string, unknown>) =>
  ChatbotMessage.from(chatbotMessage({ sessionWebhook: gw.sessionWebhook(), conversationType, senderStaffId: 'staff1', senderNick: 'Ann', ...(extra ? { extra } : {}) }));

describe('access token', () => {
  it('POSTs appKey/appSecret to /v1.0/oauth2/accessToken and sends the token in x-acs-dingtalk-access-token', async () => {
    const { gw, fake, api } = await setup();
    await api.sendRobotToUsers({ userIds: ['u1'], ...robotMessage.text('hi') });
    const tokenCall = fake.tokenRequests[0]!;
    expect(tokenCall.method).toBe('POST');
    expect(tokenCall.body).toEqual({ appKey: gw.clientId, appSecret: gw.clientSecret });
    const call = fake.calls('/v1.0/robot/oToMessages/batchSend')[0]!;
    expect(call.headers['x-acs-dingtalk-access-token']).toBe(fake.tokens[0]);
    expect(call.headers['content-type']).toBe('application/json');
  });

  it('makes exactly one token request for 50 concurrent callers, then reuses the cached token', async () => {
    const { fake, api } = await setup({ tokenDelayMs: 30 });
    const tokens = await Promise.all(Array.from({ length: 50 }, () => api.accessToken()));
    expect(fake.tokenRequests).toHaveLength(1);
    expect(new Set(tokens)).toEqual(new Set([fake.tokens[0]]));
    await Promise.all(Array.from({ length: 10 }, (_, i) => api.sendRobotToUsers({ userIds: [`u${i}`], ...robotMessage.text('x') })));
    expect(fake.tokenRequests).toHaveLength(1);
  });

  it('refreshes the token once after a 401 and succeeds', async () => {
    const { fake, api } = await setup();
    await api.accessToken();
    fake.revokeTokens();
    const result = await api.sendRobotToGroup({ openConversationId: 'cid1', ...robotMessage.text('hi') });
    expect(result.processQueryKey).toBeTruthy();
    expect(fake.tokenRequests).toHaveLength(2);
    const calls = fake.calls('/v1.0/robot/groupMessages/send');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.headers['x-acs-dingtalk-access-token']).toBe(fake.tokens[0]);
    expect(calls[1]!.headers['x-acs-dingtalk-access-token']).toBe(fake.tokens[1]);
  });

  it('gives up after one refresh if the new token is refused too', async () => {
    const { fake, api } = await setup();
    fake.failNext('/v1.0/robot/groupMessages/send', { status: 401, code: 'InvalidAuthentication', message: 'bad token' }, 2);
    const err = await api.sendRobotToGroup({ openConversationId: 'cid1', ...robotMessage.text('hi') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenApiError);
    expect((err as OpenApiError).status).toBe(401);
    expect(fake.calls('/v1.0/robot/groupMessages/send')).toHaveLength(2);
    expect(fake.tokenRequests).toHaveLength(2);
  });

  it('refetches once the cached token is near its expireIn', async () => {
    const { fake, api } = await setup({ expireIn: 0.05 });
    await api.accessToken();
    await new Promise((r) => setTimeout(r, 60));
    await api.accessToken();
    expect(fake.tokenRequests).toHaveLength(2);
  });

  it('fails with ACCESS_TOKEN_FAILED on bad credentials, without the secret in the error', async () => {
    const gw = await gateway();
    installFakeOpenApi(gw);
    const api = new DingTalkOpenApi({ clientId: gw.clientId, clientSecret: 'wrong-secret-123456', openApiHost: gw.openApiHost });
    const err = (await api.accessToken().catch((e: unknown) => e)) as OpenApiError;
    expect(err).toBeInstanceOf(OpenApiError);
    expect(err.code).toBe('ACCESS_TOKEN_FAILED');
    expect(err.status).toBe(400);
    expect(err.dingtalkCode).toBe('invalidClientIdOrSecret');
    expect(`${err.message} ${JSON.stringify(err)}`).not.toContain('wrong-secret-123456');
  });
});

describe('errors', () => {
  it("turns DingTalk's {code, message, requestid} into a typed OpenApiError with no token or secret", async () => {
    const { gw, fake, api, c } = await setup();
    fake.failNext('/v1.0/robot/oToMessages/batchSend', { status: 403, code: 'Forbidden.AccessDenied', message: 'no permission' });
    const err = (await api.sendRobotToUsers({ userIds: ['u1'], ...robotMessage.text('x') }).catch((e: unknown) => e)) as OpenApiError;
    expect(err).toBeInstanceOf(OpenApiError);
    expect(err.code).toBe('OPENAPI_ERROR');
    expect(err.status).toBe(403);
    expect(err.dingtalkCode).toBe('Forbidden.AccessDenied');
    expect(err.requestId).toMatch(/\w+/);
    expect(err.message).toContain('POST /v1.0/robot/oToMessages/batchSend');
    expect(err.message).toContain('no permission');
    for (const secret of [fake.tokens[0]!, gw.clientSecret]) {
      expect(err.message).not.toContain(secret);
      expect(JSON.stringify(err)).not.toContain(secret);
      expect(c.log.lines.join('\n')).not.toContain(secret);
    }
  });

  it('reports a network failure with status 0', async () => {
    const api = new DingTalkOpenApi({ clientId: 'id', clientSecret: 'secret-value', openApiHost: 'http://127.0.0.1:9' });
    const err = (await api.accessToken().catch((e: unknown) => e)) as OpenApiError;
    expect(err).toBeInstanceOf(OpenApiError);
    expect(err.status).toBe(0);
  });
});

describe('endpoints', () => {
  it('sends robot messages 1:1 (oToMessages/batchSend) and to a group (groupMessages/send), msgParam as a JSON string', async () => {
    const { gw, fake, api } = await setup();
    await api.sendRobotToUsers({ userIds: ['u1', 'u2'], ...robotMessage.markdown('T', '**x**') });
    await api.sendRobotToGroup({ openConversationId: 'cid9', robotCode: 'robot9', ...robotMessage.actionCard({ title: 't', text: 'x', singleTitle: 'go', singleURL: 'https://a.example' }) });
    const one = fake.calls('/v1.0/robot/oToMessages/batchSend', 'POST')[0]!;
    expect(one.body).toEqual({ robotCode: gw.clientId, userIds: ['u1', 'u2'], msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title: 'T', text: '**x**' }) });
    const group = fake.calls('/v1.0/robot/groupMessages/send', 'POST')[0]!;
    expect(group.body).toEqual({ robotCode: 'robot9', openConversationId: 'cid9', msgKey: 'sampleActionCard', msgParam: JSON.stringify({ title: 't', text: 'x', singleTitle: 'go', singleURL: 'https://a.example' }) });
  });

  it('sends and updates a legacy interactive card to a group and to a 1:1 chat', async () => {
    const { gw, fake, api } = await setup();
    const card = { config: { autoLayout: true }, header: { title: { type: 'text', text: 'hi' } } };
    const id = await api.sendInteractiveCard({ to: message(gw, '2'), cardData: card, atSender: true });
    await api.sendInteractiveCard({ to: message(gw, '1'), cardData: card, cardBizId: 'biz-1' });
    await api.updateInteractiveCard(id, { ...card, v: 2 });
    const [group, single] = fake.calls('/v1.0/im/v1.0/robot/interactiveCards/send', 'POST');
    expect(group!.headers['x-acs-dingtalk-access-token']).toBe(fake.tokens[0]);
    expect(group!.body).toEqual({
      cardTemplateId: 'StandardCard',
      robotCode: gw.clientId,
      cardData: JSON.stringify(card),
      cardBizId: id,
      openConversationId: 'cidAsXSBLnA==',
      sendOptions: { atAll: false, atUserListJson: JSON.stringify([{ nickName: 'Ann', userId: 'staff1' }]) },
    });
    expect(single!.body).toMatchObject({ cardBizId: 'biz-1', singleChatReceiver: JSON.stringify({ userId: 'staff1' }), sendOptions: { atAll: false } });
    expect(fake.calls('/v1.0/im/robots/interactiveCards', 'PUT')[0]!.body).toEqual({ cardBizId: id, cardData: JSON.stringify({ ...card, v: 2 }) });
  });

  it('creates, delivers (group and 1:1), creates-and-delivers and updates card instances', async () => {
    const { gw, fake, api } = await setup();
    const outTrackId = await api.createCard({ cardTemplateId: 'tpl.schema', cardData: { title: 'Vote', count: 2, open: true } });
    expect(fake.calls('/v1.0/card/instances', 'POST')[0]!.body).toEqual({
      cardTemplateId: 'tpl.schema',
      outTrackId,
      cardData: { cardParamMap: { title: 'Vote', count: '2', open: 'true' } },
      callbackType: 'STREAM',
      imGroupOpenSpaceModel: { supportForward: true },
      imRobotOpenSpaceModel: { supportForward: true },
    });
    await api.deliverCard({ outTrackId, to: message(gw, '2', { hostingContext: { userId: 'owner1', nick: 'Boss' } }), atSender: true, recipients: ['staff1'] });
    await api.deliverCard({ outTrackId, to: message(gw, '1') });
    await api.deliverCard({ outTrackId, to: { openConversationId: 'cidX' }, atAll: true });
    const [group, single, all] = fake.calls('/v1.0/card/instances/deliver', 'POST').map((r) => r.body);
    expect(group).toEqual({
      outTrackId,
      openSpaceId: 'dtv1.card//IM_GROUP.cidAsXSBLnA==',
      userIdType: 1,
      imGroupOpenDeliverModel: { robotCode: gw.clientId, atUserIds: { staff1: 'Ann' }, recipients: ['staff1'], extension: { hostingRepliedContext: JSON.stringify({ userId: 'owner1' }) } },
    });
    expect(single).toEqual({ outTrackId, openSpaceId: 'dtv1.card//IM_ROBOT.staff1', userIdType: 1, imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT' } });
    expect(all).toMatchObject({ openSpaceId: 'dtv1.card//IM_GROUP.cidX', imGroupOpenDeliverModel: { atUserIds: { '@ALL': '@ALL' } } });

    const id2 = await api.createAndDeliverCard({ cardTemplateId: 'tpl.schema', outTrackId: 'track-2', cardData: { a: 'b' }, to: { userId: 'u7' }, extra: { openDynamicDataConfig: { x: 1 } } });
    expect(id2).toBe('track-2');
    expect(fake.calls('/v1.0/card/instances/createAndDeliver', 'POST')[0]!.body).toEqual({
      cardTemplateId: 'tpl.schema',
      outTrackId: 'track-2',
      cardData: { cardParamMap: { a: 'b' } },
      callbackType: 'STREAM',
      imGroupOpenSpaceModel: { supportForward: true },
      imRobotOpenSpaceModel: { supportForward: true },
      openSpaceId: 'dtv1.card//IM_ROBOT.u7',
      userIdType: 1,
      imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT' },
      openDynamicDataConfig: { x: 1 },
    });

    await api.updateCard({ outTrackId, cardData: { count: 3 }, privateData: { staff1: { voted: true } } });
    const put = fake.calls('/v1.0/card/instances', 'PUT')[0]!;
    expect(put.headers['x-acs-dingtalk-access-token']).toBe(fake.tokens[0]);
    expect(put.body).toEqual({
      outTrackId,
      cardData: { cardParamMap: { count: '3' } },
      privateData: { staff1: { cardParamMap: { voted: 'true' } } },
      cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
      userIdType: 1,
    });
  });

  it('streams card content with PUT /v1.0/card/streaming and a fresh guid per call', async () => {
    const { fake, api } = await setup();
    await api.streamCard({ outTrackId: 't1', content: 'Hel' });
    await api.streamCard({ outTrackId: 't1', content: 'Hello', isFinalize: true });
    const [a, b] = fake.calls('/v1.0/card/streaming', 'PUT').map((r) => r.body as Record<string, unknown>);
    expect(a).toEqual({ outTrackId: 't1', guid: expect.any(String), key: 'msgContent', content: 'Hel', isFull: true, isFinalize: false, isError: false });
    expect(b).toMatchObject({ content: 'Hello', isFinalize: true });
    expect(a!.guid).not.toBe(b!.guid);
  });

  it('gets a message file download URL', async () => {
    const { gw, fake, api } = await setup();
    const url = await api.messageFileDownloadUrl('dc-1');
    expect(url).toBe(`${gw.openApiHost}/files/dc-1`);
    expect(fake.calls('/v1.0/robot/messageFiles/download', 'POST')[0]!.body).toEqual({ robotCode: gw.clientId, downloadCode: 'dc-1' });
  });

  it('uploads media as multipart to the legacy host with ?access_token=, refreshing on errcode 40014', async () => {
    const { fake, api } = await setup();
    await api.accessToken();
    fake.revokeTokens();
    const mediaId = await api.uploadMedia(new Blob(['PNGDATA'], { type: 'image/png' }), { type: 'image', filename: 'chart.png' });
    expect(mediaId).toMatch(/^@lA/);
    const calls = fake.calls('/media/upload', 'POST');
    expect(calls).toHaveLength(2); // the first was refused with errcode 40014
    expect(calls[1]!.query.access_token).toBe(fake.tokens[1]);
    expect(calls[1]!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(calls[1]!.headers['x-acs-dingtalk-access-token']).toBeUndefined();
    expect(fake.uploads).toEqual([{ type: 'image', filename: 'chart.png', size: 7, text: 'PNGDATA', mediaId }]);
  });

  it('turns a legacy {errcode, errmsg} answer into an OpenApiError', async () => {
    const { fake, api } = await setup();
    fake.failNext('/media/upload', { errcode: 40004, message: 'invalid media type' });
    const err = (await api.uploadMedia(new Blob(['x'])).catch((e: unknown) => e)) as OpenApiError;
    expect(err).toBeInstanceOf(OpenApiError);
    expect(err.dingtalkCode).toBe('40004');
    expect(err.message).toContain('invalid media type');
    expect(err.message).not.toContain('access_token');
  });
});

describe('hosts', () => {
  it('sends the legacy endpoints to a local openApiHost too (a simulator serves both), and to oapi.dingtalk.com otherwise', async () => {
    const { gw, c } = await setup();
    expect(new DingTalkOpenApi(c).oapiHost).toBe(gw.openApiHost);
    expect(new DingTalkOpenApi({ clientId: 'id', clientSecret: 's', openApiHost: 'http://localhost:8788/' }).oapiHost).toBe('http://localhost:8788');
    expect(new DingTalkOpenApi({ clientId: 'id', clientSecret: 's' }).oapiHost).toBe('https://oapi.dingtalk.com');
    expect(new DingTalkOpenApi({ clientId: 'id', clientSecret: 's', openApiHost: 'https://api.dingtalk.io' }).oapiHost).toBe('https://oapi.dingtalk.com');
    expect(() => new DingTalkOpenApi({ clientId: 'id', clientSecret: 's', openApiHost: 'http://localhost.evil.example' })).toThrow(/Refusing unencrypted/);
  });
});
