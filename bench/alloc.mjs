// `node bench/alloc.mjs [ours-async|ours-chatbot|ours-sync|official|raw] [frames]`: bytes allocated on the
// JS heap per message on the hot path, and by which functions, in one process with no socket
// (frames are fed as strings, as a WHATWG listener gets them). V8's sampling heap profiler
// with objects collected by either GC kept, so short-lived garbage counts too; sampled every
// 256 bytes, so the figure is steady from run to run. Frames are built before sampling starts.
import { Session } from 'node:inspector/promises';
import { chatbotFrame, messageId } from './gateway.mjs';

const kind = process.argv[2] ?? 'ours-async';
const N = Number(process.argv[3] ?? 10_000);
const sink = { chars: 0 };
let acks = 0;

async function setup() {
  if (kind === 'official') {
    const { DWClient, TOPIC_ROBOT } = await import('dingtalk-stream');
    const client = new DWClient({ clientId: 'id', clientSecret: 'secret' });
    client.registerCallbackListener(TOPIC_ROBOT, (res) => {
      sink.chars += JSON.parse(res.data).text.content.length;
      client.socketCallBackResponse(res.headers.messageId, null);
    });
    client.socket = { send: () => acks++ };
    return (text) => client.onDownStream(text);
  }
  if (kind === 'raw') {
    return (text) => {
      const frame = JSON.parse(text);
      sink.chars += JSON.parse(frame.data).text.content.length;
      acks += JSON.stringify({ code: 200, headers: { contentType: 'application/json', messageId: frame.headers.messageId }, message: 'OK', data: '{"response":null}' }).length > 0;
    };
  }
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
    removeEventListener() {}
    send() {
      acks++;
    }
    close() {}
  }
  const fetch = async () => new Response(JSON.stringify({ endpoint: 'ws://127.0.0.1:1/connect', ticket: 't-123456' }), { status: 200 });
  const client = new DingTalkStreamClient({ clientId: 'id', clientSecret: 'secret-123', openApiHost: 'http://127.0.0.1:1', logLevel: 'silent', platform: { WebSocket: FakeSocket, fetch } });
  if (kind === 'ours-chatbot') {
    const { registerChatbotHandler } = await import('dingtalk-stream-universal/chatbot');
    registerChatbotHandler(client, async (message) => {
      sink.chars += message.text.length;
    });
  } else if (kind === 'ours-sync') {
    client.registerCallbackHandler(TOPIC_ROBOT, (msg) => ((sink.chars += msg.data.text.content.length), null));
  } else {
    client.registerCallbackHandler(TOPIC_ROBOT, async (msg) => ((sink.chars += msg.data.text.content.length), null));
  }
  await client.start();
  return (text) => {
    for (const l of socket.listeners.message) l({ type: 'message', data: text });
  };
}

const dispatch = await setup();
const tick = () => new Promise((r) => setImmediate(r));
const feed = async (texts) => {
  for (let i = 0; i < texts.length; i += 64) {
    for (let j = i; j < i + 64 && j < texts.length; j++) dispatch(texts[j]);
    await tick();
  }
};
const frames = (n) => Array.from({ length: n }, () => Buffer.from(chatbotFrame(messageId())).toString());
await feed(frames(4000)); // warm-up: JIT and the dedup window's first generation
const texts = frames(N);
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
await feed(texts);
const { profile } = await session.post('HeapProfiler.stopSampling');
const self = new Map();
const walk = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|bench)\//, '$1/')}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + node.selfSize);
  node.children.forEach(walk);
};
walk(profile.head);
const total = [...self.values()].reduce((a, b) => a + b, 0);
if (process.send) process.send({ kind, bytesPerMessage: total / N });
else {
  console.log(`${kind}: ${(total / N).toFixed(0)} B allocated per message (${N} messages, ${acks} acks)`);
  for (const [k, b] of [...self].sort((x, y) => y[1] - x[1]).slice(0, 12)) console.log(`${(b / N).toFixed(0).padStart(7)} B  ${k}`);
}
process.exit(0);
