// `npm run bench`: our client vs the official SDK (dingtalk-stream 2.1.5) vs a raw floor
// (ws + JSON.parse + ack), each in its own process, against the same lean local gateway
// (bench/gateway.mjs) on the same machine, runs alternating A B C A B C…, medians reported.
// Writes bench/RESULTS.md. Not part of `npm test`.
//
// Ours is measured three ways, as users write it: the core with an `async` handler
// (ours-async), the chatbot layer (ours-chatbot: registerChatbotHandler, async handler, payload
// validated into a ChatbotMessage) and, as an extra row, a bare sync handler (ours-sync).
// Memory per connection and workerd use the core (ours-async): the handler does not change them.
// Row 7 floods ours (core, async handler) in other runtimes: Node 22 with ws (the adapter's
// choice) and with its global WebSocket, the official SDK on Node 22, and Bun and Deno on
// their native sockets (bench/spawn.mjs); a runtime that is missing is n/a, not a failure.
//
// Knobs (env): BENCH_RUNS (single-client runs per client, default 3), BENCH_MANY (clients in
// the memory-per-connection process, default 1000), BENCH_MANY_RUNS (default 2),
// BENCH_CLOSE_MS (how long the gateway keeps a socket open after SYSTEM disconnect,
// default 2000; the real gateway waits ~10 s), BENCH_OUT (results file), BENCH_BEFORE (an
// earlier results file: its table is kept, and each row's ours/official set beside this run's),
// BENCH_NODE22 (a Node 22 binary; default: the `node@22` package's, through npx).
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { BenchGateway, chatbotFrame, messageId } from './gateway.mjs';
import { measureSizes } from './size.mjs';
import { parseKind, runtimeMissing, runtimeVersion, startClient } from './spawn.mjs';
import { buildDurableObject, coldStart } from './workerd.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MANY = Number(process.env.BENCH_MANY ?? 1000);
const MANY_RUNS = Number(process.env.BENCH_MANY_RUNS ?? 2);
const CLOSE_MS = Number(process.env.BENCH_CLOSE_MS ?? 2000);
const FLOOD = 20_000;
const WARMUP_FRAMES = 2000;
const WINDOW = 1000;
const PACED_MS = 3000;
const WARMUP_MS = 500;
const RATES = [1000, 5000];
const OURS = ['ours-async', 'ours-chatbot', 'ours-sync'];
const OURS_LABEL = { 'ours-async': 'core, async handler', 'ours-chatbot': 'chatbot layer, async handler', 'ours-sync': 'core, sync handler (extra)' };
const CLIENTS = [...OURS, 'official', 'raw'];
const MANY_CLIENTS = ['ours-async', 'official', 'raw'];
// 7. flood only, in other runtimes (bench/spawn.mjs kinds): our core on Node 22 with ws (the
// adapter's choice) and with Node 22's global WebSocket (undici), the official SDK on Node 22,
// and ours in Bun and Deno on their native WebSocket (no official SDK runs there)
const OTHER = ['node22/ours-async', 'node22/ours-async:global', 'node22/official', 'bun/ours-async', 'deno/ours-async'];
const OUT = process.env.BENCH_OUT ?? fileURLToPath(new URL('./RESULTS.md', import.meta.url));

const started = performance.now();
const loadAtStart = os.loadavg();
const children = new Set();
const killChildren = () => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('exit', killChildren);
process.on('SIGINT', () => {
  killChildren();
  process.exit(130);
});

const log = (...a) => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const percentile = (xs, p) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};

