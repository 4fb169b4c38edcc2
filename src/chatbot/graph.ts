import * as v from 'valibot';
import { validate } from './validate.js';

const GraphRequestSchema = v.object({
  requestLine: v.object({ method: v.string(), uri: v.string() }),
  headers: v.optional(v.record(v.string(), v.string()), {}),
  body: v.optional(v.unknown()),
});

/**
 * A Graph API / AI plugin call (`/v1.0/graph/api/invoke`): an HTTP request carried over the stream.
 *
 * @example
 * ```ts
 * const req: GraphRequest = parseGraphRequest(msg.data);
 * if (req.path === '/v1/actions/example/weather/get') console.log(req.json<{ city: string }>().city);
 * ```
 */
export interface GraphRequest {
  requestLine: { method: string; uri: string };
  /** `x-plugin-id`, `x-ability-key`, … */
  headers: Record<string, string>;
  /** The body as sent (a JSON string of the action's parameters). */
  body: unknown;
  /** The path part of `requestLine.uri`. */
  path: string;
  /** The query of `requestLine.uri`. */
  query: URLSearchParams;
  /** The body parsed as JSON (`{}` when empty). */
  json<T = Record<string, any>>(): T;
  raw: Record<string, unknown>;
}

/**
 * Validates and parses a Graph API request; throws `PayloadError` if it is not one.
 *
 * @example
 * ```ts
 * const req = parseGraphRequest(streamMessage.data);
 * ```
 */
export function parseGraphRequest(data: unknown): GraphRequest {
  const raw = validate(GraphRequestSchema, data, 'graph API request');
  const uri = new URL(raw.requestLine.uri, 'http://graph.invalid');
  return {
    requestLine: raw.requestLine,
    headers: raw.headers,
    body: raw.body,
    path: uri.pathname,
    query: uri.searchParams,
    json: <T>() => (typeof raw.body === 'string' ? (raw.body ? JSON.parse(raw.body) : {}) : (raw.body ?? {})) as T,
    raw: data as Record<string, unknown>,
  };
}

/**
 * What a Graph API handler answers: an HTTP response carried back in the ack.
 *
 * @example
 * ```ts
 * const res: GraphResponse = graphResponse({ body: { temperature: 25 } });
 * ```
 */
export interface GraphResponse {
  statusLine: { code: number; reasonPhrase: string };
  headers: Record<string, string>;
  /** A JSON string. */
  body: string;
}

const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' };

/**
 * Builds a Graph API response: `statusLine` (default 200 OK), `Content-Type:
 * application/json` unless overridden, and the body serialised to a JSON string (a string
 * body is sent as is).
 *
 * @example
 * ```ts
 * registerGraphApiHandler(client, (req) => graphResponse({ body: { city: req.json().city, weather: 'sunny' } }));
 * ```
 */
export function graphResponse(o: { status?: number; reasonPhrase?: string; headers?: Record<string, string>; body?: unknown } = {}): GraphResponse {
  const code = o.status ?? 200;
  return {
    statusLine: { code, reasonPhrase: o.reasonPhrase ?? REASONS[code] ?? '' },
    headers: { 'Content-Type': 'application/json', ...o.headers },
    body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body ?? {}),
  };
}
