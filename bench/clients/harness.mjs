// The part every benchmark client process shares: it talks to the orchestrator over the
// IPC channel (stdout is left to the SDKs, the official one prints on every connect).
// argv: <openApiHost> <clientId> <clientSecret> <mode: single|many> [count]
// A client file supplies `connectOne(config)` → Promise<{ stop(): Promise<void> | void }>;
// it resolves once the connection is open (or, for the official SDK, once connect() returns).

const [openApiHost, clientId, clientSecret, mode = 'single', countArg = '1'] = process.argv.slice(2);
export const config = { openApiHost, clientId, clientSecret };

/** What every handler does with a chatbot message, identical across clients. */
export const work = { chars: 0 };

function usage(gc) {
  if (gc && typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
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
  process.on('message', (msg) => {
    if (msg.cmd === 'usage') process.send({ type: 'usage', ...usage(msg.gc) });
    else if (msg.cmd === 'stop') void stopAll();
  });
  process.on('disconnect', () => void stopAll());
  if (mode === 'single') {
    clients.push(await connectOne(config));
    process.send({ type: 'started' });
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
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i, i < half ? half - i : count - i);
    clients.push(...(await Promise.all(Array.from({ length: n }, () => connectOne(config)))));
    if (clients.length === half) {
      await new Promise((r) => setTimeout(r, 300));
      mid = usage(true);
    }
  }
  process.send({ type: 'started', mid, half });
}
