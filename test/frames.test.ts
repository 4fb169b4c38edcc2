import { describe, expect, it } from 'vitest';
import { parseFrame } from '../src/protocol/frames.js';

// The downstream frame parser, input by input: what a hostile or broken gateway can send, and
// what the router gets back (a poison frame keeps its messageId and type, so it can be acked).
const frame = (o: Record<string, unknown>) => JSON.stringify(o);
const headers = { topic: '/t', messageId: 'm1' };

describe('parseFrame', () => {
  it('parses both JSON layers of a valid frame and keeps the headers and the raw data as received', () => {
    const r = parseFrame(frame({ type: 'CALLBACK', headers: { ...headers, x: 'y' }, data: '{"a":[1]}' }));
    expect(r).toEqual({ ok: true, frame: { type: 'CALLBACK', headers: { topic: '/t', messageId: 'm1', x: 'y' }, rawData: '{"a":[1]}', data: { a: [1] } } });
    for (const type of ['SYSTEM', 'EVENT']) expect(parseFrame(frame({ type, headers, data: '{}' })).ok).toBe(true);
  });

  it('accepts a SYSTEM frame without a messageId, but not an EVENT or a CALLBACK', () => {
    expect(parseFrame(frame({ type: 'SYSTEM', headers: { topic: 'ping' }, data: '{}' })).ok).toBe(true);
    for (const type of ['EVENT', 'CALLBACK']) {
      expect(parseFrame(frame({ type, headers: { topic: '/t' }, data: '{}' }))).toEqual({ ok: false, reason: `${type} frame without headers.messageId`, messageId: undefined, type });
    }
  });

  const refused: Array<[string, unknown, string, string | undefined, string | undefined]> = [
    // title, input, reason, messageId kept, type kept
    ['not text', 42, 'frame is not text', undefined, undefined],
    ['not JSON', '{', 'frame is not valid JSON', undefined, undefined],
    ['JSON null', 'null', 'not a JSON object', undefined, undefined],
    ['a JSON number', '7', 'not a JSON object', undefined, undefined],
    ['an unknown type', frame({ type: 'PUSH', headers, data: '{}' }), 'type: not SYSTEM, EVENT or CALLBACK', 'm1', 'PUSH'],
    ['a type that is not a string', frame({ type: 1, headers, data: '{}' }), 'type: not SYSTEM, EVENT or CALLBACK', 'm1', undefined],
    ['no headers', frame({ type: 'EVENT', data: '{}' }), 'headers: not an object', undefined, 'EVENT'],
    ['null headers', frame({ type: 'EVENT', headers: null, data: '{}' }), 'headers: not an object', undefined, 'EVENT'],
    ['headers that are a string', frame({ type: 'EVENT', headers: 'topic', data: '{}' }), 'headers: not an object', undefined, 'EVENT'],
    ['a header that is not a string', frame({ type: 'EVENT', headers: { ...headers, n: 1 }, data: '{}' }), 'headers.n: not a string', 'm1', 'EVENT'],
    ['a messageId that is not a string', frame({ type: 'EVENT', headers: { topic: '/t', messageId: 5 }, data: '{}' }), 'headers.messageId: not a string', undefined, 'EVENT'],
    ['data that is not a string', frame({ type: 'EVENT', headers, data: {} }), 'data: not a string', 'm1', 'EVENT'],
    ['no topic', frame({ type: 'EVENT', headers: { messageId: 'm1' }, data: '{}' }), 'headers.topic is missing', 'm1', 'EVENT'],
    ['data that is not JSON', frame({ type: 'CALLBACK', headers, data: '{' }), 'data is not valid JSON', 'm1', 'CALLBACK'],
  ];
  for (const [title, input, reason, messageId, type] of refused) {
    it(`refuses ${title}, saying why`, () => {
      expect(parseFrame(input)).toEqual({ ok: false, reason, ...(typeof input === 'string' && reason !== 'frame is not valid JSON' ? { messageId, type } : {}) });
    });
  }

  it('names at most 64 characters of a bad header key', () => {
    const key = 'k'.repeat(500);
    const r = parseFrame(frame({ type: 'EVENT', headers: { ...headers, [key]: 1 }, data: '{}' }));
    expect(r.ok === false && r.reason).toBe(`headers.${'k'.repeat(64)}: not a string`);
  });

  it('refuses a frame over maxSize before parsing it, and takes one of exactly maxSize', () => {
    const text = frame({ type: 'SYSTEM', headers: { topic: 'ping' }, data: '{}' });
    expect(parseFrame(text, text.length).ok).toBe(true);
    expect(parseFrame(text, text.length - 1)).toEqual({ ok: false, reason: `frame of ${text.length} characters is over maxFrameSize` });
    expect(parseFrame('{'.repeat(100), 10)).toEqual({ ok: false, reason: 'frame of 100 characters is over maxFrameSize' });
  });
});
