import { describe, expect, it, vi } from 'vitest';
import { deadline, defer } from '../src/connection/abort.js';
import { socketUrl } from '../src/connection/gateway.js';
import { assertSecureUrl } from '../src/connection/transport.js';
import { InsecureTransportError } from '../src/errors.js';

// The connection's small parts on their own: the abortable deadline, the deferred promise, the
// secure-URL rule and the socket URL (the socket tests drive them through the client).

describe('deadline', () => {
  it('aborts its child when the time runs out, not before, and not when done() came first', async () => {
    vi.useFakeTimers();
    try {
      const parent = new AbortController();
      const d = deadline(parent.signal, 100);
      vi.advanceTimersByTime(99);
      expect(d.signal.aborted).toBe(false);
      vi.advanceTimersByTime(1);
      expect(d.signal.aborted).toBe(true);
      expect(parent.signal.aborted).toBe(false); // aborted while the parent is not: time ran out
      const early = deadline(parent.signal, 100);
      early.done();
      vi.advanceTimersByTime(1_000);
      expect(early.signal.aborted).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('aborts its child with the parent, at once if the parent already is, and done() lets go of the parent', () => {
    const parent = new AbortController();
    const d = deadline(parent.signal, 60_000);
    parent.abort();
    expect(d.signal.aborted).toBe(true);
    d.done();
    expect(deadline(parent.signal, 60_000).signal.aborted).toBe(true);
    const other = new AbortController();
    const removed = vi.spyOn(other.signal, 'removeEventListener');
    const added = vi.spyOn(other.signal, 'addEventListener');
    const e = deadline(other.signal, 60_000);
    e.done();
    expect(added).toHaveBeenCalledWith('abort', expect.any(Function), { once: true });
    expect(removed).toHaveBeenCalledWith('abort', added.mock.calls[0]![1]);
    other.abort();
    expect(e.signal.aborted).toBe(false);
  });
});

describe('defer', () => {
  it('settles once, with the first outcome, and a rejection nobody awaits is not unhandled', async () => {
    const a = defer<number>();
    a.resolve(1);
    a.resolve(2);
    a.reject(new Error('late'));
    expect(await a.promise).toBe(1);
    const b = defer();
    b.reject(new Error('first'));
    await expect(b.promise).rejects.toThrow('first');
    const unhandled: unknown[] = [];
    const listener = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', listener);
    defer().reject(new Error('nobody listens'));
    await new Promise((r) => setTimeout(r, 10));
    process.off('unhandledRejection', listener);
    expect(unhandled).toEqual([]);
  });
});

describe('assertSecureUrl and socketUrl', () => {
  it('takes https and wss anywhere, http and ws only to loopback, and names what it refused', () => {
    for (const url of ['https://api.dingtalk.com', 'wss://wss-open-connection.dingtalk.com/connect', 'http://localhost:1', 'ws://127.0.0.1:2/x', 'http://127.9.8.7', 'http://[::1]:3']) expect(assertSecureUrl(url).href).toBe(new URL(url).href);
    for (const url of ['http://api.dingtalk.com', 'ws://10.0.0.1', 'http://127.0.0.1.example.com', 'ftp://localhost']) expect(() => assertSecureUrl(url), url).toThrow(InsecureTransportError);
    expect(() => assertSecureUrl('http://example.com:8080/p?q')).toThrow('Refusing unencrypted http://example.com:8080');
    expect(() => assertSecureUrl('not a url')).toThrow(TypeError);
  });

  it('puts the ticket into the endpoint URL, encoded, after a ? or an &', () => {
    expect(socketUrl({ endpoint: 'wss://h/connect', ticket: 'a b+c/=' })).toBe('wss://h/connect?ticket=a%20b%2Bc%2F%3D');
    expect(socketUrl({ endpoint: 'wss://h/connect?x=1', ticket: 't' })).toBe('wss://h/connect?x=1&ticket=t');
  });
});
