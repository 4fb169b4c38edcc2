// The OpenAPI's governor: one app-wide card budget, DingTalk's rate-limit answers, and which
// calls may be sent twice. The fake enforces production's limits (20 card calls per rolling
// second); the delays asserted are the ones the fake recorded between arrivals.
import { describe, expect, it, vi } from 'vitest';
import { DingTalkOpenApi, OpenApiError, robotMessage } from '../../src/chatbot/index.js';
import { installFakeOpenApi, type FakeCardCall } from '../../src/testing/index.js';
import { client, gateway } from '../helpers/setup.js';

async function setup(apiOptions: { fetch?: typeof fetch; cardQps?: number } = {}) {
  const gw = await gateway();
  const fake = installFakeOpenApi(gw);
  const c = client(gw);
  const api = new DingTalkOpenApi(c, { oapiHost: gw.openApiHost, ...apiOptions });
  return { gw, fake, c, api };
}

/** The most calls any rolling second holds. */
function busiestSecond(calls: FakeCardCall[]): number {
  return Math.max(0, ...calls.map((x) => calls.filter((y) => y.at > x.at - 1000 && y.at <= x.at).length));
}

const QPS_LIMIT = { status: 403, code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', message: 'app QPS limit exceeded' };

describe('the card budget (one per app)', () => {
  it('spaces 45 card calls fired at once so that no rolling second holds more than 20: none is refused', async () => {
    const { fake, api } = await setup();
    await Promise.all(Array.from({ length: 45 }, (_, i) => api.updateCard({ outTrackId: `card-${i}`, cardData: { n: i } })));
    expect(fake.cardCalls).toHaveLength(45);
    expect(fake.cardCalls.filter((x) => x.status === 403)).toEqual([]);
    expect(busiestSecond(fake.cardCalls)).toBeLessThanOrEqual(20);
    // in the order they asked
    expect(fake.cardCalls.map((x) => x.outTrackId)).toEqual(Array.from({ length: 45 }, (_, i) => `card-${i}`));
  });

  it('leaves other endpoints alone: robot messages do not wait for the card budget', async () => {
    const { gw, api } = await setup({ cardQps: 5 });
    const cards = Promise.all([1, 2, 3].map((i) => api.updateCard({ outTrackId: `c${i}`, cardData: { i } })));
    await api.sendRobotToUsers({ userIds: ['u1'], ...robotMessage.text('not a card') });
    const robot = gw.requests.find((r) => r.path === '/v1.0/robot/oToMessages/batchSend')!;
    const lastCard = () => gw.requests.filter((r) => r.path === '/v1.0/card/instances').at(-1)!;
    await cards;
    expect(robot.at).toBeLessThan(lastCard().at);
  });
});

describe('rate-limit answers', () => {
  it('retries a 403 QpsLimit once, 2 s later, with a fresh guid for a streaming update', async () => {
    const { fake, api } = await setup();
    fake.failNext('/v1.0/card/streaming', QPS_LIMIT);
    await api.streamCard({ outTrackId: 't1', content: 'hello' });
    const [refused, retry] = fake.calls('/v1.0/card/streaming');
    expect(retry!.at - refused!.at).toBeGreaterThanOrEqual(1990);
    expect((retry!.body as { guid: string }).guid).not.toBe((refused!.body as { guid: string }).guid);
  });

  it('pauses every card call of the app after a QpsLimit, not just the refused one', async () => {
    const { fake, api } = await setup();
    fake.failNext('/v1.0/card/instances', QPS_LIMIT);
    const first = api.updateCard({ outTrackId: 'a', cardData: { x: 1 } });
    await vi.waitFor(() => expect(fake.cardCalls[0]?.status).toBe(403)); // the refusal is in
    await api.updateCard({ outTrackId: 'b', cardData: { x: 2 } });
    await first;
    const [refused, ...rest] = fake.cardCalls;
    expect(refused!.status).toBe(403);
    for (const call of rest) expect(call.at - refused!.at).toBeGreaterThanOrEqual(1990);
  });

  it('gives up after the one retry with RATE_LIMITED and a hint, for any method (DingTalk refused it before doing anything)', async () => {
    const { fake, api } = await setup();
    fake.failNext('/v1.0/robot/groupMessages/send', QPS_LIMIT, 2);
    const err = (await api.sendRobotToGroup({ openConversationId: 'cid1', ...robotMessage.text('hi') }).catch((e: unknown) => e)) as OpenApiError;
    expect(err).toBeInstanceOf(OpenApiError);
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.dingtalkCode).toBe('Forbidden.AccessDenied.QpsLimitForAppkeyAndApi');
    expect(err.message).toMatch(/again after 2 s.*cardQps/);
    const [refused, retry] = fake.calls('/v1.0/robot/groupMessages/send');
    expect(fake.calls('/v1.0/robot/groupMessages/send')).toHaveLength(2);
    // the retry waits the 2 s DingTalk's limit needs (protocol.md §10.3), a non-card call too
    expect(retry!.at - refused!.at).toBeGreaterThanOrEqual(1_900);
  });

  it('cancels the 2 s wait after a QpsLimit when the call is aborted: it rejects at once, with no retry', async () => {
    const { fake, api } = await setup();
    const path = '/v1.0/robot/groupMessages/send';
    fake.failNext(path, QPS_LIMIT);
    const controller = new AbortController();
    const call = api.request('POST', path, { openConversationId: 'cid1', ...robotMessage.text('hi') }, { signal: controller.signal }).catch((err: unknown) => err);
    await vi.waitFor(() => expect(fake.calls(path)).toHaveLength(1));
    const abortedAt = performance.now();
    controller.abort();
    expect(await call).toBeInstanceOf(Error);
    // the bound is the point: the 2 s wait is cut short (1 s leaves room for a loaded machine)
    expect(performance.now() - abortedAt).toBeLessThan(1_000);
    expect(fake.calls(path)).toHaveLength(1);
  });

  it('turns the legacy platform limit (90018) into RATE_LIMITED and the monthly quota (90020) into QUOTA_EXCEEDED, the quota without a retry', async () => {
    const { fake, api } = await setup();
    fake.failNext('/media/upload', { errcode: 90018, message: '当前应用的api调用超过了QPS限制' }, 2);
    expect(await api.uploadMedia(new Blob(['x'])).catch((e: unknown) => e)).toMatchObject({ code: 'RATE_LIMITED', dingtalkCode: '90018' });
    fake.failNext('/media/upload', { errcode: 90020, message: '当前企业api调用量超限' });
    const quota = (await api.uploadMedia(new Blob(['x'])).catch((e: unknown) => e)) as OpenApiError;
    expect(quota).toMatchObject({ code: 'QUOTA_EXCEEDED', dingtalkCode: '90020' });
    expect(quota.message).toContain('monthly OpenAPI quota');
    fake.failNext('/v1.0/robot/oToMessages/batchSend', { status: 403, code: 'Forbidden.AccessDenied.ApiCountLimitForOrg', message: 'quota' });
    expect(await api.sendRobotToUsers({ userIds: ['u'], ...robotMessage.text('x') }).catch((e: unknown) => e)).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(fake.calls('/media/upload')).toHaveLength(3);
  });
});

