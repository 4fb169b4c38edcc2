// The floor in workerd: the same Durable Object with no SDK (fetch the ticket, new WebSocket).
const OPEN_PATH = '/v1.0/gateway/connections/open';

export class BotDO {
  constructor(state, env) {
    this.env = env;
    this.ws = undefined;
  }
  async fetch() {
    if (!this.ws) {
      const { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret, GATEWAY } = this.env;
      const res = await fetch(GATEWAY + OPEN_PATH, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ clientId, clientSecret, subscriptions: [{ type: 'CALLBACK', topic: '/v1.0/im/bot/messages/get' }], ua: 'raw' }),
      });
      const { endpoint, ticket } = await res.json();
      const ws = (this.ws = new WebSocket(`${endpoint}?ticket=${encodeURIComponent(ticket)}`));
      ws.addEventListener('message', (event) => {
        const frame = JSON.parse(event.data);
        if (frame.type === 'CALLBACK') {
          JSON.parse(frame.data);
          ws.send(JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId: frame.headers.messageId }, message: 'OK', data: '{"response":null}' }));
        }
      });
      await new Promise((resolve, reject) => {
        ws.addEventListener('open', resolve, { once: true });
        ws.addEventListener('error', reject, { once: true });
      });
    }
    return new Response('open');
  }
}

export default {
  fetch(request, env) {
    return env.BOT.get(env.BOT.idFromName('bot')).fetch(request);
  },
};
