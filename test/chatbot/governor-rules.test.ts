import { afterEach, describe, expect, it, vi } from 'vitest';
import { CardBudget, isIdempotent, isQuotaExceeded, isRateLimited, retryDelay, wait } from '../../src/chatbot/governor.js';

// The governor's rules one by one (governor.test.ts drives them through DingTalkOpenApi and the
// fake OpenAPI; these pin each rule's edges, which the mutation run found loose).

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('governor rules', () => {
  it('calls a method idempotent only by its exact name (any case), and a POST only on the listed paths', () => {
    for (const m of ['GET', 'put', 'Delete', 'HEAD']) expect(isIdempotent(m, '/v1.0/x')).toBe(true);
    for (const m of ['POST', 'GETX', 'XGET', 'PATCH', '']) expect(isIdempotent(m, '/v1.0/x'), m).toBe(false);
    expect(isIdempotent('POST', '/v1.0/oauth2/accessToken')).toBe(true);
    expect(isIdempotent('POST', '/v1.0/oauth2/accessToken?x=1')).toBe(true); // the query does not count
  });

  it('knows DingTalk’s rate-limit answers: 429, any QpsLimit code, and the legacy 90018 and 90002; nothing else', () => {
    expect(isRateLimited(429, '')).toBe(true);
    expect(isRateLimited(403, 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi')).toBe(true);
    expect(isRateLimited(403, 'Forbidden.AccessDenied.QpsLimitForApi')).toBe(true);
    expect(isRateLimited(200, '90018')).toBe(true);
    expect(isRateLimited(200, '90002')).toBe(true);
    for (const [status, code] of [[403, 'Forbidden.AccessDenied'], [200, '90020'], [500, ''], [200, '']] as const) expect(isRateLimited(status, code), `${status} ${code}`).toBe(false);
    expect(isQuotaExceeded('Forbidden.AccessDenied.ApiCountLimitForOrg')).toBe(true);
    expect(isQuotaExceeded('90020')).toBe(true);
    expect(isQuotaExceeded('90018')).toBe(false);
  });

  it('backs off 1–2 s before the first retry and 2–4 s before the second', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect([retryDelay(0), retryDelay(1), retryDelay(2)]).toEqual([1_000, 2_000, 4_000]);
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    expect([retryDelay(0), retryDelay(1)]).toEqual([1_500, 3_000]);
  });

  it('waits, and rejects with the reason at once when the signal is aborted before or during the wait, leaving no listener behind', async () => {
    const before = new AbortController();
    before.abort(new Error('already'));
    await expect(wait(10_000, before.signal)).rejects.toThrow('already');
    const during = new AbortController();
    const waiting = wait(10_000, during.signal);
    during.abort(new Error('now'));
    await expect(waiting).rejects.toThrow('now');
    // a wait that ends removes its listener: aborting later rejects nothing and runs nothing
    const after = new AbortController();
    const removed = vi.spyOn(after.signal, 'removeEventListener');
    const added = vi.spyOn(after.signal, 'addEventListener');
    await wait(1, after.signal);
    expect(added).toHaveBeenCalledWith('abort', expect.any(Function), { once: true });
    expect(removed).toHaveBeenCalledWith('abort', added.mock.calls[0]![1]);
  });

  it('spaces card calls by the interval, and queues a caller again behind a pause that began while it waited', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const budget = new CardBudget(100);
    const left: number[] = [];
    const take = () => budget.take().then(() => left.push(Date.now()));
    void take();
    void take(); // its slot is 100 ms after the first
    await vi.advanceTimersByTimeAsync(50);
    budget.pause(1_000); // a QpsLimit: nothing leaves until 1,001,050
    await vi.advanceTimersByTimeAsync(2_000);
    expect(left).toEqual([1_000_000, 1_001_050]);
  });
});
