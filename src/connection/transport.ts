import { InsecureTransportError } from '../errors.js';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Throws {@link InsecureTransportError} unless `url` is `https:`/`wss:`, or plain
 * `http:`/`ws:` to a loopback host (tests and the local gateway).
 *
 * @example
 * ```ts
 * assertSecureUrl('https://api.dingtalk.com'); // ok
 * assertSecureUrl('http://127.0.0.1:8080');    // ok, loopback
 * ```
 */
export function assertSecureUrl(url: string): URL {
  const parsed = new URL(url); // an invalid URL throws a TypeError here
  const { protocol } = parsed;
  if (protocol === 'https:' || protocol === 'wss:' || ((protocol === 'http:' || protocol === 'ws:') && LOOPBACK.test(parsed.hostname))) return parsed;
  throw new InsecureTransportError(`${protocol}//${parsed.host}`);
}
