import { DingTalkStreamError } from '../../src/errors.js';
import type { BotStatus, DurableObjectNamespaceLike } from './types.js';

/**
 * The object's side of the control routes: any path ending in `/start` (POST), `/stop`
 * (POST) or `/status` (GET), each only with `Authorization: Bearer <token>`; the action's
 * status as JSON, or a typed error with no secret in it.
 *
 * @example
 * ```ts
 * return serveControl(request, env.DINGTALK_CONTROL_TOKEN, { start, stop, status });
 * ```
 */
export async function serveControl(request: Request, token: string | undefined, actions: Record<'start' | 'stop' | 'status', () => Promise<BotStatus>>): Promise<Response> {
  const action = new URL(request.url).pathname.split('/').pop();
  if (action !== 'start' && action !== 'stop' && action !== 'status') return json(404, { error: { code: 'NOT_FOUND', message: 'routes: POST /start, POST /stop, GET /status' } });
  const refused = await authorize(request, token);
  if (refused) return refused;
  const method = action === 'status' ? 'GET' : 'POST';
  if (request.method !== method) return json(405, { error: { code: 'METHOD_NOT_ALLOWED', message: `use ${method} /${action}` } }, { allow: method });
  try {
    return json(200, await actions[action]());
  } catch (err) {
    const error = err instanceof DingTalkStreamError ? err : new DingTalkStreamError('INTERNAL', 'the bot could not act; see the object log');
    if (!(err instanceof DingTalkStreamError)) console.error('dingtalk-stream: control request failed', err);
    return json(500, { error: { code: error.code, message: error.message } });
  }
}

/**
 * A tiny Worker `fetch` handler: forwards `/start`, `/stop` and `/status` to the named bot
 * object (the object checks the token) and answers 404 to anything else.
 *
 * @example
 * ```ts
 * export default { fetch: (request: Request, env: Env) => routeControl(request, env.DINGTALK_BOT) };
 * ```
 */
export async function routeControl(request: Request, namespace: DurableObjectNamespaceLike, name = 'default'): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path !== '/start' && path !== '/stop' && path !== '/status') return json(404, { error: { code: 'NOT_FOUND', message: 'routes: POST /start, POST /stop, GET /status' } });
  return namespace.get(namespace.idFromName(name)).fetch(request);
}

/**
 * Compares two secrets in time independent of where they differ and of their lengths: both
 * are hashed with SHA-256 and the digests compared with no early exit (`timingSafeEqual`
 * where the runtime has it, as workerd does).
 *
 * @example
 * ```ts
 * await constantTimeEqual(given, env.DINGTALK_CONTROL_TOKEN); // true or false
 * ```
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [x, y] = await Promise.all([crypto.subtle.digest('SHA-256', encoder.encode(a)), crypto.subtle.digest('SHA-256', encoder.encode(b))]);
  const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual?: (a: ArrayBuffer, b: ArrayBuffer) => boolean };
  if (typeof subtle.timingSafeEqual === 'function') return subtle.timingSafeEqual(x, y);
  const p = new Uint8Array(x);
  const q = new Uint8Array(y);
  let diff = 0;
  for (let i = 0; i < p.length; i++) diff |= (p[i] as number) ^ (q[i] as number);
  return diff === 0;
}

/** `null` when the request carries the control token, else the refusal to send. */
async function authorize(request: Request, token: string | undefined): Promise<Response | null> {
  if (!token) return json(503, { error: { code: 'CONTROL_TOKEN_UNSET', message: 'set the DINGTALK_CONTROL_TOKEN secret to enable the control routes' } });
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (match && (await constantTimeEqual(match[1] as string, token))) return null;
  return json(401, { error: { code: 'UNAUTHORIZED', message: 'missing or wrong control token' } }, { 'www-authenticate': 'Bearer' });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}
