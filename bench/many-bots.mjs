// `node bench/many-bots.mjs [N]`: memory per connection when one process hosts many bots
// (a platform running a client per customer app). Our client only, N clients (default 1000)
// against the lean bench gateway; the figure is the marginal cost from N/2 to N connections
// after GC, as in bench/run.mjs's memory row. For docs/scaling.md.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchGateway } from './gateway.mjs';

const N = Number(process.argv[2] ?? 1000);
const gw = await new BenchGateway().listen();
const child = fork(fileURLToPath(new URL('./clients/ours-async.mjs', import.meta.url)), [gw.openApiHost, gw.clientId, gw.clientSecret, 'many', String(N)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: ['--expose-gc'] });
const next = () => new Promise((resolve) => child.once('message', resolve));
const started = performance.now();
const { mid, half } = await next();
while (gw.liveCount < N) await new Promise((r) => setTimeout(r, 50));
const openMs = Math.round(performance.now() - started);
await new Promise((r) => setTimeout(r, 300));
child.send({ cmd: 'usage', gc: true });
const u = await next();
const kib = (bytes) => (bytes / 1024).toFixed(1);
console.log(`${N} bots in one process (Node ${process.version}): ${kib((u.rss - mid.rss) / (N - half))} KiB RSS and ${kib((u.heapUsed - mid.heapUsed) / (N - half))} KiB JS heap per connection (marginal, after GC); ${(u.rss / 2 ** 20).toFixed(0)} MiB RSS in all; all open after ${openMs} ms`);
child.send({ cmd: 'stop' });
await new Promise((resolve) => child.once('exit', resolve));
await gw.close();
