import { describe, expect, it, vi } from 'vitest';
import { DingTalkStreamClient, GatewayAuthError, TOPIC_CARD, TOPIC_ROBOT, VERSION, InsecureTransportError, FrameError } from '../adapters/node.js';
import { client, delay, gateway } from './helpers/setup.js';

describe('opening a connection', () => {
  it('POSTs clientId, clientSecret, subscriptions and ua with JSON headers', async () => {
    const gw = await gateway();
    const c = client(gw);
    c.registerCallbackHandler(TOPIC_ROBOT, () => null);
    c.registerCallbackHandler(TOPIC_CARD, () => null);
    c.registerAllEventHandler(() => 'SUCCESS');
    await c.start();
    const open = gw.openCalls[0]!;
    expect(open.method).toBe('POST');
    expect(open.headers['content-type']).toBe('application/json');
    expect(open.headers.accept).toBe('application/json');
    expect(open.body).toEqual({
      clientId: gw.clientId,
      clientSecret: gw.clientSecret,
      subscriptions: [
        { type: 'EVENT', topic: '*' },
        { type: 'CALLBACK', topic: TOPIC_ROBOT },
        { type: 'CALLBACK', topic: TOPIC_CARD },
      ],
      ua: expect.stringMatching(new RegExp(`^dingtalk-stream-universal/${VERSION.replace(/\./g, '\\.')}`)),
    });
    expect(c.status().state).toBe('open');
    expect(gw.live()).toHaveLength(1);
  });

  it('fetches a fresh ticket for every connection attempt', async () => {
    const gw = await gateway();
    const c = client(gw);
    await c.start();
    gw.kill();
    await gw.waitFor(() => gw.live().length === 1 && gw.connections.length === 2);
    expect(gw.openCalls).toHaveLength(2);
    expect(gw.connections[0]!.ticket).not.toBe(gw.connections[1]!.ticket);
  });

  it('stops with a typed AUTH_FAILED error on bad credentials instead of retrying', async () => {
    const gw = await gateway();
    const c = client(gw, { clientSecret: 'wrong-secret-value' });
    const err = await c.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayAuthError);
    expect((err as GatewayAuthError).code).toBe('AUTH_FAILED');
    expect((err as GatewayAuthError).status).toBe(401);
    expect(String((err as Error).message)).not.toContain('wrong-secret-value');
    expect(c.status().state).toBe('failed');
    // stop() resolves once every retry loop has returned: a retry would have had to happen before
    await c.stop();
    expect(gw.openCalls).toHaveLength(1);
  });

  it('refuses plain http to a host that is not loopback', () => {
    expect(() => new DingTalkStreamClient({ clientId: 'a', clientSecret: 'b', openApiHost: 'http://api.example.com' })).toThrow(InsecureTransportError);
    expect(() => new DingTalkStreamClient({ clientId: 'a', clientSecret: 'b', openApiHost: 'http://127.0.0.5:8080' })).not.toThrow();
  });

  it('retries 5xx and recovers when the endpoint recovers', async () => {
    const gw = await gateway();
    gw.failOpen({ status: 503 }, 3);
    const c = client(gw);
    await c.start();
    expect(gw.openCalls).toHaveLength(4);
    expect(c.log.lines.filter((l) => l.includes('retry')).length).toBe(3);
  });
});

