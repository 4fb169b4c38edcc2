/**
 * `npx dingtalk-stream-universal dev`: a local DingTalk (Stream gateway, OpenAPI and a chat
 * page) on 127.0.0.1, with the calculator demo bot or your own bot connected to it. Node only.
 *
 * @example
 * ```sh
 * npx dingtalk-stream-universal dev                      # simulator + the calculator demo bot
 * npx dingtalk-stream-universal dev -- node my-bot.mjs   # simulator + your bot (credentials in its env)
 * npx dingtalk-stream-universal dev --no-demo            # simulator only; connect any bot yourself
 * ```
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DingTalkSimulator, SIMULATOR_CREDENTIALS, SIMULATOR_PORT, type SimCardTemplate } from './simulator.js';

/** How long `dev` waits for a bot before it says that none is connected, and what to check. */
const NO_BOT_HINT_MS = 5_000;
/** How long `dev`, told to stop, waits for the bot it started to exit before it kills it. */
const STOP_BOT_MS = 5_000;
/**
 * The bot runs in a process group of its own (not on Windows, where that opens a console
 * window): Ctrl+C reaches it once, from `dev`, and so does a signal sent to `dev` alone;
 * forwarded to the group, it reaches what `npm run bot` or `sh -c` started too.
 */
const OWN_GROUP = process.platform !== 'win32';

const HELP = `Usage: dingtalk-stream-universal dev [options] [-- <command to run your bot>]

Starts a local DingTalk on 127.0.0.1: the Stream gateway, the OpenAPI endpoints the SDK
calls, and a chat page to talk to your bot.

Options:
  --port <n>                   port on 127.0.0.1 (default ${SIMULATOR_PORT}, as npm start; 0 picks a free one)
  --client-id <id>             the clientId the simulator accepts (default ${SIMULATOR_CREDENTIALS.clientId})
  --client-secret <secret>     the clientSecret it accepts (default ${SIMULATOR_CREDENTIALS.clientSecret})
  --bot-name <name>            the bot's name in the chat (default CalcBot with the demo, else Bot)
  --card-template <id>=<file>  draw cards of template <id> with the buttons in <file>
                               (JSON: {"title":"title","buttons":[{"text":"OK","params":{"action":"ok"}}]};
                               {"aiCard":true} draws it as an AI card)
  --all-group-messages         deliver every group message to the bot, @-ed or not (isInAtList
                               false when not), as for a bot allowed to receive them all;
                               by default, as in DingTalk, only those that @ it
  --no-demo                    do not connect the built-in calculator demo bot
  --no-limits                  turn off DingTalk's production limits (card QPS 403s, card
                               pacing warnings, the 20,000-character cap, webhook 130101)
  -h, --help                   this text

After "--", a command to start your bot: it gets DINGTALK_CLIENT_ID, DINGTALK_CLIENT_SECRET
and DINGTALK_OPENAPI_HOST (and DINGTALK_OPENAPI_ENDPOINT, which the official Python SDK
reads) in its environment. Ctrl+C (or a SIGTERM to dev) is passed on to it, and dev waits
up to ${STOP_BOT_MS / 1000} s for it to exit before it kills it.`;


/** Parsed command line of `dev`. */
interface DevArgs {
  help: boolean;
  port: number;
  clientId: string;
  clientSecret: string;
  botName: string | undefined;
  cardTemplates: Record<string, SimCardTemplate>;
  demo: boolean;
  limits: boolean;
  allGroupMessages: boolean;
  command: string[];
}

/** Thrown for a command line that cannot be run; the message is printed with the usage. */
class UsageError extends Error {}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  port: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'bot-name': { type: 'string' },
  'card-template': { type: 'string', multiple: true },
  'no-demo': { type: 'boolean' },
  'no-limits': { type: 'boolean' },
  'all-group-messages': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

