// `node bench/flood.mjs [kinds=ours-async,official] [runs=3]`: the socket flood alone (figure 1
// of `npm run bench`), for quick A/B work on one change: each run forks a fresh client process,
// warms it with 2,000 frames, floods 20,000 ~1 KB chatbot frames (at most 1,000 unacked) and
// prints the client's CPU per acked message and its peak RSS. Kinds alternate run by run.
// BENCH_CHILD_ARGS passes flags to the client (e.g. `--trace-gc`) and shows its stdout.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchGateway, chatbotFrame, messageId } from './gateway.mjs';

const kinds = (process.argv[2] ?? 'ours-async,official').split(',');
const runs = Number(process.argv[3] ?? 3);
const frames = (n) => Array.from({ length: n }, () => {
  const id = messageId();
  return [id, chatbotFrame(id)];
});
const gw = await new BenchGateway().listen();
const results = Object.fromEntries(kinds.map((k) => [k, []]));
for (let run = 0; run < runs; run++) {
  for (const kind of kinds) {
    const opened = gw.nextOpen();
    const child = fork(fileURLToPath(new URL(`./clients/${kind}.mjs`, import.meta.url)), [gw.openApiHost, gw.clientId, gw.clientSecret, 'single'], {
      stdio: ['ignore', process.env.BENCH_CHILD_ARGS ? 'inherit' : 'ignore', 'inherit', 'ipc'],
      execArgv: ['--expose-gc', ...(process.env.BENCH_CHILD_ARGS ? process.env.BENCH_CHILD_ARGS.split(' ') : [])],
    });
    const replies = [];
    child.on('message', (m) => replies.shift()?.(m));
    const ask = (cmd) => new Promise((resolve) => (replies.push(resolve), child.send({ cmd })));
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
    child.send({ cmd: 'stop' });
    await new Promise((r) => child.once('exit', r));
  }
}
await gw.close();
const med = (xs) => xs.slice().sort((x, y) => x - y)[xs.length >> 1];
for (const [kind, rs] of Object.entries(results)) {
  console.log(`${kind.padEnd(13)} CPU ${med(rs.map((r) => r.cpu)).toFixed(1)} µs/ack (${rs.map((r) => r.cpu.toFixed(1)).join(', ')}), peak RSS ${med(rs.map((r) => r.peak)).toFixed(1)} MiB (${rs.map((r) => r.peak.toFixed(0)).join(', ')})`);
}
