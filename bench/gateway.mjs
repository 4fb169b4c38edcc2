// A lean gateway for the benchmarks. It speaks the same protocol as the fake in
// src/testing (open call with a credential check, single-use tickets, CALLBACK frames,
// SYSTEM disconnect, abrupt kills) but records nothing per frame: the test fake keeps every
// ack in an array, parses each ack twice and re-checks waiters on every ack, which costs the
// gateway — and on a 2-core machine the gateway shares the CPU with the client under test.
// Here an ack costs one JSON.parse and a Map lookup (for the latency figure).
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';

const OPEN_PATH = '/v1.0/gateway/connections/open';
export const TOPIC_ROBOT = '/v1.0/im/bot/messages/get';

let seq = 0;
/** A unique messageId in the gateway's style. */
export function messageId() {
  seq++;
  return `${(0x1a2b3c4d + seq).toString(16)}_974_${Date.now().toString(16)}_${seq.toString(16)}`;
}

/** A realistic chatbot CALLBACK frame (~1 KB), shaped after protocol samples §8.1. */
export function chatbotFrame(id = messageId(), connectionId = 'conn-1') {
  const now = Date.now();
  const data = {
    conversationId: 'cidAsXSBLnA==',
    atUsers: [{ dingtalkId: '$:LWCP_v1:$4TgHFUDZ8Qi8qr3' }],
    chatbotCorpId: 'ding9f50b15bccd16741',
    chatbotUserId: '$:LWCP_v1:$x3vTgHFUDZ8Qi8qr3',
    msgId: `msg${id.slice(-12)}==`,
    senderNick: '用户',
    isAdmin: true,
    senderStaffId: '1665012345698',
    sessionWebhookExpiredTime: now + 90 * 60_000,
    createAt: now,
    senderCorpId: 'ding9f50b15bccd16741',
    conversationType: '2',
    senderId: '$:LWCP_v1:$jqTgIfhRX9Q==',
    conversationTitle: '测试群',
    isInAtList: true,
    sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=76da36b4c0ffee1234567890f59e8',
    text: { content: ' what is 12 * 7?' },
    robotCode: 'dingrobotcode0b',
    msgtype: 'text',
  };
  return JSON.stringify({
    specVersion: '1.0',
    type: 'CALLBACK',
    headers: { appId: '1305d5f5-0000-484f-0000-97d90000ef67', connectionId, contentType: 'application/json', messageId: id, time: String(now), topic: TOPIC_ROBOT },
    data: JSON.stringify(data),
  });
}

