import * as v from 'valibot';

/**
 * The three frame types the gateway pushes.
 *
 * @example
 * ```ts
 * const t: FrameType = 'CALLBACK';
 * ```
 */
export type FrameType = 'SYSTEM' | 'EVENT' | 'CALLBACK';

// The envelope as the protocol defines it: header values are strings, `data` is a JSON string.
// (`specVersion`, optional and never checked by any SDK, is not kept.)
const EnvelopeSchema = v.object({
  type: v.string(), // one of FrameType, checked below (cheaper than a picklist in the bundle)
  headers: v.record(v.string(), v.string()),
  data: v.string(),
});

/**
 * One frame from the gateway after both JSON layers are parsed and validated.
 *
 * @example
 * ```ts
 * const r = parseFrame(text);
 * if (r.ok) console.log(r.frame.type, r.frame.headers.topic, r.frame.data);
 * ```
 */
export interface Frame {
  type: FrameType;
  headers: Record<string, string> & { topic: string; messageId?: string };
  /** The `data` string exactly as received (echoed verbatim in ping acks). */
  rawData: string;
  /** `data` parsed as JSON. */
  data: unknown;
}

/**
 * The outcome of {@link parseFrame}: a valid frame, or why not (with the `messageId` when one
 * could be read, so that a poison message can still be acked and not redelivered forever).
 *
 * @example
 * ```ts
 * const r: ParseResult = parseFrame('{');
 * if (!r.ok) console.warn(r.reason);
 * ```
 */
export type ParseResult =
  | { ok: true; frame: Frame }
  | { ok: false; reason: string; messageId?: string; type?: string };

const MAX_REASON = 200;

type Envelope = { type: FrameType; headers: Frame['headers']; data: string };

/**
 * True only when EnvelopeSchema accepts `json` too: a string `type` and `data`, and headers
 * whose every key holds a string. (valibot's record would drop the keys `__proto__`,
 * `prototype` and `constructor` from its copy; here they stay, as own data properties of the
 * parsed object, which is harmless.)
 */
function wellFormed(json: unknown): boolean {
  const e = json as { type?: unknown; headers?: Record<string, unknown>; data?: unknown } | null;
  const headers = e?.headers;
  if (typeof e?.type != 'string' || typeof e.data != 'string' || !headers || typeof headers != 'object') return false;
  for (const key in headers) if (typeof headers[key] != 'string') return false;
  return true;
}

/**
 * Parses a downstream text frame: JSON, then the envelope schema, then `data` as a second
 * JSON layer. Never throws.
 *
 * @example
 * ```ts
 * parseFrame('{"type":"SYSTEM","headers":{"topic":"ping","messageId":"m1"},"data":"{}"}');
 * // { ok: true, frame: { type: 'SYSTEM', headers: {...}, rawData: '{}', data: {} } }
 * ```
 */
export function parseFrame(text: unknown): ParseResult {
  if (typeof text !== 'string') return { ok: false, reason: 'frame is not text' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'frame is not valid JSON' };
  }
  const loose = json as { type?: unknown; headers?: { messageId?: unknown } } | null;
  const messageId = typeof loose?.headers?.messageId === 'string' ? loose.headers.messageId : undefined;
  const type = typeof loose?.type === 'string' ? loose.type : undefined;
  // the valid path: a hand check that accepts only what the schema accepts, and keeps the
  // headers as parsed; anything else goes through valibot, which says what is wrong
  let envelope = wellFormed(json) ? (json as Envelope) : undefined;
  if (!envelope) {
    const result = v.safeParse(EnvelopeSchema, json);
    if (!result.success) {
      const { path, message } = result.issues[0];
      const reason = `${path ? `${path.map((p) => p.key).join('.')}: ` : ''}${message}`.slice(0, MAX_REASON);
      return { ok: false, reason, messageId, type };
    }
    envelope = result.output as Envelope;
  }
  if (envelope.type !== 'SYSTEM' && envelope.type !== 'EVENT' && envelope.type !== 'CALLBACK') {
    return { ok: false, reason: 'type: not SYSTEM, EVENT or CALLBACK', messageId, type };
  }
  if (!envelope.headers.topic) return { ok: false, reason: 'headers.topic is missing', messageId, type };
  if (envelope.type !== 'SYSTEM' && !messageId) {
    return { ok: false, reason: `${envelope.type} frame without headers.messageId`, type };
  }
  let data: unknown;
  try {
    data = JSON.parse(envelope.data);
  } catch {
    return { ok: false, reason: 'data is not valid JSON', messageId, type };
  }
  return {
    ok: true,
    frame: {
      type: envelope.type,
      headers: envelope.headers,
      rawData: envelope.data,
      data,
    },
  };
}
