// How many open calls a quiet bot makes per hour, with and without the WebSocket ping.
// A quiet bot gets no frame at all (the fake sends no SYSTEM ping), so only the liveness
// check decides whether its socket is replaced. Time is scaled down: the idle timeout is
// IDLE_MS instead of the production 90 s, and the counts are scaled back up to an hour.
//
//   npm run build && node bench/liveness.mjs [seconds per run, default 15]
//
// "without ping" is the Node platform minus its `ping`: what Deno, workerd and Node 22+
// (WHATWG sockets) do. "with ping" is `ws` on Node 20 (Bun behaves the same).
import { DingTalkStreamClient, nodePlatform } from '../dist/adapters/node.mjs';
import { FakeDingTalkGateway } from '../dist/testing/index.mjs';

const IDLE_MS = 300;
const PRODUCTION_IDLE_MS = 90_000;
const seconds = Number(process.argv[2] ?? 15);

/** Runs one quiet bot for `seconds`; returns its open calls and the pings the gateway saw. */
async function quietBot(platform) {
  const gw = await new FakeDingTalkGateway().listen();
  const client = new DingTalkStreamClient({ clientId: gw.clientId, clientSecret: gw.clientSecret, openApiHost: gw.openApiHost, platform, idleTimeoutMs: IDLE_MS, drainTimeoutMs: 100, logger: null });
  await client.start();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await client.stop();
  await gw.close();
  return { opens: gw.openCalls.length, pings: gw.connections.reduce((n, c) => n + c.pings, 0) };
}

// one scaled run stands for this many hours of production time
const hours = (seconds * 1000 * (PRODUCTION_IDLE_MS / IDLE_MS)) / 3_600_000;
const perHour = (n) => (n / hours).toFixed(1);
const { ping, ...whatwgOnly } = nodePlatform();
if (typeof ping !== 'function') throw new Error('run this on Node 20, where the Node adapter uses ws (which can ping)');

console.log(`idleTimeoutMs ${IDLE_MS} ms for ${seconds} s = ${hours.toFixed(2)} h at the production ${PRODUCTION_IDLE_MS / 1000} s\n`);
console.log(`| quiet bot | open calls in the run | open calls per hour after the first (${PRODUCTION_IDLE_MS / 1000} s idle timeout) | WebSocket pings per hour |`);
console.log('|---|---|---|---|');
for (const [name, platform] of [['idle watchdog only (no ping)', whatwgOnly], ['ping, then 5 s for the pong', nodePlatform()]]) {
  const { opens, pings } = await quietBot(platform);
  // the first open call is the start, not a reconnect
  console.log(`| ${name} | ${opens} | ${perHour(opens - 1)} | ${perHour(pings)} |`);
}
