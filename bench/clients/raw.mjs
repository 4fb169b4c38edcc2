// The floor: no SDK. fetch the ticket, `ws`, JSON.parse both layers, ack. It reconnects at
// once on close and opens a replacement at once on SYSTEM disconnect (no backoff, no
// validation, no dedup), so its recovery figures are the floor too.
import WebSocket from 'ws';
import { serve, work } from './harness.mjs';

const OPEN_PATH = '/v1.0/gateway/connections/open';
const TOPIC_ROBOT = '/v1.0/im/bot/messages/get';

await serve(async ({ openApiHost, clientId, clientSecret }) => {
  let stopped = false;
  let current;
  const open = async () => {
    const res = await fetch(openApiHost + OPEN_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ clientId, clientSecret, subscriptions: [{ type: 'CALLBACK', topic: TOPIC_ROBOT }], ua: 'raw' }),
    });
    const { endpoint, ticket } = await res.json();
    const ws = new WebSocket(`${endpoint}?ticket=${encodeURIComponent(ticket)}`);
    current = ws;
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw);
      const { messageId, topic } = frame.headers;
      if (frame.type === 'CALLBACK') {
        const data = JSON.parse(frame.data);
        work.chars += data.text.content.length;
        ws.send(JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId }, message: 'OK', data: '{"response":null}' }));
      } else if (frame.type === 'SYSTEM') {
        if (topic === 'ping') ws.send(JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId }, message: 'OK', data: frame.data }));
        else if (topic === 'disconnect' && ws === current) void open();
      }
    });
    ws.on('close', () => {
      if (!stopped && ws === current) void open();
    });
    ws.on('error', () => {});
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
  };
  await open();
  return {
    stop: () => {
      stopped = true;
      current?.close();
    },
  };
});
