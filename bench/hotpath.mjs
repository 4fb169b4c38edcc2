// `node bench/hotpath.mjs [ours-async|ours-chatbot|ours-sync|official|raw] [rounds]`: the hot path alone, in one
// process, with no socket and no gateway: each client's own code from a received frame
// (a Buffer, as `ws` hands it over) to the ack string it sends. Frames are fed in batches of
// 64 (about one 64 KB socket read) with a macrotask between batches, so promise-based
// dispatch and timers run as they would. Prints µs of CPU per message (median of rounds).
// This is the figure to compare source changes with on a busy machine: it has no network
// noise and no second process competing for the two cores.
import { chatbotFrame, messageId } from './gateway.mjs';
import { inProcessClient } from './in-process.mjs';

const kind = process.argv[2] ?? 'ours-async';
const rounds = Number(process.argv[3] ?? 7);
const N = 20_000;
const BATCH = 64;
let acks = 0;

const { dispatch, stop } = await inProcessClient(kind, () => acks++);
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
