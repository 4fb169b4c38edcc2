import { describe, expect, it, vi } from 'vitest';
import { decide, dedupKey, isStale, type Verdict } from '../src/dispatch/policy.js';
import type { Frame } from '../src/protocol/frames.js';

// The ack policy, cell by cell: what each (frame type × ack mode × verdict) must send and what
// dedup must do with the key. Written out here as the spec, in words, independently of the
// table's encoding in src/dispatch/policy.ts.
//   none       no ack now (the gateway redelivers, or the ack already went out on receipt)
//   ok         a callback's {"response":null} / an event's {"status":"SUCCESS"}, code 200
//   later      an event's {"status":"LATER"}, code 200
//   failed     a callback's {"response":null} with code 500
//   answer     the handler's value: a callback's {"response": value} / an event's status
//   stored     the outcome handed in (a remembered ack, a ping's echo)
//   400 / 404  bad frame / no handler
type Ack = 'none' | 'ok' | 'later' | 'failed' | 'answer' | 'stored' | '400' | '404';
type Cell = readonly [Ack, 'remember' | 'forget' | 'keep'];
type Row = readonly [callbackAfter: Cell, callbackOnReceipt: Cell, eventAfter: Cell, eventOnReceipt: Cell, system: Cell];

const N: Cell = ['none', 'keep'];
const SPEC: Record<Verdict, Row> = {
  received: [N, ['ok', 'remember'], N, ['ok', 'remember'], ['stored', 'keep']],
  handled: [['answer', 'remember'], N, ['answer', 'remember'], N, N],
  threw: [['failed', 'forget'], N, ['later', 'forget'], N, N],
  timedOut: [['ok', 'remember'], N, ['later', 'forget'], N, N],
  // defect 2 (2c512a7): an event refused busy was remembered as LATER and never handled
  busy: [['none', 'forget'], ['ok', 'remember'], ['later', 'forget'], ['later', 'forget'], N],
  overflow: [['none', 'forget'], ['none', 'forget'], ['later', 'forget'], ['later', 'forget'], N],
  stopped: [['none', 'forget'], ['none', 'forget'], ['none', 'forget'], ['none', 'forget'], N],
  stale: [['ok', 'remember'], ['ok', 'remember'], ['ok', 'remember'], ['ok', 'remember'], N],
  duplicate: [['stored', 'keep'], ['stored', 'keep'], ['stored', 'keep'], ['stored', 'keep'], N],
  inFlight: [N, N, N, N, N],
  doneElsewhere: [['stored', 'remember'], ['stored', 'remember'], ['stored', 'remember'], ['stored', 'remember'], N],
  // defect 3 (2c512a7): an event pending elsewhere, acked on receipt, got a callback-shaped ack
  pendingElsewhere: [['none', 'forget'], ['ok', 'forget'], ['later', 'forget'], ['ok', 'forget'], N],
  unknownTopic: [['404', 'keep'], ['404', 'keep'], ['404', 'keep'], ['404', 'keep'], N],
  poison: [['400', 'keep'], ['400', 'keep'], ['400', 'keep'], ['400', 'keep'], N],
};
const COLUMNS = [
  ['CALLBACK', 'after'],
  ['CALLBACK', 'immediate'],
  ['EVENT', 'after'],
  ['EVENT', 'immediate'],
  ['SYSTEM', 'after'],
] as const;

const STORED = '{"code":200,"message":"OK","data":"{\\"response\\":{\\"x\\":1}}"';
const STORED_EVENT = '{"code":200,"message":"OK","data":"{\\"status\\":\\"SUCCESS\\",\\"message\\":\\"stored\\"}"';
const parse = (ack: string) => JSON.parse(`${ack}}`) as { code: number; message: string; data: string };