/** Starts one client process (bench/spawn.mjs: Node forked, Bun/Deno spawned); `ready` resolves once it has said `started`. */
function spawnClient(kind, gw, mode = 'single', count = 1) {
  const c = startClient(kind, [gw.openApiHost, gw.clientId, gw.clientSecret, mode, String(count)], { childArgs: process.env.BENCH_CHILD_ARGS ? process.env.BENCH_CHILD_ARGS.split(' ') : [] });
  const { child } = c;
  children.add(child);
  const pending = [];
  c.onMessage((msg) => pending.shift()?.(msg));
  const next = (ms = 60_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind}: no answer within ${ms} ms\n${c.stderr()}`)), ms);
      pending.push((msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
    });
  const exited = c.exited.then(() => children.delete(child));
  const api = {
    child,
    ready: next(120_000),
    usage: (gc = false) => {
      const p = next();
      c.send({ cmd: 'usage', gc });
      return p;
    },
    stop: async () => {
      c.send({ cmd: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
    stderr: c.stderr,
  };
  return api;
}

const cpuMicros = (a, b) => b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system);

/**
 * One run of one client: cold start, idle RSS, flood, paced latency, disconnect, kill; with
 * `floodOnly` (row 7, other runtimes), up to the flood.
 */
async function singleRun(kind, gw, frames, warmup, floodOnly = false) {
  const r = { kind };
  const opened = gw.nextOpen();
  const t0 = performance.now();
  const c = spawnClient(kind, gw);
  try {
    const conn = await opened;
    r.coldStart = conn.openedAt - t0;
    await c.ready;
    await sleep(300);
    r.idleRss = (await c.usage(true)).rss;

    // 1. CPU per acked message under a flood (after a short warm-up flood, so that every
    // client's hot path is compiled before it is measured)
    await gw.flood(conn, warmup, WINDOW);
    const before = await c.usage();
    const f0 = performance.now();
    const acked0 = gw.acked;
    await gw.flood(conn, frames, WINDOW);
    const floodMs = performance.now() - f0;
    const after = await c.usage();
    const acked = gw.acked - acked0;
    r.cpuPerMsg = cpuMicros(before, after) / acked;
    r.throughput = acked / (floodMs / 1000);
    r.peakRss = after.maxRSS;
    r.handled = after.chars - before.chars > 0;
    if (floodOnly) return r;

    // 2. ack latency at fixed rates
    for (const rate of RATES) {
      const { latencies, lost } = await gw.paced(conn, rate, PACED_MS, WARMUP_MS);
      r[`p50@${rate}`] = percentile(latencies, 50);
      r[`p99@${rate}`] = percentile(latencies, 99);
      r[`lost@${rate}`] = lost;
    }

    // 4a. SYSTEM disconnect: the socket stops being usable at once (the gateway pushes no
    // more on it) and is closed CLOSE_MS later
    const replaced = gw.nextOpen(CLOSE_MS + 30_000);
    const d0 = performance.now();
    gw.disconnect(conn, CLOSE_MS);
    const conn2 = await replaced;
    r.disconnectGap = conn2.openedAt - d0;
    await gw.until(() => conn.closedAt !== null, CLOSE_MS + 5000, 'the old socket to close');

    // 4b. abrupt kill (TCP destroyed, no close frame)
    const reopened = gw.nextOpen(30_000);
    const k0 = performance.now();
    gw.kill(conn2);
    const conn3 = await reopened;
    r.killRecovery = conn3.openedAt - k0;
  } catch (err) {
    r.error = `${err.message}\n${c.stderr()}`;
  } finally {
    await c.stop();
    await gw.until(() => gw.liveCount === 0, 10_000, 'the client sockets to close').catch(() => {});
  }
  return r;
}

/** N clients in one process: memory per connection. */
async function manyRun(kind, gw) {
  const live0 = gw.liveCount;
  const t0 = performance.now();
  const c = spawnClient(kind, gw, 'many', MANY);
  const r = { kind };
  try {
    const { mid, half } = await c.ready;
    await gw.until(() => gw.liveCount - live0 >= MANY, 120_000, `${MANY} open connections`);
    r.connectAll = performance.now() - t0;
    await sleep(300);
    const u = await c.usage(true);
    r.rssPerConn = (u.rss - mid.rss) / (MANY - half);
    r.heapPerConn = (u.heapUsed - mid.heapUsed) / (MANY - half);
    r.rssTotal = u.rss;
  } catch (err) {
    r.error = `${err.message}\n${c.stderr()}`;
  } finally {
    await c.stop();
    await gw.until(() => gw.liveCount === live0, 20_000, 'the client sockets to close').catch(() => {});
  }
  return r;
}

function floodFrames(n) {
  return Array.from({ length: n }, () => {
    const id = messageId();
    return [id, chatbotFrame(id)];
  });
}

// ---- run ------------------------------------------------------------------------------
const gw = await new BenchGateway().listen();
const single = Object.fromEntries(CLIENTS.map((k) => [k, []]));
const many = Object.fromEntries(MANY_CLIENTS.map((k) => [k, []]));
const workerd = { ours: [], raw: [] };
const errors = [];

for (let run = 1; run <= RUNS; run++) {
  for (const kind of CLIENTS) {
    const frames = floodFrames(FLOOD); // fresh messageIds every run: no client may dedup them away
    const r = await singleRun(kind, gw, frames, floodFrames(WARMUP_FRAMES));
    if (r.error) errors.push(`${kind} run ${run}: ${r.error}`);
    single[kind].push(r);
    log(`run ${run}/${RUNS} ${kind}: cpu ${r.cpuPerMsg?.toFixed(1)} µs/msg, p99@5000 ${r['p99@5000']?.toFixed(2)} ms, disconnect gap ${r.disconnectGap?.toFixed(0)} ms, kill ${r.killRecovery?.toFixed(0)} ms`);
  }
}
for (let run = 1; run <= MANY_RUNS; run++) {
  for (const kind of MANY_CLIENTS) {
    const r = await manyRun(kind, gw);
    if (r.error) errors.push(`${kind} many run ${run}: ${r.error}`);
    many[kind].push(r);
    log(`many ${run}/${MANY_RUNS} ${kind}: ${(r.rssPerConn / 1024).toFixed(1)} KiB RSS/conn, ${(r.heapPerConn / 1024).toFixed(1)} KiB heap/conn, all open in ${r.connectAll?.toFixed(0)} ms`);
  }
}
const other = Object.fromEntries(OTHER.map((k) => [k, []]));
const otherMissing = Object.fromEntries(OTHER.map((k) => [k, runtimeMissing(k)]));
for (const [kind, why] of Object.entries(otherMissing)) if (why) log(`${kind}: n/a (${why})`);
for (let run = 1; run <= RUNS; run++) {
  for (const kind of OTHER) {
    if (otherMissing[kind]) continue;
    const r = await singleRun(kind, gw, floodFrames(FLOOD), floodFrames(WARMUP_FRAMES), true);
    if (r.error) errors.push(`${kind} run ${run}: ${r.error}`);
    other[kind].push(r);
    log(`run ${run}/${RUNS} ${kind}: cpu ${r.cpuPerMsg?.toFixed(1)} µs/msg, peak RSS ${(r.peakRss / 2 ** 20).toFixed(0)} MiB`);
  }
}
// 1b. the hot path alone, in-process, no socket (bench/hotpath.mjs)
const hot = Object.fromEntries(CLIENTS.map((k) => [k, []]));
for (let run = 1; run <= 3; run++) {
  for (const kind of CLIENTS) {
    const child = fork(fileURLToPath(new URL('./hotpath.mjs', import.meta.url)), [kind, '3'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.add(child);
    const msg = await new Promise((resolve) => {
      child.once('message', resolve);
      child.once('exit', () => resolve({}));
    });
    child.kill();
    children.delete(child);
    hot[kind].push(msg.perMessage);
  }
}
log(`hot path: ${CLIENTS.map((k) => `${k} ${median(hot[k]).toFixed(2)} µs`).join(', ')}`);
// 8. JS bytes allocated per message on the hot path (bench/alloc.mjs: sampled, steady from run to run)
const alloc = {};
for (const kind of CLIENTS) {
  const child = fork(fileURLToPath(new URL('./alloc.mjs', import.meta.url)), [kind, '10000'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.add(child);
  const timer = setTimeout(() => child.kill(), 120_000);
  const msg = await new Promise((resolve) => {
    child.once('message', resolve);
    child.once('exit', () => resolve({}));
  });
  clearTimeout(timer);
  child.kill();
  children.delete(child);
  alloc[kind] = msg.bytesPerMessage;
}
log(`allocated per message: ${CLIENTS.map((k) => `${k} ${Math.round(alloc[k])} B`).join(', ')}`);
const scripts = { ours: await buildDurableObject('ours'), raw: await buildDurableObject('raw') }; // ours: the core (bench/workerd/ours-do.mjs)
for (let run = 1; run <= 3; run++) {
  for (const kind of ['ours', 'raw']) {
    try {
      workerd[kind].push(await coldStart(scripts[kind], gw));
    } catch (err) {
      errors.push(`workerd ${kind} run ${run}: ${err.message}`);
    }
    await gw.until(() => gw.liveCount === 0, 10_000, 'the DO socket to close').catch(() => {});
  }
}
log('workerd cold starts done');
const sizes = await measureSizes();
await gw.close();

// ---- report ---------------------------------------------------------------------------
const med = (rows, key) => median(rows.map((r) => r[key]));
const fmt = {
  us: (x) => (Number.isFinite(x) ? `${x.toFixed(1)} µs` : 'n/a'),
  ms: (x) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms` : 'n/a'),
  mib: (x) => (Number.isFinite(x) ? `${(x / 1048576).toFixed(1)} MiB` : 'n/a'),
  kib: (x) => (Number.isFinite(x) ? `${(x / 1024).toFixed(1)} KiB` : 'n/a'),
  rate: (x) => (Number.isFinite(x) ? `${Math.round(x).toLocaleString('en-US')}/s` : 'n/a'),
  bytes: (x) => (Number.isFinite(x) ? `${(x / 1024).toFixed(2)} KiB (${x} B)` : 'n/a'),
};
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : '–');
const rows = [];
const row = (name, f, o, r, format, target = '') => rows.push([name, format(f), format(o), format(r), ratio(f, o), ratio(f, r), target]);
const S = (k, key) => med(single[k], key);
const M = (k, key) => med(many[k], key);

