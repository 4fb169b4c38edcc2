// `node bench/flood.mjs [kinds=ours-async,official] [runs=3]`: the socket flood alone (figure 1
// of `npm run bench`), for quick A/B work on one change: each run starts a fresh client process,
// warms it with 2,000 frames, floods 20,000 ~1 KB chatbot frames (at most 1,000 unacked) and
// prints the client's CPU per acked message and its peak RSS. Kinds alternate run by run.
// A kind may name a runtime and a socket (bench/spawn.mjs): `node22/ours-async:global`,
// `ours-async:ws-unbatched`, `bun/ours-async`, `deno/ours-async`; one whose runtime is
// missing prints n/a. BENCH_CHILD_ARGS passes flags to a Node client (e.g. `--trace-gc`) and
// shows its stdout.
import { BenchGateway, chatbotFrame, messageId } from './gateway.mjs';
import { runtimeMissing, startClient } from './spawn.mjs';

const kinds = (process.argv[2] ?? 'ours-async,official').split(',');
const runs = Number(process.argv[3] ?? 3);
const frames = (n) => Array.from({ length: n }, () => {
  const id = messageId();
  return [id, chatbotFrame(id)];
});
const childArgs = process.env.BENCH_CHILD_ARGS ? process.env.BENCH_CHILD_ARGS.split(' ') : [];
const missing = Object.fromEntries(kinds.map((k) => [k, runtimeMissing(k)]));
const gw = await new BenchGateway().listen();
const results = Object.fromEntries(kinds.map((k) => [k, []]));
for (let run = 0; run < runs; run++) {
  for (const kind of kinds) {
    if (missing[kind]) continue;
    const opened = gw.nextOpen();
    const c = startClient(kind, [gw.openApiHost, gw.clientId, gw.clientSecret, 'single'], { childArgs, inheritStderr: true, inheritStdout: childArgs.length > 0 });
    const replies = [];
    c.onMessage((m) => replies.shift()?.(m));
    const ask = (cmd) => new Promise((resolve) => (replies.push(resolve), c.send({ cmd })));
    const conn = await opened;
    await new Promise((r) => replies.push(r)); // started
    await gw.flood(conn, frames(2000), 1000);
    const batch = frames(20_000);
    const a = await ask('usage');
    const acked0 = gw.acked;
    await gw.flood(conn, batch, 1000);
    const b = await ask('usage');
    const cpu = (b.cpu.user - a.cpu.user + b.cpu.system - a.cpu.system) / (gw.acked - acked0);
    results[kind].push({ cpu, peak: b.maxRSS / 2 ** 20 });
    c.send({ cmd: 'stop' });
    const timer = setTimeout(() => c.kill(), 5000);
    await c.exited;
    clearTimeout(timer);
  }
}
await gw.close();
const med = (xs) => xs.slice().sort((x, y) => x - y)[xs.length >> 1];
const width = Math.max(13, ...kinds.map((k) => k.length + 1));
for (const [kind, rs] of Object.entries(results)) {
  if (missing[kind]) console.log(`${kind.padEnd(width)} n/a (${missing[kind]})`);
  else console.log(`${kind.padEnd(width)} CPU ${med(rs.map((r) => r.cpu)).toFixed(1)} µs/ack (${rs.map((r) => r.cpu.toFixed(1)).join(', ')}), peak RSS ${med(rs.map((r) => r.peak)).toFixed(1)} MiB (${rs.map((r) => r.peak.toFixed(0)).join(', ')})`);
}
