// The part every benchmark client process shares: it talks to the orchestrator over the
// IPC channel of `fork()` (stdout is left to the SDKs, the official one prints on every
// connect), or, in Bun and Deno (spawned, not forked: see bench/spawn.mjs), over stdin and
// stdout, one JSON object a line.
// argv: <openApiHost> <clientId> <clientSecret> <mode: single|many> [count] [channel: ipc|stdio]
// A client file supplies `connectOne(config)` → Promise<{ stop(): Promise<void> | void }>;
// it resolves once the connection is open (or, for the official SDK, once connect() returns).
import { createInterface } from 'node:readline';

const [openApiHost, clientId, clientSecret, mode = 'single', countArg = '1', channel = 'ipc'] = process.argv.slice(2);
export const config = { openApiHost, clientId, clientSecret };

/** What every handler does with a chatbot message, identical across clients. */
export const work = { chars: 0 };

const send = channel === 'stdio' ? (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`) : (msg) => process.send(msg);
const onMessage = (fn) => {
  if (channel !== 'stdio') return process.on('message', fn);
  createInterface({ input: process.stdin }).on('line', (line) => line.trim() && fn(JSON.parse(line)));
};
const onGone = (fn) => (channel === 'stdio' ? process.stdin.on('end', fn) : process.on('disconnect', fn));

/**
 * The platform our Node clients run on, by BENCH_SOCKET (set by the orchestrator for a kind
 * such as `ours-async:global`; the product reads no such variable): unset, the adapter's own
 * choice; `global`, the runtime's global WebSocket (undici on Node 22); `ws`, the adapter's
 * `ws` socket even where a global one exists; `ws-unbatched`, plain `ws` without the
 * adapter's one-write-per-turn corking (the before of that change). Bun and Deno: always
 * their adapter's choice, their native socket.
 */
export async function benchPlatform() {
  const socket = channel === 'stdio' ? undefined : process.env.BENCH_SOCKET;
  if (!socket) return undefined;
  const pkg = await import('dingtalk-stream-universal');
  if (socket === 'global') return pkg.globalPlatform('node');
  if (socket === 'ws') {
    // the adapter takes a global WebSocket when there is one: hide it while the platform is built
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
    delete globalThis.WebSocket;
    try {
      return pkg.nodePlatform({ proxy: false });
    } finally {
      if (descriptor) Object.defineProperty(globalThis, 'WebSocket', descriptor);
    }
  }
  if (socket === 'ws-unbatched') {
    const { default: WebSocket } = await import('ws');
    class Plain extends WebSocket {
      constructor(url) {
        super(url, { maxPayload: 8 * 1024 * 1024 });
      }
    }
    return { ...pkg.nodePlatform({ proxy: false }), WebSocket: Plain };
  }
  throw new Error(`BENCH_SOCKET=${socket}: expected global, ws or ws-unbatched`);
}

function usage(gc) {
  if (gc && typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  } else if (gc && globalThis.Bun) globalThis.Bun.gc(true);
  const mem = process.memoryUsage();
  return { cpu: process.cpuUsage(), rss: mem.rss, heapUsed: mem.heapUsed, maxRSS: process.resourceUsage().maxRSS * 1024, chars: work.chars };
}

export async function serve(connectOne) {
  const clients = [];
  const stopAll = async () => {
    const timeout = new Promise((r) => setTimeout(r, 3000).unref());
    await Promise.race([Promise.allSettled(clients.map((c) => c.stop())), timeout]);
    process.exit(0);
  };
  onMessage((msg) => {
    if (msg.cmd === 'usage') send({ type: 'usage', ...usage(msg.gc) });
    else if (msg.cmd === 'stop') void stopAll();
  });
  onGone(() => void stopAll());
  if (mode === 'single') {
    clients.push(await connectOne(config));
    send({ type: 'started' });
    return;
  }
  // many clients in one process (a platform hosting many bots): baseline after the SDK is
  // loaded, then connect in batches so 1,000 handshakes do not all race at once
  // The figure is the marginal cost, (usage at N − usage at N/2) ÷ (N − N/2), so one-time
  // costs (lazily loaded HTTP stacks, compiled code) do not count as per-connection memory.
  const count = Number(countArg);
  const half = Math.floor(count / 2);
  const batch = 100;
  let mid;
  // stepping by what was opened, not by `batch`: a count whose half is not a multiple of 100
  // (BENCH_MANY=100) opened only the first half and then waited for the rest forever
  for (let i = 0; i < count; i = clients.length) {
    const n = Math.min(batch, i < half ? half - i : count - i);
    clients.push(...(await Promise.all(Array.from({ length: n }, () => connectOne(config)))));
    if (clients.length === half) {
      await new Promise((r) => setTimeout(r, 300));
      mid = usage(true);
    }
  }
  send({ type: 'started', mid, half });
}