describe('frames and acks', () => {
  it('echoes a SYSTEM ping with code 200 and the same data', async () => {
    const gw = await gateway();
    const c = client(gw);
    await c.start();
    const id = gw.ping(undefined, { opaque: '123-dsfs' });
    const ack = await gw.waitForAck(id);
    expect(ack.code).toBe(200);
    expect(ack.headers).toEqual({ contentType: 'application/json', messageId: id });
    expect(JSON.parse(ack.data)).toEqual({ opaque: '123-dsfs' });
  });

  it('acks an EVENT with SUCCESS, and with LATER when the handler says so or throws', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    c.registerAllEventHandler((e) => {
      const kind = (e.data as { kind: string }).kind;
      if (kind === 'throw') throw new Error('boom');
      return kind === 'later' ? 'LATER' : undefined;
    });
    await c.start();
    const ok = await gw.waitForAck(gw.pushEvent({ kind: 'ok' }));
    const later = await gw.waitForAck(gw.pushEvent({ kind: 'later' }));
    const thrown = await gw.waitForAck(gw.pushEvent({ kind: 'throw' }));
    expect([ok.code, later.code, thrown.code]).toEqual([200, 200, 200]);
    expect(JSON.parse(ok.data).status).toBe('SUCCESS');
    expect(JSON.parse(later.data).status).toBe('LATER');
    expect(JSON.parse(thrown.data).status).toBe('LATER');
    expect(c.status().counters.handlerErrors).toBe(1);
  });

  it('acks a CALLBACK with the handler result as response, and code 500 when it throws', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    c.registerCallbackHandler(TOPIC_CARD, (m) => {
      if ((m.data as { fail?: boolean }).fail) throw new Error('nope');
      return { cardData: { cardParamMap: { ok: 'yes' } } };
    });
    await c.start();
    const ok = await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { outTrackId: 't1' }));
    expect(ok.code).toBe(200);
    expect(JSON.parse(ok.data)).toEqual({ response: { cardData: { cardParamMap: { ok: 'yes' } } } });
    const bad = await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { fail: true }));
    expect(bad.code).toBe(500);
    expect(JSON.parse(bad.data)).toEqual({ response: null });
  });

  it('acks a chatbot message with response null on receipt, and its handler runs once', async () => {
    const gw = await gateway();
    const c = client(gw);
    const seen: unknown[] = [];
    c.registerCallbackHandler(TOPIC_ROBOT, (m) => void seen.push(m.data));
    await c.start();
    const ack = await gw.waitForAck(gw.pushChatbotMessage('hello'));
    expect(JSON.parse(ack.data)).toEqual({ response: null });
    await vi.waitFor(() => expect(seen).toHaveLength(1));
  });

  it('answers an unknown CALLBACK topic with 404', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    await c.start();
    // the gateway pushes only subscribed topics: a stray one must be sent to the socket directly
    const ack = await gw.waitForAck(gw.pushCallback('/v1.0/unknown/topic', {}, { to: gw.live()[0] }));
    expect(ack.code).toBe(404);
  });

  it('does not ack unknown SYSTEM topics without a messageId', async () => {
    const gw = await gateway();
    const c = client(gw);
    await c.start();
    gw.sendRaw(JSON.stringify({ type: 'SYSTEM', headers: { topic: 'KEEPALIVE' }, data: '{}' }));
    const id = gw.ping();
    await gw.waitForAck(id);
    expect(gw.acks).toHaveLength(1);
  });

  it('reports a malformed frame once, as an error event, and keeps running', async () => {
    const gw = await gateway();
    const c = client(gw);
    const errors: unknown[] = [];
    c.addEventListener('error', (e) => errors.push((e as CustomEvent).detail));
    await c.start();
    gw.sendRaw('{not json');
    gw.sendRaw(JSON.stringify({ type: 'CALLBACK', headers: { topic: TOPIC_ROBOT }, data: '{}' }));
    gw.sendRaw(JSON.stringify({ type: 'EVENT', headers: { topic: '*', messageId: 'bad-data-1' }, data: 'not json' }));
    const id = gw.ping();
    await gw.waitForAck(id);
    expect(errors).toHaveLength(3);
    expect(errors.every((e) => e instanceof FrameError)).toBe(true);
    expect(c.log.lines.filter((l) => l.startsWith('warn') && /malformed/i.test(l)).length).toBe(3);
    expect(c.status().state).toBe('open');
  });

  it('hands a redelivered message to the handler once and acks it again', async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const c = client(gw);
    let calls = 0;
    c.registerCallbackHandler(TOPIC_CARD, () => ({ n: ++calls }));
    await c.start();
    const id = gw.pushCallback(TOPIC_CARD, {});
    await gw.waitForAck(id);
    gw.pushCallback(TOPIC_CARD, {}, { messageId: id });
    await gw.waitFor(() => gw.acks.filter((a) => a.headers.messageId === id).length === 2);
    expect(calls).toBe(1);
    const acks = gw.acks.filter((a) => a.headers.messageId === id).map((a) => JSON.parse(a.data));
    expect(acks).toEqual([{ response: { n: 1 } }, { response: { n: 1 } }]);
    expect(c.status().counters.duplicates).toBe(1);
  });

  it('acks immediately before a slow handler runs when ack is "immediate"', async () => {
    const gw = await gateway();
    const c = client(gw);
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    c.registerCallbackHandler(TOPIC_ROBOT, () => done, { ack: 'immediate' });
    await c.start();
    const ack = await gw.waitForAck(gw.pushChatbotMessage('slow'));
    expect(JSON.parse(ack.data)).toEqual({ response: null });
    release();
  });

  it('acks a callback whose handler outlives its timeout so the gateway does not redeliver', async () => {
    const gw = await gateway();
    const c = client(gw, { handlerTimeoutMs: 100 });
    c.registerCallbackHandler(TOPIC_CARD, () => new Promise(() => {}));
    await c.start();
    const ack = await gw.waitForAck(gw.pushCallback(TOPIC_CARD, { outTrackId: 'hang' }));
    expect(ack.code).toBe(200);
    expect(c.status().counters.handlerTimeouts).toBe(1);
  });

  it('bounds handler concurrency', async () => {
    const gw = await gateway();
    const c = client(gw, { maxConcurrency: 3 });
    let running = 0;
    let peak = 0;
    c.registerCallbackHandler(TOPIC_CARD, async () => {
      peak = Math.max(peak, ++running);
      await delay(20);
      running--;
      return null;
    });
    await c.start();
    const ids = Array.from({ length: 20 }, (_, i) => gw.pushCallback(TOPIC_CARD, { outTrackId: `card-${i}` }));
    await Promise.all(ids.map((id) => gw.waitForAck(id)));
    expect(peak).toBe(3);
  });
});

