import * as v from 'valibot';
import { PayloadError } from './errors.js';

/**
 * A plain check read once from a valibot schema (the kinds the payload schemas use: object,
 * array, optional, string, number, boolean): `true` when `data` certainly matches, with no
 * output copy built; `false` means "ask valibot", which then says what is wrong.
 */
export function checker(schema: any): (data: any) => boolean {
  const { type, entries, item, wrapped } = schema;
  if (schema.pipe) return () => false;
  if (wrapped) {
    const inner = checker(wrapped);
    return (data) => type == 'optional' && (data === undefined || inner(data));
  }
  if (item) {
    const each = checker(item);
    return (data) => Array.isArray(data) && data.every(each);
  }
  if (entries) {
    const fields = Object.keys(entries).map((key) => [key, checker(entries[key])] as const);
    return (data) => {
      if (!data || typeof data != 'object') return false;
      for (const [key, check] of fields) if (!check(data[key])) return false;
      return true;
    };
  }
  return (data) => typeof data == type && data === data; // string, number, boolean (valibot refuses NaN)
}

/** Validates `data` against `schema`, or throws {@link PayloadError} naming the bad fields (not their values). */
export function validate<S extends v.GenericSchema>(schema: S, data: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, data);
  if (result.success) return result.output;
  throw new PayloadError(what, result.issues.slice(0, 5).map((i) => `${v.getDotPath(i) ?? '(root)'}: expected ${i.expected ?? 'a valid value'}`));
}

/** Parses a JSON string field (card `content`/`extension`); an empty or broken one becomes `{}`. */
export function jsonField(text: unknown): Record<string, any> {
  if (typeof text !== 'string' || !text) return typeof text === 'object' && text !== null ? (text as Record<string, any>) : {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, any>) : {};
  } catch {
    return {};
  }
}