// rows measured for every way of writing ours: one row per variant, each against the same official and raw figures
const perOurs = (name, key, format, target = '', values = (k) => S(k, key)) => {
  OURS.forEach((k, i) => row(`${i === 0 ? name : '   ″'} — ours: ${OURS_LABEL[k]}`, values(k), values('official'), values('raw'), format, i === 0 ? target : ''));
};
perOurs('1. CPU per acked message (20,000 × ~1 KB, flood)', 'cpuPerMsg', fmt.us, '≤ 0.9× official (core), ≤ 1.1× (chatbot)');
perOurs('   hot path only, in one process, no socket (bench/hotpath.mjs)', null, fmt.us, '', (k) => median(hot[k]));
perOurs('   throughput during the flood (wall, gateway on the same 2 cores)', 'throughput', fmt.rate);
for (const rate of RATES) {
  perOurs(`2. ack latency p50 @ ${rate.toLocaleString('en-US')} msg/s`, `p50@${rate}`, fmt.ms);
  perOurs(`   ack latency p99 @ ${rate.toLocaleString('en-US')} msg/s`, `p99@${rate}`, fmt.ms, '≤ official');
}
row('3. idle RSS, one connected client (after GC)', S('ours-async', 'idleRss'), S('official', 'idleRss'), S('raw', 'idleRss'), fmt.mib, '< official');
perOurs('   peak RSS, one client (maxRSS incl. the flood)', 'peakRss', fmt.mib, '≤ official');
row(`   RSS per connection (${MANY.toLocaleString('en-US')} clients in one process, marginal)`, M('ours-async', 'rssPerConn'), M('official', 'rssPerConn'), M('raw', 'rssPerConn'), fmt.kib, '< official');
row(`   JS heap per connection (${MANY.toLocaleString('en-US')} clients)`, M('ours-async', 'heapPerConn'), M('official', 'heapPerConn'), M('raw', 'heapPerConn'), fmt.kib, '');
row(`   time to open ${MANY.toLocaleString('en-US')} connections (batches of 100)`, M('ours-async', 'connectAll'), M('official', 'connectAll'), M('raw', 'connectAll'), fmt.ms, '');
row('4. recovery: abrupt kill → next open connection', S('ours-async', 'killRecovery'), S('official', 'killRecovery'), S('raw', 'killRecovery'), fmt.ms, '');
row(`   SYSTEM disconnect → usable connection again (server closes after ${CLOSE_MS} ms)`, S('ours-async', 'disconnectGap'), S('official', 'disconnectGap'), S('raw', 'disconnectGap'), fmt.ms, '~0 for ours');
row('5. cold start: process spawn → first open (Node)', S('ours-async', 'coldStart'), S('official', 'coldStart'), S('raw', 'coldStart'), fmt.ms, '');
const W = (k, key) => median(workerd[k].map((r) => r[key]));
row('   workerd: Miniflare start → first open', W('ours', 'processToOpen'), NaN, W('raw', 'processToOpen'), fmt.ms, '');
row('   workerd: DO first request → first open', W('ours', 'requestToOpen'), NaN, W('raw', 'requestToOpen'), fmt.ms, '');
rows.push(['6. bundle, core entry (Worker target, min+gzip)', fmt.bytes(sizes.core.gzip), 'cannot target Workers', '–', '–', '–', '≤ 10 KB (test/size.test.ts; issue 21 aimed at 9,216 B)']);
rows.push(['   bundle, core + chatbot/cards (min+gzip)', fmt.bytes(sizes.full.gzip), `${fmt.bytes(sizes.official.gzip)} (Node target, with axios/ws/debug)`, '–', ratio(sizes.full.gzip, sizes.official.gzip), '–', '≤ 22 KB (test/size.test.ts)']);
// 7: appended, so that BENCH_BEFORE's by-position pairing of the rows above still holds
const versions = Object.fromEntries(['node22', 'bun', 'deno'].map((r) => [r, runtimeVersion(r)]));
for (const [r, label] of [['node22', 'Node 22'], ['bun', 'Bun'], ['deno', 'Deno']]) if (versions[r] === 'n/a') versions[r] = label;
const O = (k, key) => median(other[k].map((r) => r[key]));
const otherRows = (title, key, format) => {
  const none = (k) => (otherMissing[k] ? `n/a (no ${parseKind(k).runtime})` : undefined);
  const cell = (k) => none(k) ?? format(O(k, key));
  rows.push([`${title} — ${versions.node22}, ours: core, async handler, ws (the adapter's choice)`, cell('node22/ours-async'), otherMissing['node22/official'] ? cell('node22/official') : `${cell('node22/official')} (on ${versions.node22})`, '–', ratio(O('node22/ours-async', key), O('node22/official', key)), '–', '']);
  rows.push([`   ″ — ${versions.node22}, ours with Node 22's global WebSocket (undici)`, cell('node22/ours-async:global'), otherMissing['node22/official'] ? cell('node22/official') : `${cell('node22/official')} (on ${versions.node22})`, '–', ratio(O('node22/ours-async:global', key), O('node22/official', key)), '–', '']);
  rows.push([`   ″ — ${versions.bun}, ours: core, async handler, its WebSocket`, cell('bun/ours-async'), 'no official SDK there', '–', '–', '–', '']);
  rows.push([`   ″ — ${versions.deno}, ours: core, async handler, its WebSocket`, cell('deno/ours-async'), 'no official SDK there', '–', '–', '–', '']);
};
otherRows('7. other runtimes, flood only: CPU per acked message', 'cpuPerMsg', fmt.us);
otherRows('   peak RSS, one client (maxRSS incl. the flood)', 'peakRss', fmt.mib);
// 8: appended too
perOurs('8. JS allocated per message, hot path (bench/alloc.mjs)', null, (x) => (Number.isFinite(x) ? `${Math.round(x).toLocaleString('en-US')} B` : 'n/a'), '', (k) => alloc[k]);

