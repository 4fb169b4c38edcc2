import * as v from 'valibot';
import { PayloadError } from './errors.js';

/** Validates `data` against `schema`, or throws {@link PayloadError} naming the bad fields (not their values). */
export function validate<S extends v.GenericSchema>(schema: S, data: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, data);
  if (result.success) return result.output;
  throw new PayloadError(what, result.issues.slice(0, 5).map((i) => `${v.getDotPath(i) ?? '(root)'}: expected ${i.expected ?? 'a valid value'}`));
}

type Check = (value: unknown) => boolean;
type SchemaNode = { type: string; entries?: Record<string, SchemaNode>; wrapped?: SchemaNode; item?: SchemaNode };
const checks = new WeakMap<object, Check | null>();

/**
 * A plain function that says whether `schema` accepts a value, derived from the valibot
 * schema itself (so the schema stays the one definition): objects, arrays, optionals,
 * strings, numbers and booleans. `null` for a schema with anything else: valibot then runs.
 * Defaults are not applied; a caller that needs valibot's output uses {@link validate}.
 */
function compile(node: SchemaNode): Check | null {
  const { type } = node;
  if (type === 'string' || type === 'boolean') return (x) => typeof x === type;
  if (type === 'number') return (x) => typeof x === 'number' && !Number.isNaN(x);
  if (type === 'optional') {
    const inner = compile(node.wrapped!);
    return inner && ((x) => x === undefined || inner(x));
  }
  if (type === 'array') {
    const item = compile(node.item!);
    return item && ((x) => Array.isArray(x) && x.every(item));
  }
  if (type !== 'object') return null;
  const fields: Array<[string, Check]> = [];
  for (const [key, entry] of Object.entries(node.entries!)) {
    const check = compile(entry);
    if (!check) return null;
    fields.push([key, check]);
  }
  // as valibot's object: any non-null object (arrays too), every entry checked
  return (x) => !!x && typeof x === 'object' && fields.every(([key, check]) => check((x as Record<string, unknown>)[key]));
}

/**
 * Throws {@link PayloadError} like {@link validate} when `data` does not fit `schema`, without
 * building valibot's output: the valid path, every message, costs one plain walk; valibot
 * runs only to say what is wrong (or for schemas the walk does not cover).
 */
export function check(schema: v.GenericSchema, data: unknown, what: string): void {
  let fast = checks.get(schema);
  if (fast === undefined) checks.set(schema, (fast = compile(schema as unknown as SchemaNode)));
  if (!fast?.(data)) validate(schema, data, what);
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