describe('messages() iterator', () => {
  it('hands out messages in order and acks each when the loop asks for the next one', async () => {
    const gw = await gateway();
    const c = client(gw, { drainTimeoutMs: 50 });
    await c.start();
    const seen: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inBody!: (id: string) => void;
    const entered = new Promise<string>((r) => (inBody = r));
    // a card callback is acked after its handler: for messages(), after the loop body
    const loop = (async () => {
      for await (const msg of c.messages<{ n: string }>(TOPIC_CARD)) {
        seen.push(msg.data.n);
        if (seen.length === 1) {
          inBody(msg.messageId);
          await held; // the body of the first message is still running
        }
        if (seen.length === 3) break;
      }
    })();
    // registering re-subscribes: a new connection opens and the old one drains
    await gw.waitFor(() => gw.connections.length === 2 && gw.live().length === 1, 3000, 'the resubscribed connection');
    const ids = ['one', 'two', 'three'].map((n) => gw.pushCallback(TOPIC_CARD, { n }));
    const first = await entered;
    // an ordering fence, not a sleep: a ping sent now is acked after anything the client sent before it
    const ping = gw.ping(gw.live()[0]);
    await gw.waitForAck(ping);
    expect(gw.acks.some((a) => a.headers.messageId === first)).toBe(false);
    release();
    await loop;
    const acks = await Promise.all(ids.map((id) => gw.waitForAck(id)));
    expect(seen).toEqual(['one', 'two', 'three']);
    expect(acks.every((a) => a.code === 200)).toBe(true);
    expect(gw.connections.at(-1)!.subscriptions).toEqual([{ type: 'CALLBACK', topic: TOPIC_CARD }]);
  });

  it('ends the loop when the client stops', async () => {
    const gw = await gateway();
    const c = client(gw);
    c.registerAllEventHandler(() => 'SUCCESS');
    await c.start();
    const loop = (async () => {
      let n = 0;
      for await (const _ of c.messages(TOPIC_CARD)) n++;
      return n;
    })();
    await delay(50);
    await c.stop();
    expect(await loop).toBe(0);
  });
});

describe('reconnecting', () => {
  it('opens the new connection at once on SYSTEM disconnect and keeps acking on the old one', async () => {
    const gw = await gateway({ disconnectCloseMs: 300 });
    const c = client(gw);
    let handled = 0;
    c.registerCallbackHandler(TOPIC_CARD, () => ++handled);
    await c.start();
    const old = gw.live()[0]!;
    gw.disconnect(old);
    await gw.waitFor(() => gw.live().length === 2, 2000, 'the replacement connection');
    // a message still pushed on the old socket during the window is acked there
    const id = gw.pushCallback(TOPIC_CARD, {}, { to: old });
    const ack = await gw.waitForAck(id);
    expect(ack.connectionId).toBe(old.id);
    await gw.waitFor(() => old.closedAt !== null, 2000, 'the old socket to close');
    expect(gw.live()).toHaveLength(1);
    expect(handled).toBe(1);
    expect(c.status().state).toBe('open');
  });

  it('closes the old connection itself when the server does not', async () => {
    const gw = await gateway({ disconnectCloseMs: 60_000 });
    const c = client(gw, { drainTimeoutMs: 200 });
    await c.start();
    const old = gw.live()[0]!;
    gw.disconnect(old);
    await gw.waitFor(() => old.closedAt !== null && gw.live().length === 1, 3000);
    // the server would have waited 60 s: the client closed it, once its 200 ms drain was over
    expect(old.closedAt! - old.goingAwayAt!).toBeGreaterThanOrEqual(150);
    expect(old.closedAt! - old.goingAwayAt!).toBeLessThan(30_000);
    expect(gw.live()[0]).not.toBe(old);
  });

  it('reconnects after an abrupt kill and delivers what was queued', async () => {
    const gw = await gateway({ redeliverAfterMs: 200 });
    const c = client(gw);
    const seen: string[] = [];
    c.registerCallbackHandler(TOPIC_CARD, (m) => void seen.push(m.messageId));
    await c.start();
    gw.kill();
    const id = gw.pushCallback(TOPIC_CARD, {});
    // lost on the dead socket, it comes back under a new messageId, as in production
    await gw.waitForAck(id, 5000, { anyDelivery: true });
    expect(seen).toHaveLength(1);
    expect(gw.pushOf(seen[0]!)!.messageId).toBe(id);
    expect(gw.live()).toHaveLength(1);
  });

  it('replaces a silent connection after the idle timeout', async () => {
    const gw = await gateway();
    const c = client(gw, { idleTimeoutMs: 200, drainTimeoutMs: 100 });
    await c.start();
    const first = gw.live()[0]!;
    gw.silence(first);
    await gw.waitFor(() => gw.connections.length === 2 && first.closedAt !== null, 3000, 'the zombie to be replaced');
    expect(gw.live()).toHaveLength(1);
  });

  it('stop() closes every socket and leaves no retry loop behind', async () => {
    const gw = await gateway();
    const c = client(gw);
    await c.start();
    await c.stop();
    expect(c.status().state).toBe('stopped');
    await gw.waitFor(() => gw.live().length === 0);
    await delay(300);
    expect(gw.openCalls).toHaveLength(1);
  });
});