const header = ['Figure (median)', 'ours', 'official 2.1.5', 'raw floor', 'ours/official', 'ours/raw', 'target'];
const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
const wallS = (performance.now() - started) / 1000;
const lost = CLIENTS.map((k) => `${k} ${single[k].reduce((n, r) => n + (r['lost@1000'] ?? 0) + (r['lost@5000'] ?? 0), 0)}`).join(', ');
const command = `npm run bench${Object.keys(process.env).filter((k) => k.startsWith('BENCH_')).map((k) => ` ${k}=${process.env[k]}`).join('')}`;
const cpu = os.cpus();
const perRun = (key, format) => CLIENTS.map((k) => `${k}: ${single[k].map((r) => format(r[key])).join(', ')}`).join('; ');

// an earlier run (BENCH_BEFORE) side by side: its ratios next to this run's, and its whole table kept
let before = '';
if (process.env.BENCH_BEFORE) {
  const text = readFileSync(process.env.BENCH_BEFORE, 'utf8');
  const old = text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Figure') && !l.startsWith('| ---'));
  // by position: the rows come in the same order from the same generator (″ labels repeat)
  const cells = old.map((l) => l.split(' | '));
  const pairs = rows.map((r, i) => [r[0], cells[i]?.[4] ?? '–', r[4], cells[i]?.[1] ?? '–', r[1]]);
  const head = ['Figure (median)', 'ours/official before', 'ours/official after', 'ours before', 'ours after'];
  before = `## Before and after

Before: \`${process.env.BENCH_BEFORE}\`, ${(/^Date: (.*)$/m.exec(text) ?? [])[1] ?? ''}; ${(/^Load average.*?at end: [^ ]+ \/ [^ ]+ \/ [^ ]+/m.exec(text) ?? [''])[0]}.

${[head, head.map(() => '---'), ...pairs].map((r) => `| ${r.join(' | ')} |`).join('\n')}

The before run's full table:

${old.length ? [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...old].join('\n') : '(none)'}
`;
}

