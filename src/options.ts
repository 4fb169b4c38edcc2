import { ConfigError } from './errors.js';

/** The longest delay a timer takes (2^31 − 1 ms, ~24.8 days); a longer one fires at once. */
const MAX_DELAY = 2_147_483_647;
/**
 * How a setting is checked: `ms` a duration (beyond the timer maximum, Infinity included, it is the maximum: "no limit"), `off` a duration where 0 means off
 * (beyond the maximum it is 0: never), `count` a number ≥ 0, a `typeof` name, a list of the allowed strings, or `any`.
 */
type Kind = 'ms' | 'off' | 'count' | 'string' | 'function' | 'object' | 'boolean' | 'any' | readonly string[];
/** One row of an options table: how the setting is checked and its default; `T` is its type. @example `const TABLE = { timeoutMs: ms(45_000), name: opt<string>('string') };` */
export type Rule<T = unknown> = readonly [kind: Kind, fallback: T] & { readonly type?: T };
/** The options a table accepts: each may be left out or `undefined`. Its rows' TSDoc is theirs. */
export type OptionsOf<T> = { [K in keyof T]?: (T[K] extends Rule<infer V> ? V : never) | undefined };
/** What {@link readOptions} gives: every setting, with its default where none was given. */
export type ValuesOf<T> = { [K in keyof T]: T[K] extends Rule<infer V> ? V : never };
const rule = <T>(kind: Kind, fallback?: T) => [kind, fallback] as unknown as Rule<T>;
/** A duration in ms (see {@link Kind}). */
export const ms = (fallback: number) => rule('ms', fallback);
/** A duration in ms where 0 means off. */
export const off = (fallback: number) => rule('off', fallback);
/** A number ≥ 0. */
export const count = (fallback: number) => rule('count', fallback);
/** A setting with no default, checked by `typeof` (or one of a list of strings). */
export const opt = <T>(kind: Kind) => rule<T | undefined>(kind);
/** A setting with a default, checked by `typeof`. */
export const val = <T>(kind: Kind, fallback: T) => rule<T>(kind, fallback);
const an = (word: string) => `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
/** Edit distance: how far a mistyped option is from a real one (`clientID` → 1, `openApiHots` → 2). */
function distance(a: string, b: string): number {
  let row = [...Array(b.length + 1).keys()];
  for (const c of a) {
    const next = [row[0]! + 1];
    for (let j = 0; j < b.length; j++) next.push(Math.min(row[j + 1]! + 1, next[j]! + 1, row[j]! + +(c !== b[j])));
    row = next;
  }
  return row[b.length]!;
}
/**
 * Checks `given` against `table`: an unknown key (with the nearest known one), a value of the wrong kind or a negative number is a {@link ConfigError} naming
 * `owner`; `undefined` takes the default. The one place every options object a user passes is read.
 * @example `const { timeoutMs } = readOptions('registerGraphApiHandler', { timeoutMs: ms(45_000) }, options);`
 */
export function readOptions<T extends Record<string, Rule<any>>>(owner: string, table: T, given: object | null | undefined): ValuesOf<T> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given ?? {})) {
    if (key in table) continue;
    let near = '';
    for (const known in table) if (distance(key, known) < Math.min(3, near ? distance(key, near) : 3)) near = known;
    throw new ConfigError(`Unknown option ${key} for ${owner}${near ? ` (did you mean ${near}?)` : ''}`);
  }
  for (const key in table) {
    const [kind, fallback] = table[key]!;
    let value = (given as Record<string, unknown> | undefined)?.[key];
    if (value === undefined) value = fallback;
    else if (kind === 'ms' || kind === 'off' || kind === 'count') {
      if (typeof value !== 'number' || !(value >= 0)) throw new ConfigError(`${owner}: ${key} must be a number >= 0, not ${typeof value === 'number' ? value : an(typeof value)}`);
      if (kind !== 'count' && value > MAX_DELAY) value = kind === 'off' ? 0 : MAX_DELAY;
    } else if (typeof kind === 'object' ? !kind.includes(value as string) : kind !== 'any' && typeof value !== kind) {
      throw new ConfigError(`${owner}: ${key} must be ${typeof kind === 'object' ? kind.map((k) => `'${k}'`).join(' or ') : an(kind)}, not ${typeof value === 'string' && typeof kind === 'object' ? value : value === null ? 'null' : an(typeof value)}`);
    }
    out[key] = value;
  }
  return out as ValuesOf<T>;
}
