/**
 * The rule every route of the local fakes follows, the DingTalk ones (open call, token,
 * session webhook, the WebSocket upgrade) as well as the simulator page's: the request must
 * come from this machine to this server. A Host other than 127.0.0.1/localhost/[::1] is DNS
 * rebinding (a web page that resolved its own name to 127.0.0.1 to reach us); an Origin other
 * than this server's is a web page in the developer's browser (a bot sends no Origin).
 *
 * @example
 * ```ts
 * const refused = foreignRequest(req.headers);
 * if (refused) return res.writeHead(403).end(refused);
 * ```
 */
export function foreignRequest(headers: Record<string, string | string[] | undefined>): string | undefined {
  const host = String(headers.host ?? '');
  if (!/^(127\.0\.0\.1|localhost|\[::1\]):\d+$/i.test(host)) return `unexpected Host ${host || '(none)'}`;
  const origin = headers.origin;
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) return 'cross-origin request refused';
  return undefined;
}

/** The largest request body the fakes read (1 MiB; DingTalk's requests are a few KB). Larger: 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The largest multipart upload they read: DingTalk's 20 MB media limit and the form around it. */
export const MAX_UPLOAD_BYTES = 21 * 1024 * 1024;
