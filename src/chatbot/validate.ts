import * as v from 'valibot';
import { PayloadError } from './errors.js';

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
