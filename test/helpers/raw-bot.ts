// A bot written against the bare protocol with `ws`: it opens a connection with the
// subscriptions it is given and acks only when told to, so a test sees exactly what the fake
// gateway sends and when, without the SDK's acking and dedup in between.
import { afterEach } from 'vitest';
import WebSocket from 'ws';

/** A frame as the bot received it, `data` parsed, with when it arrived. */
export interface Received {
  type: string;
  headers: Record<string, string> & { messageId: string };
  data: any;
  at: number;
}

export interface RawBot {
  readonly frames: Received[];
  /** Frames of type EVENT or CALLBACK (SYSTEM pings left out). */
  pushes(): Received[];
  ack(frame: Received, code?: number, data?: unknown): void;
  waitForFrames(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): void;
}

export const ROBOT = { type: 'CALLBACK', topic: '/v1.0/im/bot/messages/get' };
export const EVENTS = { type: 'EVENT', topic: '*' };

const open: WebSocket[] = [];
afterEach(() => {
  for (const ws of open.splice(0)) ws.terminate();
});

/** Opens a connection to `host` (the fake's openApiHost) with `subscriptions`, closed after the test. */
export async function rawBot(host: string, credentials: { clientId: string; clientSecret: string }, subscriptions: unknown[]): Promise<RawBot> {
  const res = await fetch(`${host}/v1.0/gateway/connections/open`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ ...credentials, subscriptions, ua: 'raw-bot/test' }),
  });
  const { endpoint, ticket } = (await res.json()) as { endpoint: string; ticket: string };
  const ws = new WebSocket(`${endpoint}?ticket=${encodeURIComponent(ticket)}`);
  open.push(ws);
  const frames: Received[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as Omit<Received, 'data' | 'at'> & { data: string };
    frames.push({ type: frame.type, headers: frame.headers, data: JSON.parse(frame.data), at: Date.now() });
    for (const w of [...waiters]) w();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const pushes = () => frames.filter((f) => f.type !== 'SYSTEM');
  return {
    frames,
    pushes,
    ack(frame, code = 200, data = {}) {
      ws.send(JSON.stringify({ code, headers: { messageId: frame.headers.messageId, contentType: 'application/json' }, message: code === 200 ? 'OK' : 'error', data: JSON.stringify(data) }));
    },
    waitForFrames(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pushes().length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(pushes());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`got ${pushes().length} of ${count} frames within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => ws.close(),
  };
}
