// `node bench/alloc.mjs [ours-async|ours-chatbot|ours-sync|official|raw] [frames]`: bytes allocated on the
// JS heap per message on the hot path, and by which functions, in one process with no socket
// (frames are fed as strings, as a WHATWG listener gets them). V8's sampling heap profiler
// with objects collected by either GC kept, so short-lived garbage counts too; sampled every
// 256 bytes, so the figure is steady from run to run. Frames are built before sampling starts.
import { Session } from 'node:inspector/promises';
import { chatbotFrame, messageId } from './gateway.mjs';
import { inProcessClient } from './in-process.mjs';

const kind = process.argv[2] ?? 'ours-async';
const N = Number(process.argv[3] ?? 10_000);
let acks = 0;

const { dispatch } = await inProcessClient(kind, () => acks++);
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