/** The ack `cell` must send for a frame of `type`, given `value` (the handler's answer, or the stored outcome / ping data). */
function expected(type: string, ack: Ack): { code: number; data: unknown } | undefined {
  const event = type === 'EVENT';
  switch (ack) {
    case 'none':
      return undefined;
    case 'ok':
      return { code: 200, data: event ? { status: 'SUCCESS', message: 'success' } : { response: null } };
    case 'later':
      return { code: 200, data: { status: 'LATER', message: 'later' } };
    case 'failed':
      return { code: 500, data: { response: null } };
    case 'answer':
      return { code: 200, data: event ? { status: 'SUCCESS', message: 'done' } : { response: { status: 'SUCCESS', message: 'done' } } };
    case 'stored':
      if (type === 'SYSTEM') return { code: 200, data: { status: 'SUCCESS', message: 'done' } };
      return { code: 200, data: event ? { status: 'SUCCESS', message: 'stored' } : { response: { x: 1 } } };
    case '400':
      return { code: 400, data: {} };
    case '404':
      return { code: 404, data: {} };
  }
}

describe('the ack policy table', () => {
  for (const [verdict, row] of Object.entries(SPEC) as Array<[Verdict, Row]>) {
    row.forEach(([ack, dedup], column) => {
      const [type, mode] = COLUMNS[column]!;
      it(`${type} acked ${mode === 'after' ? 'after its handler' : 'on receipt'}, ${verdict}: ${ack}, dedup ${dedup}`, () => {
        // the value a cell may use: the handler's answer, a stored outcome, or a ping's data
        const value = verdict === 'handled' ? { status: 'SUCCESS', message: 'done' } : type === 'SYSTEM' ? '{"status":"SUCCESS","message":"done"}' : type === 'EVENT' ? STORED_EVENT : STORED;
        const decision = decide(type, mode, verdict, value);
        expect(decision.dedup).toBe(dedup);
        const want = expected(type, ack);
        if (!want) return expect(decision.ack).toBeUndefined();
        const sent = parse(decision.ack!);
        expect(sent.code).toBe(want.code);
        expect(sent.message).toBe({ 200: 'OK', 500: 'handler error', 400: 'bad frame', 404: 'no handler' }[want.code]);
        expect(JSON.parse(sent.data)).toEqual(want.data);
        // the shape of the frame type, always: {response} for a callback, {status} for an event
        if (type === 'EVENT' && ack !== '400' && ack !== '404') expect(JSON.parse(sent.data)).toHaveProperty('status');
        if (type === 'CALLBACK' && ack !== '400' && ack !== '404') expect(JSON.parse(sent.data)).toHaveProperty('response');
      });
    });
  }

  it('never remembers a LATER, whatever the verdict', () => {
    for (const verdict of Object.keys(SPEC) as Verdict[]) {
      for (const mode of ['after', 'immediate'] as const) {
        const d = decide('EVENT', mode, verdict, verdict === 'handled' ? 'LATER' : undefined);
        if (d.ack?.includes('LATER')) expect(d.dedup, verdict).toBe('forget');
      }
    }
  });

  it('answers an event that returned LATER (as a string or { status }) with LATER, its message kept, and forgets it', () => {
    expect(decide('EVENT', 'after', 'handled', 'LATER')).toEqual({ ack: expect.stringContaining('LATER'), dedup: 'forget' });
    const d = decide('EVENT', 'after', 'handled', { status: 'LATER', message: 'db down' });
    expect(JSON.parse(parse(d.ack!).data)).toEqual({ status: 'LATER', message: 'db down' });
    expect(d.dedup).toBe('forget');
  });

  it('keeps an event status message only when it is a string (a BigInt or circular message cannot break the ack)', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const message of [5n, circular, 42]) {
      const d = decide('EVENT', 'after', 'handled', { status: 'SUCCESS', message });
      expect(JSON.parse(parse(d.ack!).data)).toEqual({ status: 'SUCCESS', message: 'success' });
    }
  });

  it('turns a callback answer JSON cannot carry (circular, BigInt, too deep, over maxFrameSize) into a 500 that is forgotten, and says why', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const cases: Array<[unknown, RegExp]> = [
      [circular, /cannot be sent as JSON .*circular/i],
      [{ n: 1n }, /cannot be sent as JSON .*BigInt/i],
      [deep, /cannot be sent as JSON/],
      [{ big: 'x'.repeat(2_000) }, /over maxFrameSize/],
      [{ toJSON: () => { throw 'not an Error'; } }, /cannot be sent as JSON \(unknown error\)/],
    ];
    for (const [value, why] of cases) {
      const d = decide('CALLBACK', 'after', 'handled', value, 1_000);
      expect(parse(d.ack!).code).toBe(500);
      expect(d.dedup).toBe('forget');
      expect(d.invalid).toMatch(why);
    }
    // the bound is inclusive: an answer of exactly maxFrameSize characters is sent
    const fits = decide('CALLBACK', 'after', 'handled', { x: 1 }).ack!;
    expect(decide('CALLBACK', 'after', 'handled', { x: 1 }, fits.length)).toEqual({ ack: fits, dedup: 'remember' });
    expect(parse(decide('CALLBACK', 'after', 'handled', { x: 1 }, fits.length - 1).ack!).code).toBe(500);
    // acked on receipt, the answer is never sent, so it is never serialised
    expect(decide('CALLBACK', 'immediate', 'handled', circular)).toEqual({ ack: undefined, dedup: 'keep' });
  });
});