export class BenchGateway {
  constructor({ clientId = 'ding-bench-client', clientSecret = 'bench-client-secret-0123456789' } = {}) {
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.tickets = new Set();
    /** Every socket accepted: { id, socket, tcp, openedAt, closedAt, goingAway } */
    this.connections = [];
    this.liveCount = 0;
    this.nextId = 1;
    /** messageId → send time (performance.now()); deleted on ack */
    this.sentAt = new Map();
    /** ack latencies (ms) of the frames that count, in arrival order */
    this.latencies = [];
    this.acked = 0;
    this.badAcks = 0;
    this.onAck = null;
    this.openWaiters = [];
    this.server = createServer((req, res) => this.onHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    this.server.on('upgrade', (req, tcp, head) => this.onUpgrade(req, tcp, head));
    // 1,000 clients in one process open at once: do not let the listen backlog refuse them
    this.server.maxConnections = Infinity;
  }

  async listen() {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', 4096, resolve);
    });
    this.port = this.server.address().port;
    return this;
  }

  get openApiHost() {
    return `http://127.0.0.1:${this.port}`;
  }

  live() {
    return this.connections.filter((c) => c.closedAt === null);
  }

  /** Resolves with the first connection that opens after this call (or matches `pred`). */
  nextOpen(timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connection opened within ${timeoutMs} ms`)), timeoutMs);
      this.openWaiters.push((conn) => {
        clearTimeout(timer);
        resolve(conn);
      });
    });
  }

  /** Resolves when `pred()` holds, polled every 5 ms. */
  async until(pred, timeoutMs, what) {
    const end = performance.now() + timeoutMs;
    while (!pred()) {
      if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** SYSTEM disconnect; the socket is closed `closeAfterMs` later, like the real gateway (~10 s). */
  disconnect(conn, closeAfterMs) {
    conn.goingAway = true;
    conn.socket.send(JSON.stringify({ specVersion: '1.0', type: 'SYSTEM', headers: { topic: 'disconnect', contentType: 'application/json', time: String(Date.now()) }, data: JSON.stringify({ reason: 'connection is expired' }) }));
    conn.closeTimer = setTimeout(() => conn.closedAt === null && conn.socket.close(1000, 'connection is expired'), closeAfterMs);
  }

  /** Destroys the TCP connection without a close frame (a network failure). */
  kill(conn) {
    conn.tcp.destroy();
  }

  /** Sends pre-built frames; their latency is recorded when `record` is true. */
  send(conn, id, text, record) {
    if (record) this.sentAt.set(id, performance.now());
    conn.socket.send(text);
  }

  /**
   * Pushes `frames` ([id, text] pairs) as fast as the client acks them, keeping at most
   * `window` unacked; resolves when every one is acked.
   */
  flood(conn, frames, window = 1000) {
    return new Promise((resolve, reject) => {
      let next = 0;
      let outstanding = 0;
      const total = frames.length;
      const startAcked = this.acked;
      const pump = () => {
        while (outstanding < window && next < total) {
          const [, text] = frames[next++];
          outstanding++;
          conn.socket.send(text);
        }
      };
      const timer = setTimeout(() => {
        this.onAck = null;
        reject(new Error(`flood: only ${this.acked - startAcked}/${total} acked after 120 s`));
      }, 120_000);
      this.onAck = () => {
        outstanding--;
        if (this.acked - startAcked >= total) {
          clearTimeout(timer);
          this.onAck = null;
          resolve();
        } else pump();
      };
      pump();
    });
  }

  /**
   * Pushes frames at a fixed `rate` per second for `durationMs`; frames sent after
   * `warmupMs` have their ack latency recorded. Resolves when all are acked (or 5 s after
   * the last send), with the latencies of the recorded ones.
   */
  async paced(conn, rate, durationMs, warmupMs) {
    this.latencies = [];
    this.sentAt.clear();
    const total = Math.round((rate * durationMs) / 1000);
    const frames = Array.from({ length: total }, () => {
      const id = messageId();
      return [id, chatbotFrame(id, `conn-${conn.id}`)];
    });
    const startAcked = this.acked;
    const t0 = performance.now();
    let sent = 0;
    await new Promise((resolve) => {
      const tick = () => {
        const elapsed = performance.now() - t0;
        const due = Math.min(total, Math.floor((elapsed * rate) / 1000));
        while (sent < due) {
          const [id, text] = frames[sent];
          this.send(conn, id, text, elapsed >= warmupMs);
          sent++;
        }
        if (sent < total) setTimeout(tick, 1);
        else resolve();
      };
      tick();
    });
    await this.until(() => this.acked - startAcked >= total, 5000, 'the paced acks').catch(() => {});
    const lost = total - (this.acked - startAcked);
    return { latencies: this.latencies.slice(), lost };
  }

  async close() {
    for (const c of this.connections) {
      clearTimeout(c.closeTimer);
      c.tcp.destroy();
    }
    this.wss.close();
    this.server.closeAllConnections?.();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }

  onHttp(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method !== 'POST' || url.pathname !== OPEN_PATH) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"NotFound"}');
        return;
      }
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      if (!body || body.clientId !== this.clientId || body.clientSecret !== this.clientSecret) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"code":"InvalidAuthentication","message":"clientId or clientSecret is invalid"}');
        return;
      }
      const ticket = randomUUID();
      this.tickets.add(ticket);
      res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' }).end(JSON.stringify({ endpoint: `ws://127.0.0.1:${this.port}/connect`, ticket }));
    });
  }

  onUpgrade(req, tcp, head) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/connect' || !this.tickets.delete(ticket)) {
      tcp.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    tcp.setNoDelay(true);
    this.wss.handleUpgrade(req, tcp, head, (socket) => {
      const conn = { id: this.nextId++, socket, tcp, openedAt: performance.now(), closedAt: null, goingAway: false, closeTimer: undefined };
      this.connections.push(conn);
      this.liveCount++;
      socket.on('message', (raw) => this.ack(raw));
      socket.on('close', () => {
        conn.closedAt = performance.now();
        this.liveCount--;
        clearTimeout(conn.closeTimer);
      });
      socket.on('error', () => {});
      for (const w of this.openWaiters.splice(0)) w(conn);
    });
  }

  ack(raw) {
    const now = performance.now();
    let id;
    let ok = false;
    try {
      const ack = JSON.parse(raw);
      id = ack.headers?.messageId;
      ok = ack.code === 200;
    } catch {
      /* not JSON */
    }
    if (!ok || !id) {
      this.badAcks++;
      return;
    }
    this.acked++;
    const t = this.sentAt.get(id);
    if (t !== undefined) {
      this.sentAt.delete(id);
      this.latencies.push(now - t);
    }
    this.onAck?.();
  }
}
