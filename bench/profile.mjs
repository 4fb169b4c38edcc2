// `node bench/profile.mjs [ours-async|ours-chatbot|ours-sync|official|raw] [floods]`: runs one client under
// `node --cpu-prof` through `floods` floods of 20,000 chatbot frames (default 3) and prints
// the functions with the most self time, plus the client CPU per acked message. The kind may
// name a Node runtime and a socket (bench/spawn.mjs), e.g. `ours-async:ws-unbatched` or
// `node22/ours-async:global`.
// The .cpuprofile is kept (in $TMPDIR) for a closer look in Chrome DevTools.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchGateway, chatbotFrame, messageId } from './gateway.mjs';
import { startClient } from './spawn.mjs';

const kind = process.argv[2] ?? 'ours-chatbot';
const floods = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'dingtalk-prof-'));
const gw = await new BenchGateway().listen();
const opened = gw.nextOpen();
const child = startClient(kind, [gw.openApiHost, gw.clientId, gw.clientSecret, 'single'], { childArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], inheritStderr: true });
const replies = [];
child.onMessage((m) => replies.shift()?.(m));
const ask = (cmd) => new Promise((resolve) => (replies.push(resolve), child.send({ cmd })));
const conn = await opened;
await new Promise((r) => replies.push(r)); // started
const cpus = [];
for (let i = 0; i < floods; i++) {
  const frames = Array.from({ length: 20_000 }, () => {
    const id = messageId();
    return [id, chatbotFrame(id)];
  });
  const a = await ask('usage');
  await gw.flood(conn, frames, Number(process.env.BENCH_WINDOW ?? 1000));
  const b = await ask('usage');
  cpus.push((b.cpu.user - a.cpu.user + b.cpu.system - a.cpu.system) / 20_000);
}
child.send({ cmd: 'stop' });
await child.exited;
await gw.close();

const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile')));
const profile = JSON.parse(readFileSync(file, 'utf8'));
const self = new Map();
const dt = profile.timeDeltas;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const counts = new Map();
profile.samples.forEach((id, i) => counts.set(id, (counts.get(id) ?? 0) + (dt[i] ?? 0)));
let total = 0;
for (const [id, us] of counts) {
  const { callFrame: f } = byId.get(id);
  const where = f.url ? `${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|bench)\//, '$1/')}:${f.lineNumber + 1}` : '';
  const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + us);
  total += us;
}
const idle = ['(idle)', '(program)'].reduce((n, k) => n + (self.get(k) ?? 0), 0);
console.log(`${kind}: CPU per acked message by flood: ${cpus.map((x) => x.toFixed(1)).join(', ')} µs`);
console.log(`profile: ${file}`);
console.log(`top self time (of ${(total / 1000).toFixed(0)} ms sampled, ${((total - idle) / 1000).toFixed(0)} ms not idle):`);
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
}
