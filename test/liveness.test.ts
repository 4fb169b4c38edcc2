import { describe, expect, it, vi } from 'vitest';
import { nodePlatform, type Platform } from '../adapters/node.js';
import { client, delay, gateway } from './helpers/setup.js';

// The gateway answers WebSocket pings (protocol.md §10.2), so where the socket can ping a
// quiet connection is asked, not replaced. Node 20 runs these tests, so the Node adapter's
// socket is `ws`, which can ping.

describe('liveness where the socket can ping (ws on Node)', () => {
  it('pings a quiet connection every idleTimeoutMs and keeps it while the pongs come back', async () => {
    const gw = await gateway();
    const idleTimeoutMs = 100;
    const c = client(gw, { idleTimeoutMs });
    await c.start();
    const conn = gw.live()[0]!;
    const started = performance.now();
    await gw.waitFor(() => conn.pings >= 5, 5000, 'five pings');
    // one ping per quiet period, not a flood: a pong counts as a frame and restarts the clock
    expect(performance.now() - started).toBeGreaterThanOrEqual(4 * idleTimeoutMs);
    expect(gw.openCalls).toHaveLength(1);
    expect(gw.connections).toHaveLength(1);
    expect(c.log.lines.join('\n')).not.toContain('replacing it');
    await c.stop();
    const pings = conn.pings;
    await delay(3 * idleTimeoutMs);
    expect(conn.pings).toBe(pings); // stop() ended the watchdog with the socket
  });

  it('replaces a connection whose pings go unanswered, make-before-break', async () => {
    const gw = await gateway();
    const idleTimeoutMs = 150;
    const c = client(gw, { idleTimeoutMs, drainTimeoutMs: 100 });
    await c.start();
    const wedged = gw.live()[0]!;
    gw.silence(wedged); // TCP up, no frame and no pong: the gateway's read loop is wedged
    const silencedAt = performance.now();
    await gw.waitFor(() => gw.connections.length === 2 && wedged.closedAt !== null, 5000, 'the wedged connection to be replaced');
    const successor = gw.connections[1]!;
    expect(wedged.pings).toBe(1);
    // idleTimeoutMs of silence, then the pong wait (shortened to idleTimeoutMs here)
    expect(performance.now() - silencedAt).toBeGreaterThanOrEqual(2 * idleTimeoutMs - 20);
    expect(successor.openedAt).toBeLessThanOrEqual(wedged.closedAt!);
    expect(c.log.lines).toContainEqual(expect.stringContaining(`connection #1: pong-timeout; replacing it`));
    expect(gw.live()).toEqual([successor]);
    expect(c.status().state).toBe('open');
  });

  it('counts any frame after the ping as an answer, not only the pong', async () => {
    const gw = await gateway();
    let pings = 0;
    // a ping whose pong never comes, but which the gateway answers with a SYSTEM ping frame
    const platform: Platform = { ...nodePlatform(), ping: () => void (pings++, gw.ping(gw.live()[0])) };
    const c = client(gw, { idleTimeoutMs: 100, platform });
    await c.start();
    await gw.waitFor(() => gw.acks.length >= 4, 5000, 'four SYSTEM pings answered');
    expect(pings).toBeGreaterThanOrEqual(4);
    expect(gw.openCalls).toHaveLength(1);
  });

  it('replaces the connection when the ping itself throws (a socket already closing), without an uncaught error', async () => {
    const gw = await gateway();
    const platform: Platform = { ...nodePlatform(), ping: () => { throw new Error('WebSocket is not open: readyState 2 (CLOSING)'); } };
    const c = client(gw, { idleTimeoutMs: 100, drainTimeoutMs: 100, platform });
    await c.start();
    await gw.waitFor(() => gw.connections.length === 2, 5000, 'a replacement');
    expect(c.log.lines).toContainEqual(expect.stringContaining('pong-timeout; replacing it'));
    await vi.waitFor(() => expect(c.status().state).toBe('open'));
  });
});

describe('liveness where the socket cannot ping (WHATWG: Deno, workerd, Node 22+ without ws)', () => {
  it('keeps the idle watchdog: a quiet connection is replaced make-before-break after idleTimeoutMs', async () => {
    const gw = await gateway();
    const { ping, ...whatwgOnly } = nodePlatform(); // the same sockets, without the capability
    expect(ping).toBeTypeOf('function');
    const idleTimeoutMs = 150;
    const c = client(gw, { idleTimeoutMs, drainTimeoutMs: 100, platform: whatwgOnly });
    await c.start();
    const quiet = gw.live()[0]!;
    await gw.waitFor(() => gw.connections.length === 2 && quiet.closedAt !== null, 5000, 'the quiet connection to be replaced');
    expect(quiet.pings).toBe(0);
    expect(gw.connections[1]!.openedAt).toBeLessThanOrEqual(quiet.closedAt!);
    expect(c.log.lines).toContainEqual(expect.stringContaining('connection #1: idle; replacing it'));
  });
});