/** `dev`'s options (`--port 9000` or `--port=9000`); everything after `--` is the bot's command. */
function parseDevArgs(argv: string[]): DevArgs {
  const end = argv.indexOf('--');
  const own = end < 0 ? argv : argv.slice(0, end);
  let values;
  try {
    ({ values } = parseArgs({ args: own, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const port = values.port === undefined ? SIMULATOR_PORT : Number(values.port);
  if (values.port === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0–65535');
  const cardTemplates: Record<string, SimCardTemplate> = {};
  for (const spec of values['card-template'] ?? []) {
    const [id, file] = spec.split('=');
    if (!id || !file) throw new UsageError('--card-template wants <id>=<file.json>');
    try {
      cardTemplates[id] = JSON.parse(readFileSync(file, 'utf8')) as SimCardTemplate;
    } catch (err) {
      throw new UsageError(`--card-template ${id}: cannot read ${file} as JSON (${(err as Error).message})`);
    }
  }
  const command = end < 0 ? [] : argv.slice(end + 1);
  return {
    help: values.help ?? false,
    port,
    clientId: values['client-id'] ?? SIMULATOR_CREDENTIALS.clientId,
    clientSecret: values['client-secret'] ?? SIMULATOR_CREDENTIALS.clientSecret,
    botName: values['bot-name'],
    cardTemplates,
    demo: !values['no-demo'] && !command.length,
    limits: !values['no-limits'],
    allGroupMessages: values['all-group-messages'] ?? false,
    command,
  };
}

async function dev(argv: string[]): Promise<void> {
  const args = parseDevArgs(argv);
  if (args.help) return void console.log(HELP);
  const sim = await DingTalkSimulator.start({ port: args.port, clientId: args.clientId, clientSecret: args.clientSecret, botName: args.botName ?? (args.demo ? 'CalcBot' : 'Bot'), cardTemplates: args.cardTemplates, limits: args.limits, groupMessages: args.allGroupMessages ? 'all' : 'mentions' });
  const { clientId, clientSecret, openApiHost } = sim.clientOptions();
  let bot: { stop(): Promise<void> } | undefined;
  let child: ChildProcess | undefined;
  let stopping = false;
  // the bot gets the signal dev got, and dev waits for it (a bot's own stop() acks and closes
  // cleanly against the simulator, which stays up meanwhile); a second signal does not wait
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      if (child) signalBot(child, 'SIGKILL');
      process.exit(130);
    }
    stopping = true;
    if (child) await stopBot(child, signal);
    await bot?.stop();
    await sim.close();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal));
  // whatever ends dev (an exception included), the bot in its own group must not outlive it
  process.once('exit', () => child && signalBot(child, 'SIGKILL'));
  // while no bot is connected, say so after a few seconds, and what to check
  let connected = 0;
  let openCalls = 0;
  let hint: ReturnType<typeof setTimeout> | undefined;
  const expectBot = () => {
    clearTimeout(hint);
    hint = setTimeout(() => {
      if (connected || stopping) return;
      const seen = openCalls ? `${openCalls} open call(s) came in, but no WebSocket followed` : 'no bot has called this simulator';
      console.log(`[${new Date().toTimeString().slice(0, 8)}] No bot is connected (${seen}). Check that your bot:
  - is running, and what its log says (it names the host it dials and why that fails);
  - dials this simulator: openApiHost ${openApiHost} (DINGTALK_OPENAPI_HOST), not api.dingtalk.com;
  - uses clientId ${clientId} and the clientSecret printed above.`);
    }, NO_BOT_HINT_MS).unref();
  };
  // what a developer wants to see in the terminal: bots coming and going, and why one cannot connect
  sim.gateway.tap((e) => {
    const at = new Date().toTimeString().slice(0, 8);
    if (e.dir === 'socket') {
      console.log(`[${at}] bot ${e.event === 'open' ? 'connected' : 'disconnected'} (connection ${e.connectionId})`);
      connected += e.event === 'open' ? 1 : -1;
      if (!connected) expectBot();
    } else if (e.dir === 'http' && e.request.path === '/v1.0/gateway/connections/open') {
      openCalls++;
      if (e.status === 401) console.log(`[${at}] a bot was refused: wrong clientId/clientSecret (this simulator accepts ${clientId} and the secret printed above)`);
    }
  });
  expectBot();

  console.log(`DingTalk simulator: open ${sim.url}\n`);
  console.log(args.limits ? "DingTalk's production limits are on (card QPS, card pacing, 20,000 characters, webhook 130101): --no-limits turns them off.\n" : "DingTalk's production limits are off (--no-limits).\n");
  console.log(`${sim.connectHelp('node bot.mjs')}\n(or let dev start it: dingtalk-stream-universal dev -- node bot.mjs)\n`);

  if (args.demo) {
    // the calculator example ships with the package (see `files`) and imports it by name;
    // the path is relative to the built dist/cli.mjs
    const demo = '../examples/calculator/bot.mjs';
    type Bot = { start(): Promise<void>; stop(): Promise<void> };
    const { createCalculatorBot, giveWayToYourBot } = (await import(demo)) as { createCalculatorBot(o: object): Bot; giveWayToYourBot(bot: Bot, s: DingTalkSimulator, onLeave: () => void): void };
    const calculator = createCalculatorBot({ clientId, clientSecret, openApiHost, logLevel: 'warn' });
    await calculator.start();
    bot = calculator;
    giveWayToYourBot(calculator, sim, () => console.log('Another bot connected: the demo bot left, so that yours gets every message.'));
    console.log(`Demo bot "CalcBot" (examples/calculator) connected: say "1+1" in the page.\nIt leaves when your own bot connects (or start with --no-demo).\n`);
  } else if (args.command.length) {
    const [cmd, ...rest] = args.command as [string, ...string[]];
    child = spawn(cmd, rest, { stdio: 'inherit', detached: OWN_GROUP, env: { ...process.env, DINGTALK_CLIENT_ID: clientId, DINGTALK_CLIENT_SECRET: clientSecret, DINGTALK_OPENAPI_HOST: openApiHost, DINGTALK_OPENAPI_ENDPOINT: openApiHost } });
    child.once('exit', (code, signal) => {
      child = undefined;
      if (!stopping) console.log(`your bot exited (${code ?? signal}); the simulator keeps running — Ctrl+C to stop`);
    });
    child.once('error', (err) => console.error(`could not start ${cmd}: ${err.message}`));
  } else {
    console.log('Waiting for a bot to connect. Ctrl+C to stop.\n');
  }
}

/** Sends `signal` to the bot's process group (its process on Windows); one already gone is fine. */
function signalBot(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (OWN_GROUP && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    /* it has exited */
  }
}

/** Forwards `signal` to the bot and resolves once it exited; after {@link STOP_BOT_MS} it is killed. */
async function stopBot(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalBot(child, signal);
  const timer = setTimeout(() => {
    console.log(`your bot did not exit within ${STOP_BOT_MS / 1000} s of ${signal}: killed (SIGKILL)`);
    signalBot(child, 'SIGKILL');
  }, STOP_BOT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Runs the command line (`dev`, or `--help`); the bin of the package calls it.
 *
 * @example
 * ```ts
 * await main(['dev', '--port', '0']);
 * ```
 */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    console.log(HELP);
    return;
  }
  try {
    if (command !== 'dev') throw new UsageError(`unknown command ${command}`);
    await dev(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${HELP}`);
      process.exit(2);
    }
    const e = err as NodeJS.ErrnoException;
    console.error(e.code === 'EADDRINUSE' ? `port in use: pass --port <n> (or --port 0 for any free one)` : `dev failed: ${e.message}`);
    process.exit(1);
  }
}

await main(process.argv.slice(2));
