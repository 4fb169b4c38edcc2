import type { PushedFrame } from './deliveries.js';

/**
 * Whether a connection opened with `subscriptions` (the open call's body) may receive
 * `frame`. The gateway only pushes what a client subscribed to (protocol.md §2.4, devpedia:
 * "the server only pushes topics the client subscribed to"): EVENTs need
 * `{type: 'EVENT', topic: '*'}` (or the event's own topic), a CALLBACK needs its topic.
 * SYSTEM frames go to every connection.
 *
 * @example
 * ```ts
 * subscribes([{ type: 'EVENT', topic: '*' }], { specVersion: '1.0', type: 'EVENT', headers: { topic: '*' }, data: '{}' }); // true
 * ```
 */
export function subscribes(subscriptions: unknown, frame: PushedFrame): boolean {
  if (frame.type === 'SYSTEM') return true;
  if (!Array.isArray(subscriptions)) return false;
  const topic = frame.headers.topic;
  return subscriptions.some((s: unknown) => {
    const sub = (s ?? {}) as { type?: unknown; topic?: unknown };
    if (sub.type !== frame.type) return false;
    return sub.topic === topic || (frame.type === 'EVENT' && sub.topic === '*');
  });
}
