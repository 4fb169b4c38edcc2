// `node bench/hotpath.mjs [ours-async|ours-chatbot|ours-sync|official|raw] [rounds]`: the hot path alone, in one
// process, with no socket and no gateway: each client's own code from a received frame
// (a Buffer, as `ws` hands it over) to the ack string it sends. Frames are fed in batches of
// 64 (about one 64 KB socket read) with a macrotask between batches, so promise-based
// dispatch and timers run as they would. Prints µs of CPU per message (median of rounds).
// This is the figure to compare source changes with on a busy machine: it has no network
// noise and no second process competing for the two cores.
import { chatbotFrame, messageId } from './gateway.mjs';

const kind = process.argv[2] ?? 'ours-async';
const rounds = Number(process.argv[3] ?? 7);
const N = 20_000;
const BATCH = 64;
let acks = 0;
const sink = { chars: 0 };

async function setup() {
  if (kind.startsWith('ours')) {
    const { DingTalkStreamClient, TOPIC_ROBOT } = await import('dingtalk-stream-universal');
    let socket;
    class FakeSocket {
      readyState = 0;
      listeners = { open: [], message: [], close: [], error: [] };
      constructor() {
        socket = this;
        queueMicrotask(() => {
          this.readyState = 1;
          for (const l of this.listeners.open) l({ type: 'open' });
        });
      }
      addEventListener(t, l) {
        this.listeners[t].push(l);
      }
      removeEventListener(t, l) {
        this.listeners[t] = this.listeners[t].filter((x) => x !== l);
      }
      send() {
        acks++;
      }
      close() {}
    }
    const fetch = async () => new Response(JSON.stringify({ endpoint: 'ws://127.0.0.1:1/connect', ticket: 't-123456' }), { status: 200 });
    const client = new DingTalkStreamClient({ clientId: 'id', clientSecret: 'secret-123', openApiHost: 'http://127.0.0.1:1', logLevel: 'silent', platform: { WebSocket: FakeSocket, fetch } });
    // the same handlers as bench/clients/ours-*.mjs
    if (kind === 'ours-chatbot') {
      const { registerChatbotHandler } = await import('dingtalk-stream-universal/chatbot');
      registerChatbotHandler(client, async (message) => {
        sink.chars += message.text.length;
      });
    } else if (kind === 'ours-sync') {
      client.registerCallbackHandler(TOPIC_ROBOT, (msg) => {
        sink.chars += msg.data.text.content.length;
        return null;
      });
    } else {
      client.registerCallbackHandler(TOPIC_ROBOT, async (msg) => {
        sink.chars += msg.data.text.content.length;
        return null;
      });
    }
    await client.start();
    // what `ws` does for a WHATWG listener: text frames become strings
    const dispatch = (buf) => {
      const event = { type: 'message', data: buf.toString() };
      for (const l of socket.listeners.message) l(event);
    };
    return { dispatch, stop: () => client.stop() };
  }
  if (kind === 'official') {
    const { DWClient, TOPIC_ROBOT } = await import('dingtalk-stream');
    const client = new DWClient({ clientId: 'id', clientSecret: 'secret' });
    client.registerCallbackListener(TOPIC_ROBOT, (res) => {
      const message = JSON.parse(res.data);
      sink.chars += message.text.content.length;
      client.socketCallBackResponse(res.headers.messageId, null);
    });
    client.socket = { send: () => acks++ };
    return { dispatch: (buf) => client.onDownStream(buf), stop: () => {} };
  }
  const ws = { send: () => acks++ };
  return {
    dispatch: (raw) => {
      const frame = JSON.parse(raw);
      if (frame.type === 'CALLBACK') {
        const data = JSON.parse(frame.data);
        sink.chars += data.text.content.length;
        ws.send(JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId: frame.headers.messageId }, message: 'OK', data: '{"response":null}' }));
      }
    },
    stop: () => {},
  };
}

const { dispatch, stop } = await setup();
const tick = () => new Promise((r) => setImmediate(r));
const results = [];
for (let round = 0; round <= rounds; round++) {
  const frames = Array.from({ length: N }, () => Buffer.from(chatbotFrame(messageId())));
  await tick();
  const acks0 = acks;
  const a = process.cpuUsage();
  for (let i = 0; i < N; i += BATCH) {
    for (let j = i; j < i + BATCH && j < N; j++) dispatch(frames[j]);
    await tick();
  }
  while (acks - acks0 < N) await tick();
  const b = process.cpuUsage(a);
  if (round > 0) results.push((b.user + b.system) / N); // round 0 warms the JIT up
}
results.sort((x, y) => x - y);
const med = results[results.length >> 1];
if (process.send) process.send({ kind, perMessage: med, rounds: results });
else console.log(`${kind}: ${med.toFixed(2)} µs/msg (median of ${rounds}; ${results.map((x) => x.toFixed(2)).join(', ')})`);
await stop();
process.exit(0);
