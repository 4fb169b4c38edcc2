import { InsecureTransportError } from '../errors.js';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
/** Throws {@link InsecureTransportError} unless `url` is `https:`/`wss:`, or `http:`/`ws:` to loopback (tests, the local gateway). */
export function assertSecureUrl(url: string): URL {
  const parsed = new URL(url); // an invalid URL throws a TypeError here
  const { protocol } = parsed;
  if (protocol === 'https:' || protocol === 'wss:' || ((protocol === 'http:' || protocol === 'ws:') && LOOPBACK.test(parsed.hostname))) return parsed;
  throw new InsecureTransportError(`${protocol}//${parsed.host}`);
}
