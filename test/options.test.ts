import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { count, ms, off, opt, readOptions, val } from '../src/options.js';

// The one options table reader, rule by rule (the tables of each options object are tested
// through their owners: config-errors.test.ts, options-tables.test.ts).
const MAX = 2_147_483_647;
const message = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('no ConfigError');
};

describe('readOptions', () => {
  it('fills the defaults, and takes undefined as the default', () => {
    const table = { a: ms(5), b: val('string', 'x'), c: opt<number>('count') };
    expect(readOptions('T', table, undefined)).toEqual({ a: 5, b: 'x', c: undefined });
    expect(readOptions('T', table, { a: undefined, b: 'y', c: 3 })).toEqual({ a: 5, b: 'y', c: 3 });
  });

  it('clamps a duration beyond the timer maximum to it, turns an "off" one off, and leaves a count alone', () => {
    const table = { d: ms(0), o: off(0), n: count(0) };
    expect(readOptions('T', table, { d: MAX, o: MAX, n: MAX + 1 })).toEqual({ d: MAX, o: MAX, n: MAX + 1 });
    expect(readOptions('T', table, { d: MAX + 1, o: MAX + 1, n: Infinity })).toEqual({ d: MAX, o: 0, n: Infinity });
    expect(readOptions('T', table, { d: Infinity, o: Infinity })).toEqual({ d: MAX, o: 0, n: 0 });
  });

  it('refuses a negative, NaN or non-number for a number, naming the owner and the key', () => {
    expect(message(() => readOptions('T', { d: ms(0) }, { d: -1 }))).toBe('T: d must be a number >= 0, not -1');
    expect(message(() => readOptions('T', { d: count(0) }, { d: NaN }))).toBe('T: d must be a number >= 0, not NaN');
    expect(message(() => readOptions('T', { d: off(0) }, { d: '5' }))).toBe('T: d must be a number >= 0, not a string');
  });

  it('checks a kind by typeof, lets "any" through, and a list of strings by membership', () => {
    expect(message(() => readOptions('T', { f: opt('function') }, { f: {} }))).toBe('T: f must be a function, not an object');
    expect(message(() => readOptions('T', { o: opt('object') }, { o: 'x' }))).toBe('T: o must be an object, not a string');
    expect(readOptions('T', { o: opt('object') }, { o: null })).toEqual({ o: null }); // null is how `logger: null` says none
    expect(readOptions('T', { x: opt('any') }, { x: 5 })).toEqual({ x: 5 });
    expect(readOptions('T', { x: opt('any') }, { x: 'five' })).toEqual({ x: 'five' });
    expect(readOptions('T', { ack: opt(['after', 'immediate']) }, { ack: 'immediate' })).toEqual({ ack: 'immediate' });
    expect(message(() => readOptions('T', { ack: opt(['after', 'immediate']) }, { ack: 'afer' }))).toBe("T: ack must be 'after' or 'immediate', not afer");
    expect(message(() => readOptions('T', { ack: opt(['after', 'immediate']) }, { ack: 1 }))).toBe("T: ack must be 'after' or 'immediate', not a number");
    expect(message(() => readOptions('T', { s: opt('string') }, { s: null }))).toBe('T: s must be a string, not null');
  });

  it('refuses an unknown key with the nearest known one (the first of equals), or no guess when none is near', () => {
    expect(message(() => readOptions('T', { abcd: ms(0), abxy: ms(0) }, { abce: 1 }))).toBe('Unknown option abce for T (did you mean abcd?)');
    expect(message(() => readOptions('T', { ab: ms(0), ac: ms(0) }, { a: 1 }))).toBe('Unknown option a for T (did you mean ab?)');
    expect(message(() => readOptions('T', { abcdef: ms(0) }, { zzz: 1 }))).toBe('Unknown option zzz for T');
  });

  it('guesses within an edit distance of 2: a change, a swap, a letter missing or added, anywhere', () => {
    const guess = (key: string, known: string) => message(() => readOptions('T', { [known]: ms(0) }, { [key]: 1 })).match(/did you mean (\w+)/)?.[1];
    expect(guess('clientID', 'clientId')).toBe('clientId'); // one change
    expect(guess('openApiHots', 'openApiHost')).toBe('openApiHost'); // a swap is two changes
    expect(guess('handlerTimeout', 'handlerTimeoutMs')).toBe('handlerTimeoutMs'); // two missing at the end
    expect(guess('xabc', 'abc')).toBe('abc'); // one added at the start
    expect(guess('bc', 'abc')).toBe('abc'); // one missing at the start
    expect(guess('xyz', 'abc')).toBeUndefined(); // three changes
    expect(guess('abcdefg', 'abcd')).toBeUndefined(); // three added
  });

  it('takes 0 for a duration and a count', () => {
    expect(readOptions('T', { d: ms(5), n: count(5), o: off(5) }, { d: 0, n: 0, o: 0 })).toEqual({ d: 0, n: 0, o: 0 });
  });
});
