/** The three frame types the gateway pushes. */
export type FrameType = 'SYSTEM' | 'EVENT' | 'CALLBACK';
/** One frame from the gateway, both JSON layers parsed and checked. */
export interface Frame {
  type: FrameType;
  headers: Record<string, string> & { topic: string; messageId?: string };
  /** The `data` string exactly as received (echoed verbatim in ping acks). */ rawData: string;
  /** `data` parsed as JSON. */ data: unknown;
}
/**
 * A valid frame, or why not (with the `messageId` when one could be read, so that a poison message can still be acked and not redelivered forever).
 */
export type ParseResult = { ok: true; frame: Frame } | { ok: false; reason: string; messageId?: string; type?: string };
/** Why `json` is not an envelope (`{type, headers, data}`, header values strings, `data` a JSON string), or `''`. */
function envelopeError(json: unknown): string {
  const e = json as { type?: unknown; headers?: Record<string, unknown>; data?: unknown } | null;
  if (typeof e !== 'object' || !e) return 'not a JSON object';
  if (e.type !== 'SYSTEM' && e.type !== 'EVENT' && e.type !== 'CALLBACK') return 'type: not SYSTEM, EVENT or CALLBACK';
  if (typeof e.headers !== 'object' || !e.headers) return 'headers: not an object';
  for (const key in e.headers) if (typeof e.headers[key] !== 'string') return `headers.${key.slice(0, 64)}: not a string`;
  if (typeof e.data !== 'string') return 'data: not a string';
  if (!e.headers.topic) return 'headers.topic is missing';
  return e.type !== 'SYSTEM' && !e.headers.messageId ? `${e.type} frame without headers.messageId` : '';
}
/** Parses a downstream frame: its size (over `maxSize`: refused unparsed), JSON, the envelope, `data`'s JSON. Never throws. */
export function parseFrame(text: unknown, maxSize = Infinity): ParseResult {
  if (typeof text !== 'string') return { ok: false, reason: 'frame is not text' };
  // larger than anything DingTalk sends: a hostile peer's, refused before it is parsed
  if (text.length > maxSize) return { ok: false, reason: `frame of ${text.length} characters is over maxFrameSize` };
  let json: { type?: unknown; headers?: { messageId?: unknown }; data?: unknown } | null;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'frame is not valid JSON' };
  }
  const messageId = typeof json?.headers?.messageId === 'string' ? json.headers.messageId : undefined;
  const type = typeof json?.type === 'string' ? json.type : undefined;
  const reason = envelopeError(json);
  if (reason) return { ok: false, reason, messageId, type };
  const frame = json as unknown as Frame & { data: string };
  try {
    return { ok: true, frame: { type: frame.type, headers: frame.headers, rawData: frame.data, data: JSON.parse(frame.data) } };
  } catch {
    return { ok: false, reason: 'data is not valid JSON', messageId, type };
  }
}
