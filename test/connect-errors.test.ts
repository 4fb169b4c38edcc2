// Every retry or error line says which host failed and why, with the root cause rather than
// a wrapper such as Node's `fetch failed`, so a newcomer sees at once that the bot dials the
// wrong place.
import { describe, expect, it, vi } from 'vitest';
import { DingTalkStreamClient, GatewayAuthError, GatewayError, type Platform } from '../adapters/node.js';
import { freePort } from './helpers/ports.js';
import { CapturingLogger, client, gateway } from './helpers/setup.js';

/** Starts `c`, waits for its first retry line, stops it and returns that line. */
async function firstRetryLine(c: DingTalkStreamClient, log: CapturingLogger): Promise<string> {
  void c.start().catch(() => {});
  await vi.waitFor(() => expect(log.lines.some((l) => l.includes('; retry 1 in'))).toBe(true), { timeout: 10_000, interval: 20 });
  await c.stop();
  return log.lines.find((l) => l.includes('; retry 1 in'))!;
}

const quiet = { clientId: 'ding-id', clientSecret: 'secret-value', backoffBaseMs: 20, backoffCapMs: 50, logLevel: 'debug' as const };

describe('connect errors name the host and the root cause', () => {
  it('a refused open call: the host and ECONNREFUSED, not just "fetch failed"', async () => {
    const port = await freePort(); // nothing listens there
    const log = new CapturingLogger();
    const line = await firstRetryLine(new DingTalkStreamClient({ ...quiet, openApiHost: `http://127.0.0.1:${port}`, logger: log }), log);
    expect(line).toContain(`Open call to 127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(line).not.toContain('fetch failed');
  });

  it('a host given by name: the name as given, and the address in the cause', async () => {
    const port = await freePort(); // nothing listens there
    const log = new CapturingLogger();
    const line = await firstRetryLine(new DingTalkStreamClient({ ...quiet, openApiHost: `http://localhost:${port}`, logger: log }), log);
    expect(line).toMatch(new RegExp(`Open call to localhost:${port} failed: .*ECONNREFUSED`));
  });

  it('every address of a name refused (Node\'s AggregateError, which has no message): its code', async () => {
    const refused = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:443'), new Error('connect ECONNREFUSED 127.0.0.1:443')], ''), { code: 'ECONNREFUSED' });
    const platform: Platform = { WebSocket: class {} as unknown as Platform['WebSocket'], fetch: () => Promise.reject(new TypeError('fetch failed', { cause: refused })) };
    const log = new CapturingLogger();
    const line = await firstRetryLine(new DingTalkStreamClient({ ...quiet, openApiHost: 'https://gateway.example', platform, logger: log }), log);
    expect(line).toContain('Open call to gateway.example failed: ECONNREFUSED');
  });

  it('a DNS failure under a wrapper: the innermost cause (getaddrinfo ENOTFOUND <host>)', async () => {
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND api.dingtalk.com'), { code: 'ENOTFOUND' });
    const platform: Platform = { WebSocket: class {} as unknown as Platform['WebSocket'], fetch: () => Promise.reject(new TypeError('fetch failed', { cause: dns })) };
    const log = new CapturingLogger();
    const c = new DingTalkStreamClient({ ...quiet, platform, logger: log });
    const errors: GatewayError[] = [];
    c.addEventListener('error', (e) => errors.push((e as CustomEvent<GatewayError>).detail));
    const line = await firstRetryLine(c, log);
    expect(line).toContain('connect failed (Open call to api.dingtalk.com failed: getaddrinfo ENOTFOUND api.dingtalk.com); retry 1 in');
    expect(errors[0]).toBeInstanceOf(GatewayError);
    expect(errors[0]!.cause).toBeInstanceOf(TypeError); // the whole chain stays on the error
  });

  it('refused credentials: the host and the HTTP status', async () => {
    const gw = await gateway();
    const c = client(gw, { clientSecret: 'wrong-secret-value' });
    const err = (await c.start().catch((e: unknown) => e)) as GatewayAuthError;
    expect(err.message).toContain(`${new URL(gw.openApiHost).host} rejected the credentials (HTTP 401`);
    expect(c.log.lines.join('\n')).toContain('rejected the credentials (HTTP 401');
  });

  it('an open call answering 503: the host and the status', async () => {
    const gw = await gateway();
    gw.failOpen({ status: 503 }, 1);
    const c = client(gw);
    await c.start();
    expect(c.log.lines.find((l) => l.includes('retry 1 in'))).toContain(`Open call to ${new URL(gw.openApiHost).host} answered HTTP 503`);
  });

  it('a refused WebSocket handshake: the socket\'s host and its reason', async () => {
    const gw = await gateway();
    gw.rejectHandshakes(1);
    const c = client(gw);
    await c.start();
    const line = c.log.lines.find((l) => l.includes('retry 1 in'))!;
    expect(line).toContain(`Handshake with ${new URL(gw.openApiHost).host} failed: Unexpected server response: 403`);
    expect(line).not.toMatch(/ticket=(?!\*\*\*)/);
  });
});