describe('retries after network errors and 5xx', () => {
  it('retries an idempotent call (PUT) after a 5xx, with a jittered 1–2 s backoff', async () => {
    const { fake, api } = await setup();
    fake.failNext('/v1.0/card/instances', { status: 503, code: 'ServiceUnavailable', message: 'busy' });
    await api.updateCard({ outTrackId: 't', cardData: { a: 1 } });
    const [failed, retry] = fake.calls('/v1.0/card/instances');
    expect(retry!.at - failed!.at).toBeGreaterThanOrEqual(990);
  });

  it('never repeats a send (POST) after a 5xx: the message could show twice', async () => {
    const { fake, api } = await setup();
    fake.failNext('/v1.0/robot/oToMessages/batchSend', { status: 502, code: 'BadGateway', message: 'upstream' });
    const err = await api.sendRobotToUsers({ userIds: ['u1'], ...robotMessage.text('once') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'OPENAPI_ERROR', status: 502 });
    expect(fake.calls('/v1.0/robot/oToMessages/batchSend')).toHaveLength(1);
  });

  it('retries the token and other idempotent calls after a network error, but not a send', async () => {
    let failures = 1;
    const flaky: typeof fetch = (input, init) => (failures-- > 0 ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init));
    const { fake, api } = await setup({ fetch: flaky });
    await api.accessToken(); // a network error, then the token
    expect(fake.tokenRequests).toHaveLength(1);
    failures = 1;
    const err = await api.sendRobotToUsers({ userIds: ['u1'], ...robotMessage.text('once') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'OPENAPI_ERROR', status: 0 });
    expect(fake.calls('/v1.0/robot/oToMessages/batchSend')).toHaveLength(0);
    failures = 1;
    expect(await api.request('POST', '/v1.0/robot/oToMessages/batchSend', { robotCode: 'r', userIds: ['u'], msgKey: 'sampleText', msgParam: '{}' }, { idempotent: true })).toMatchObject({ processQueryKey: expect.any(String) });
  });
});

describe('failures inside an HTTP 200', () => {
  it('a delivery answered 200 with success: false throws DELIVERY_FAILED with DingTalk\'s message, from deliver and createAndDeliver', async () => {
    const { fake, api } = await setup();
    fake.rejectDeliveries(2, 'robot is not a member of this group');
    const delivered = await api.deliverCard({ outTrackId: 't1', to: { openConversationId: 'cidX' } }).catch((e: unknown) => e);
    expect(delivered).toBeInstanceOf(OpenApiError);
    expect(delivered).toMatchObject({ code: 'DELIVERY_FAILED', status: 200 });
    expect((delivered as Error).message).toContain('robot is not a member of this group');
    const created = await api.createAndDeliverCard({ cardTemplateId: 'tpl.schema', to: { userId: 'u1' } }).catch((e: unknown) => e);
    expect(created).toMatchObject({ code: 'DELIVERY_FAILED' });
    // and a good one still resolves
    await expect(api.createAndDeliverCard({ cardTemplateId: 'tpl.schema', to: { userId: 'u1' } })).resolves.toEqual(expect.any(String));
  });
});
