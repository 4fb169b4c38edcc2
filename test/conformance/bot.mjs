// The conformance bot: ONE runtime-agnostic module that every runtime under test runs
// unchanged (Node, Bun, Deno, workerd). It is plain JS on purpose: no build step and no
// TypeScript loader stands between the runtime and the package being tested. It takes the
// imported package namespace instead of importing it, so each entry file proves its own
// import path (bare name, `npm:` specifier, export condition).

/**
 * Builds a client with short test timings and the conformance handlers:
 * - chatbot messages (TOPIC_ROBOT): reply `echo: <text>` to the message's session webhook
 *   with the client's own `platform.fetch`; a text `slow:<ms> <text>` waits `<ms>` first,
 *   like an LLM bot. Registered with the core API and no `ack` option: the ack on receipt
 *   (a null response) must come from the topic's default;
 * - cards (TOPIC_CARD): ack with `{ echo: data }`;
 * - every event: SUCCESS.
 *
 * @example
 * ```js
 * import * as sdk from 'dingtalk-stream-universal';
 * const client = createConformanceBot(sdk, { openApiHost, clientId, clientSecret });
 * await client.start();
 * ```
 */
export function createConformanceBot(sdk, env, options = {}) {
  const { DingTalkStreamClient, TOPIC_ROBOT, TOPIC_CARD } = sdk;
  const client = new DingTalkStreamClient({
    clientId: env.clientId,
    clientSecret: env.clientSecret,
    openApiHost: env.openApiHost,
    logLevel: 'warn',
    ...(options.logger ? { logger: options.logger } : {}),
    // short timings so reconnects and drains fit in a test; production keeps the defaults
    backoffBaseMs: 50,
    backoffCapMs: 500,
    drainTimeoutMs: 1000,
  });

  client.registerCallbackHandler(TOPIC_ROBOT, async (message) => {
    const data = message.data;
    let text = String(data?.text?.content ?? '').trim();
    const slow = /^slow:(\d+) /.exec(text);
    if (slow) {
      // an LLM's think time; the test makes it outlast the gateway's ~2 s ack timeout
      await new Promise((resolve) => setTimeout(resolve, Number(slow[1])));
      text = text.slice(slow[0].length);
    }
    const res = await client.platform.fetch(data.sessionWebhook, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ msgtype: 'text', text: { content: `echo: ${text}` } }),
    });
    // a failed reply must fail the handler, so the test sees it instead of a silent ack
    if (!res.ok) throw new Error(`session webhook answered ${res.status}`);
    await res.body?.cancel();
    return null;
  });
  client.registerCallbackHandler(TOPIC_CARD, (message) => ({ echo: message.data }));
  client.registerAllEventHandler(() => 'SUCCESS');
  return client;
}

/**
 * Starts the conformance bot and prints the lines the test launcher waits for:
 * `OPEN_MS=<ms from process start to the first open connection>` and `READY`.
 * Resolves with a `stop()` that stops the client once, however often it is called.
 *
 * @example
 * ```js
 * const bot = await startConformanceBot(sdk, env);
 * onShutdown(() => bot.stop());
 * ```
 */
export async function startConformanceBot(sdk, env, options = {}) {
  const print = options.print ?? ((line) => console.log(line));
  const client = createConformanceBot(sdk, env, options);
  let openMs;
  // `performance.now()` counts from the runtime's time origin (process start), so this
  // is start-up + import + open call + WebSocket handshake: what a user waits for.
  client.addEventListener('open', () => (openMs ??= Math.round(performance.now())), { once: true });
  await client.start();
  print(`OPEN_MS=${openMs ?? Math.round(performance.now())} PLATFORM=${client.platform.name}`);
  print('READY');
  let stopping;
  return {
    client,
    stop: () => (stopping ??= client.stop().then(() => print('STOPPED'))),
  };
}
