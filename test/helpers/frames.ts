import { afterEach } from 'vitest';
import { eventHeaders, newMessageId, type FakeDingTalkGateway } from '../../src/testing/index.js';
import { delay } from './setup.js';

// Raw frames sent by hand on the live connection, at chosen moments (a redelivery keeps only the
// business id under a new messageId: protocol.md §10.1), and the signals the fake gateway does not see.

/** Sends a CALLBACK frame on the live connection; returns its messageId. */
export function sendCallback(gw: FakeDingTalkGateway, topic: string, data: unknown, messageId = newMessageId()): string {
  const headers = { topic, messageId, contentType: 'application/json', time: String(Date.now()) };
  gw.sendRaw(JSON.stringify({ specVersion: '1.0', type: 'CALLBACK', headers, data: JSON.stringify(data) }), gw.live()[0]);
  return messageId;
}

/** Sends an EVENT frame with `eventId` under a new messageId (a first delivery or a redelivery). */
export function sendEvent(gw: FakeDingTalkGateway, eventId: string): string {
  const messageId = newMessageId();
  const headers = { ...eventHeaders('user_add_org'), eventId, messageId };
  gw.sendRaw(JSON.stringify({ specVersion: '1.0', type: 'EVENT', headers, data: JSON.stringify({ userId: ['u1'] }) }), gw.live()[0]);
  return messageId;
}

/** Polls `predicate` every 5 ms; `false` if it did not hold within `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > end) return false;
    await delay(5);
  }
  return true;
}

/** Every unhandled rejection and uncaught exception since {@link watchEscapes}, as `kind: Name: first line`. */
export const escaped: string[] = [];
const onEscape = (kind: string) => (reason: unknown) => escaped.push(`${kind}: ${reason instanceof Error ? `${reason.name}: ${reason.message.split('\n')[0]}` : String(reason)}`);
const onRejection = onEscape('unhandledRejection');
const onException = onEscape('uncaughtException');
afterEach(() => {
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
  escaped.length = 0;
});

/** Records what escapes until the test ends. */
export function watchEscapes(): void {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
}