const md = `# Benchmark results

Command: \`${command}\` (= \`npm run build && node bench/run.mjs\`)
Date: ${new Date().toISOString()}
Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.platform()} ${os.release()}
Node: ${process.version}; official SDK: dingtalk-stream 2.1.5; ws 8.23.0; row 7 also: ${['node22', 'bun', 'deno'].map(runtimeVersion).join(', ')}
Load average (1/5/15 min) at start: ${loadAtStart.map((x) => x.toFixed(2)).join(' / ')}, at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')} (anything above ~1 means other work shared the 2 cores and the figures are noisier).
Runs: ${RUNS} single-client runs per client (${CLIENTS.join(' → ')}, alternating) and ${MANY_RUNS} runs of ${MANY.toLocaleString('en-US')} clients (${MANY_CLIENTS.join(' → ')}); hot path: 3 runs each; workerd: 3 runs each. Fewer runs than before (5 and 3) because ours is now measured three ways: this keeps the wall time near 3.5 min. Total wall time: ${wallS.toFixed(0)} s.

${table}

Per-run values (the median is above):
- CPU µs/msg — ${perRun('cpuPerMsg', (x) => x?.toFixed(1))}
- p99 @ 5,000/s ms — ${perRun('p99@5000', (x) => x?.toFixed(2))}
- kill → open ms — ${perRun('killRecovery', (x) => x?.toFixed(0))}
- disconnect → usable ms — ${perRun('disconnectGap', (x) => x?.toFixed(0))}
- frames not acked during the paced runs (all runs): ${lost}
- 7, CPU µs/msg — ${OTHER.map((k) => `${k}: ${otherMissing[k] ? 'n/a' : other[k].map((r) => r.cpuPerMsg?.toFixed(1)).join(', ')}`).join('; ')}

How it is measured:
- One lean local gateway (\`bench/gateway.mjs\`, in the orchestrator process) for every client: open call with credential check and single-use tickets, real WebSocket, no per-frame recording (the test fake records every ack, which would tax the shared CPU).
- Each client runs in its own process (\`bench/clients/*.mjs\`); the handler is the same everywhere: read \`data.text.content\` of the chatbot message, ack with \`{"response":null}\`. Ours parses and validates both JSON layers, dedups and acks itself; the official SDK is acked by hand with \`socketCallBackResponse\` as its README does, after \`JSON.parse(res.data)\`; raw parses both layers and acks.
- The official SDK hardcodes \`https://api.dingtalk.com\`: only in its bench process, an interceptor on the default axios instance (the one it imports) rewrites that origin to the local gateway.
- 1: client CPU (\`process.cpuUsage()\`, user+system) across the flood ÷ acks, after a warm-up flood of ${WARMUP_FRAMES.toLocaleString('en-US')} frames; the gateway keeps at most ${WINDOW.toLocaleString('en-US')} frames unacked. The hot-path row feeds the same frames (as Buffers, as \`ws\` delivers them) straight into each client in one process, in batches of 64 with a macrotask between batches: no socket, no gateway, no second process.
- 2: the gateway sends at a fixed rate for ${PACED_MS / 1000} s and times send → ack; the first ${WARMUP_MS} ms are not counted.
- 3: RSS after a forced GC ${'('}--expose-gc) once connected; peak = \`resourceUsage().maxRSS\` after the flood; per connection = (RSS with ${MANY.toLocaleString('en-US')} open connections − RSS with ${MANY / 2}) ÷ ${MANY / 2}, both after GC, so that one-time costs (a lazily loaded HTTP stack, compiled code) are not counted per connection.
- 4: times are the gateway's: kill = TCP destroyed without a close frame → the next socket accepted; disconnect = SYSTEM \`disconnect\` sent (the socket is no longer pushed to) → the next socket accepted. The gateway closes the old socket ${CLOSE_MS} ms after the disconnect; the real one waits ~10 s, so the official SDK's gap there is ~10 s + its fixed 1 s reconnect delay. Ours opens the replacement at once (make-before-break). Our kill recovery is a full-jitter backoff in [0, 1 s] (first attempt), the official SDK waits a fixed 1 s, raw reconnects at once.
- 5: Node: \`fork()\` → the gateway accepts the socket (includes Node's own start-up). workerd: Miniflare 4 running a minimal Durable Object (\`bench/workerd/*-do.mjs\`, bundled from \`dist/index.mjs\` with the workerd condition); the official SDK cannot run there.
- 6: \`esbuild --bundle --minify --platform=neutral --conditions=workerd,worker\`, gzip -9. Official SDK, same recipe: ${sizes.officialNeutral}.
- 7: the flood of 1 alone (warm-up, then ${FLOOD.toLocaleString('en-US')} frames, at most ${WINDOW.toLocaleString('en-US')} unacked), ${RUNS} run${RUNS === 1 ? "" : "s"} each, alternating, in other runtimes: Node 22 (the \`node\` package's binary through \`npx -y node@22\`, or BENCH_NODE22), forked like the Node clients; Bun and Deno from node_modules, spawned (\`deno run --cached-only --allow-net=127.0.0.1 --allow-env\`) and spoken to in JSON lines over stdin/stdout (\`bench/spawn.mjs\`). CPU is \`process.cpuUsage()\` and peak RSS \`process.resourceUsage().maxRSS\` in each runtime (Bun and Deno implement both). \`ours-async:global\` passes \`globalPlatform('node')\` (BENCH_SOCKET, read by the bench client only). A runtime that is not installed gives n/a.
- 8: the frames of the hot-path row, fed the same way, with V8's sampling heap profiler on (every 256 B, objects already collected included): all bytes the client allocates per message, short-lived garbage too. Steady from run to run, unlike CPU time on a shared machine.

Caveats:
- 2 cores: the gateway and the client share them, so throughput and latency include the gateway's work; the CPU figure is the client's own CPU time and is the stable one.
- The fake gateway is on loopback: latencies are far below the real network's; they compare clients, not deployments.
- Our biggest bundle inputs (core): ${sizes.core.inputs.slice(0, 5).map((i) => `${i.path} ${i.bytes} B`).join(', ')}.
${before ? `\n${before}` : ''}${errors.length ? `\nErrors during the run:\n${errors.map((e) => `- ${e.split('\n')[0]}`).join('\n')}\n` : ''}`;

writeFileSync(OUT, md);
console.log(table);
console.log(`\nwall time ${wallS.toFixed(0)} s; written to ${OUT}`);
if (errors.length) {
  console.error(errors.join('\n\n'));
  process.exitCode = 1;
}