describe('the dedup key and the stale check', () => {
  const frame = (type: 'EVENT' | 'CALLBACK', headers: Record<string, string>, data: unknown): Frame => ({
    type,
    headers: { topic: '/t', messageId: 'm1', ...headers },
    rawData: JSON.stringify(data),
    data,
  });

  it('keys an event by its eventId, else by its messageId', () => {
    expect(dedupKey(frame('EVENT', { eventId: 'e1' }, {}), false, 'after')).toBe('evt:e1');
    expect(dedupKey(frame('EVENT', {}, {}), false, 'after')).toBe('m1');
  });

  it('keys a chatbot message by a non-empty string msgId, else by its messageId', () => {
    expect(dedupKey(frame('CALLBACK', {}, { msgId: 'A1' }), true, 'immediate')).toBe('msg:A1');
    expect(dedupKey(frame('CALLBACK', {}, { msgId: 'A1' }), true, 'after')).toBe('msg:A1');
    for (const data of [{ msgId: '' }, { msgId: 7 }, {}, null]) expect(dedupKey(frame('CALLBACK', {}, data), true, 'after')).toBe('m1');
  });

  it('keys another callback acked after its handler by its payload (same data, same key), and one acked on receipt by its messageId', () => {
    const press = frame('CALLBACK', {}, { outTrackId: 'c1', msgId: 'not-a-chatbot-field' });
    const key = dedupKey(press, false, 'after');
    expect(key).toMatch(/^raw:\/t \d+ \d+$/);
    expect(dedupKey(frame('CALLBACK', { messageId: 'm2' }, { outTrackId: 'c1', msgId: 'not-a-chatbot-field' }), false, 'after')).toBe(key);
    expect(dedupKey(frame('CALLBACK', {}, { outTrackId: 'c2' }), false, 'after')).not.toBe(key);
    expect(dedupKey(press, false, 'immediate')).toBe('m1');
  });

  it('calls a chatbot message stale only when its createAt is more than staleAfterMs old, and never with 0', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const at = (createAt: unknown) => frame('CALLBACK', {}, { createAt });
      expect(isStale(at(1_000_000 - 60_001), 60_000)).toBe(true);
      expect(isStale(at(1_000_000 - 60_000), 60_000)).toBe(false);
      expect(isStale(at(1_000_000 - 10), 60_000)).toBe(false);
      expect(isStale(at(0), 0)).toBe(false);
      expect(isStale(at('0'), 60_000)).toBe(false);
      expect(isStale(frame('CALLBACK', {}, null), 60_000)).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
