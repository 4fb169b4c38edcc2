// The simulator without a browser: what each channel a bot uses turns into on the page,
// the page's event stream, the `dev` command line, and a bot built on the official SDK.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { version } from '../../package.json';
import { DingTalkStreamClient } from '../../adapters/node.js';
import { AI_CARD_TEMPLATE_ID, AIStreamingCard, DingTalkOpenApi, cardCallbackResponse, registerCardCallbackHandler, registerChatbotHandler, robotMessage } from '../../src/chatbot/index.js';
import { DingTalkSimulator, SIMULATOR_APPROVAL_TEMPLATE, type SimMessage, type SimulatorOptions } from '../../src/testing/index.js';
import { ROBOT, rawBot } from '../helpers/raw-bot.js';

const run = promisify(execFile);
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(register: (client: DingTalkStreamClient, api: DingTalkOpenApi) => void, options: SimulatorOptions = {}) {
  const sim = await DingTalkSimulator.start({ botName: 'TestBot', ...options });
  const client = new DingTalkStreamClient({ ...sim.clientOptions(), logger: null });
  const api = new DingTalkOpenApi(client, { oapiHost: sim.gateway.openApiHost });
  register(client, api);
  await client.start();
  cleanups.push(() => sim.close(), () => client.stop());
  return { sim, client, api };
}

/** Reads the page's event stream until `until` holds for the events so far. */
async function readEvents(url: string, until: (events: any[]) => boolean): Promise<any[]> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: any[] = [];
  let buffer = '';
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const parts = buffer.split('\n\n');
    buffer = parts.pop()!;
    for (const part of parts) if (part.startsWith('data: ')) events.push(JSON.parse(part.slice(6)));
  }
  controller.abort();
  return events;
}

describe('DingTalkSimulator', () => {
  it('draws markdown, actionCard buttons and @-mentions from session-webhook replies', async () => {
    const { sim } = await setup((client) =>
      registerChatbotHandler(client, async (message, reply) => {
        await reply.markdown('Result', `**${message.text}** is *done*`, { sender: true });
        await reply.actionCard({ title: 'Next', text: 'Pick one', buttons: [{ title: 'Again', actionURL: 'dtmd://dingtalkclient/sendMessage?content=again' }] });
      }),
    );
    await sim.chat('@TestBot build', { conversation: 'group' });
    const card = await sim.waitForMessage((m) => m.kind === 'actionCard');
    const markdown = sim.messages.find((m) => m.kind === 'markdown')!;
    expect(markdown).toMatchObject({ conversation: 'group', from: 'bot', title: 'Result', text: '**build** is *done*', mentions: [sim.userName] });
    expect(card.buttons).toEqual([{ id: '0', text: 'Again', url: 'dtmd://dingtalkclient/sendMessage?content=again' }]);
  });

  it('puts robot 1:1 messages in the 1:1 chat and group messages in the group', async () => {
    const { sim, api } = await setup((client) => registerChatbotHandler(client, () => undefined));
    const user = sim.send('hi');
    await sim.waitForMessage((m) => m.id === user.id && m.ack === '200');
    const delivered = (await readEvents(`${sim.gateway.openApiHost}/sim/events`, (e) => e.length >= 1))[0].state.messages as SimMessage[];
    expect(delivered.map((m) => m.text)).toContain('hi');
    await api.sendRobotToUsers({ userIds: ['sim-user-0001'], ...robotMessage.text('proactive hello') });
    await api.sendRobotToGroup({ openConversationId: 'cidSimGroupChat==', ...robotMessage.markdown('Daily', '# report') });
    expect(await sim.waitForMessage((m) => m.text === 'proactive hello')).toMatchObject({ conversation: 'single', kind: 'text' });
    expect(await sim.waitForMessage((m) => m.text === '# report')).toMatchObject({ conversation: 'group', kind: 'markdown', title: 'Daily' });
  });

  it('streams an AI card into one message that ends finished', async () => {
    const { sim } = await setup((client, api) =>
      registerChatbotHandler(client, async (message) => {
        const card = await AIStreamingCard.create(api, message, { title: 'Assistant', minIntervalMs: 0 });
        for (const token of ['Hello ', 'from ', 'the ', 'model']) await card.append(token);
        await card.finish();
      }),
    );
    sim.send('stream please');
    const card = await sim.waitForMessage((m) => m.kind === 'aiCard' && m.status === 'finished', 10_000);
    expect(card).toMatchObject({ title: 'Assistant', text: 'Hello from the model', conversation: 'single' });
    expect(sim.messages.filter((m) => m.kind === 'aiCard')).toHaveLength(1);
  });

  it('presses a card button: the callback reaches the bot and its answer updates the card in place', async () => {
    const { sim } = await setup((client, api) => {
      registerChatbotHandler(client, (message) => api.createAndDeliverCard({ cardTemplateId: SIMULATOR_APPROVAL_TEMPLATE, to: message, cardData: { title: 'Ship it?', status: 'pending' } }).then(() => undefined));
      registerCardCallbackHandler(client, (callback) => cardCallbackResponse({ cardData: { status: callback.params.action }, userPrivateData: { by: 'you' } }));
    });
    const card = await sim.chat('ship');
    expect(card).toMatchObject({ kind: 'card', title: 'Ship it?', fields: [['status', 'pending']], buttons: [{ id: '0', text: 'Approve' }, { id: '1', text: 'Reject' }] });
    sim.pressCardButton(card.id, '1');
    await sim.waitForMessage((m) => m.id === card.id && m.fields?.some(([k, v]) => k === 'status' && v === 'rejected') === true);
    expect(card.note).toBe('private to you: by=you');
    expect(sim.messages.filter((m) => m.kind === 'card')).toHaveLength(1);
    expect(() => sim.pressCardButton(card.id, '7')).toThrow(/no card button/);
  });

  it('shows on the card when the bot\'s button handler failed', async () => {
    const { sim } = await setup((client, api) => {
      registerChatbotHandler(client, (message) => api.createAndDeliverCard({ cardTemplateId: SIMULATOR_APPROVAL_TEMPLATE, to: message, cardData: { title: 'Ship it?' } }).then(() => undefined));
      registerCardCallbackHandler(client, () => {
        throw new Error('handler bug');
      });
    });
    const card = await sim.chat('ship');
    sim.pressCardButton(card.id, '0');
    const failed = await sim.waitForMessage((m) => m.id === card.id && m.note === 'the bot answered the button with 500');
    expect(failed.note).toBe('the bot answered the button with 500');
    expect(failed.fields).toEqual(card.fields); // the card itself is left as it was
  });

  it('in the group, delivers only messages that @ the bot, without the mention, with other mentions in atUsers', async () => {
    const seen: Array<{ text: string; atUsers: unknown }> = [];
    const { sim } = await setup((client) =>
      registerChatbotHandler(client, (message) => {
        seen.push({ text: message.text, atUsers: message.atUsers });
      }),
    );
    expect(sim.send('no mention here', { conversation: 'group' }).delivered).toBe(false);
    await expect(sim.chat('still none', { conversation: 'group' })).rejects.toThrow(/only receives messages that @TestBot/);
    const m = sim.send('@TestBot ping @Alice', { conversation: 'group' });
    await sim.waitForMessage((x) => x.id === m.id && x.ack === '200');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.text).toBe('ping @Alice');
    expect(JSON.stringify(seen[0]!.atUsers)).toContain('sim-user-0002');
  });

  it('shows frames, acks and HTTP calls on the wire, with no secret, ticket or token in what the page receives', async () => {
    const { sim, api } = await setup((client) => registerChatbotHandler(client, (_m, reply) => reply.text('ok')));
    await sim.chat('hello');
    await api.accessToken();
    const events = await readEvents(`${sim.gateway.openApiHost}/sim/events`, (e) => e.length >= 1);
    const text = JSON.stringify(events);
    expect(text).toContain('POST /v1.0/gateway/connections/open');
    expect(text).toContain('ack 200');
    expect(text).not.toContain(sim.gateway.clientSecret);
    for (const c of sim.gateway.connections) expect(text).not.toContain(c.ticket);
    for (const token of sim.openApi.tokens) expect(text).not.toContain(token);
  });

  it('redelivers an unacked message like production and marks each redelivery on the wire with its new messageId', async () => {
    const sim = await DingTalkSimulator.start({ botName: 'TestBot' }); // production defaults: 2 s, new messageId
    cleanups.push(() => sim.close());
    const bot = await rawBot(sim.gateway.openApiHost, sim.clientOptions(), [ROBOT]); // never acks
    const message = sim.send('are you there?');
    const events = await readEvents(`${sim.gateway.openApiHost}/sim/events`, (e) => e.some((x) => x.type === 'wire' && x.entry.redelivery));
    const original = sim.gateway.pushes[0]!.messageId;
    const redelivered = events.find((x) => x.type === 'wire' && x.entry.redelivery).entry;
    const [first, again] = bot.pushes();
    expect(redelivered.redelivery).toEqual({ messageId: again!.headers.messageId, of: original, attempt: 1 });
    expect(redelivered.redelivery.messageId).not.toBe(original);
    expect(redelivered.kind).toContain(`REDELIVERY 1 of ${original} as ${again!.headers.messageId}`);
    expect(again!.data.msgId).toBe(first!.data.msgId);
    expect(message.note).toContain(again!.headers.messageId);
    bot.ack(again!);
    await sim.waitForMessage((m) => m.id === message.id && m.ack === '200');
  });

  it('redelivers a card callback the bot answered with 500 a bounded number of times, then shows that the gateway gave up', async () => {
    let runs = 0;
    const { sim } = await setup((client, api) => {
      registerChatbotHandler(client, (message) => api.createAndDeliverCard({ cardTemplateId: SIMULATOR_APPROVAL_TEMPLATE, to: message, cardData: { title: 'Ship it?' } }).then(() => undefined));
      registerCardCallbackHandler(client, () => {
        runs++;
        throw new Error('handler bug');
      });
    }, { redeliverAfterMs: 100 });
    const card = await sim.chat('ship');
    const id = sim.pressCardButton(card.id, '0');
    await sim.waitForMessage((m) => m.id === card.id && /gave up/.test(m.note ?? ''));
    // an ordering fence: a ping's ack comes after the client handled every frame before it
    await sim.gateway.waitForAck(sim.gateway.ping());
    expect(runs).toBe(4); // 1 + maxRedeliveries (3), not every 60 s forever
    expect(sim.gateway.acksOf(id).map((a) => a.code)).toEqual([500, 500, 500, 500]);
    const events = await readEvents(`${sim.gateway.openApiHost}/sim/events`, (e) => e.length >= 1);
    const wire = events[0].state.wire as Array<{ dir: string; kind: string; redelivery?: { attempt: number; of: string } }>;
    expect(wire.filter((w) => w.redelivery).map((w) => [w.redelivery!.attempt, w.redelivery!.of])).toEqual([[1, id], [2, id], [3, id]]);
    expect(wire.some((w) => w.dir === 'gateway' && w.kind === `gave up on ${id}`)).toBe(true);
  });

  it('does not push events to a bot that subscribed only to chatbot messages', async () => {
    const { sim } = await setup((client) => registerChatbotHandler(client, () => undefined));
    const id = sim.fireEvent('user_add_org');
    await sim.gateway.waitForAck(sim.gateway.ping()); // the bot's socket has seen everything sent before
    expect(sim.gateway.pushOf(id)!.deliveries[0]!.sentAt).toBeNull();
    expect(sim.messages.at(-1)!.text).toContain('no connected bot subscribed to events');
  });

  it('refuses page calls a foreign site could make: cross-origin, non-JSON, or a rebound Host', async () => {
    const { sim } = await setup(() => undefined);
    const api = `${sim.gateway.openApiHost}/sim/api/send`;
    const body = JSON.stringify({ conversation: 'single', text: 'injected' });
    const crossOrigin = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body });
    expect(crossOrigin.status).toBe(403);
    const form = await fetch(api, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    expect(form.status).toBe(403);
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(api, { method: 'POST', headers: { host: 'evil.example:80', 'content-type': 'application/json' } }, (res) => resolve(res.statusCode!));
      req.on('error', reject);
      req.end(body);
    });
    expect(rebound).toBe(403);
    expect(sim.messages.some((m) => m.text === 'injected')).toBe(false);
    const own = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json', origin: sim.gateway.openApiHost }, body: JSON.stringify({ conversation: 'single', text: 'mine' }) });
    expect(own.status).toBe(200);
    const empty = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: '  ' }) });
    expect(await empty.json()).toEqual({ error: 'an empty message cannot be sent' });
  });

  it('serves the page with a strict content security policy', async () => {
    const { sim } = await setup(() => undefined);
    const res = await fetch(sim.url);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline'); // only the page's own script and style, by hash
    const html = await res.text();
    expect(html).toContain('/sim/events');
    // one self-contained response: the stylesheet and the script of src/testing/page/ are inline
    expect(html).toMatch(/<style>[^<]*\.bubble\{/);
    const markup = html.replace(/<script>[\s\S]*<\/script>/, '<script></script>');
    expect(markup).not.toMatch(/\s(src|href)="(?!data:)/);
  });

  it('a bot on the official Node SDK (dingtalk-stream 2.1.5) connects and replies like ours', async () => {
    const sim = await DingTalkSimulator.start();
    cleanups.push(() => sim.close());
    const child = spawn(process.execPath, ['test/simulator/fixtures/official-bot.mjs'], { env: { ...process.env, ...env(sim) }, stdio: 'ignore' });
    cleanups.push(() => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill('SIGTERM')))));
    await sim.gateway.waitFor(() => sim.gateway.live().length > 0, 15_000, 'the official SDK to connect');
    expect((await sim.chat('hi', { timeoutMs: 10_000 })).text).toBe('official says: hi');
  });
});

function env(sim: DingTalkSimulator) {
  const o = sim.clientOptions();
  return { DINGTALK_CLIENT_ID: o.clientId, DINGTALK_CLIENT_SECRET: o.clientSecret, DINGTALK_OPENAPI_HOST: o.openApiHost };
}

describe('dingtalk-stream-universal dev (the bin)', () => {
  it('a newcomer installs the packed package and `npx dingtalk-stream-universal dev` serves the page with the demo bot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtsu-newcomer-'));
    let child: ChildProcess | undefined;
    let url = '';
    try {
      // --ignore-scripts: no rebuild of dist/ under the other tests' feet (npm test built it)
      await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir]);
      writeFileSync(join(dir, 'package.json'), '{"name":"newcomer","private":true}');
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', `./dingtalk-stream-universal-${version}.tgz`], { cwd: dir });
      // its own process group, so that SIGINT reaches npx and the bin below it, like Ctrl+C in a terminal
      child = spawn('npx', ['--no-install', 'dingtalk-stream-universal', 'dev', '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      await vi.waitFor(() => expect(out).toContain('Demo bot "CalcBot"'), { timeout: 20_000, interval: 50 });
      url = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!;
      expect(await (await fetch(url)).text()).toContain('DingTalk Stream simulator');
    } finally {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        process.kill(-child.pid!, 'SIGINT');
        await exited;
        // Ctrl+C stopped the simulator too (npm exits first; the bin follows within moments)
        if (url) await vi.waitFor(() => expect(fetch(url)).rejects.toThrow(), { timeout: 5000, interval: 100 });
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('tells the terminal when a bot connects, and why one with wrong credentials was refused', async () => {
    const child = spawn(process.execPath, ['dist/cli.mjs', 'dev', '--port', '0', '--no-demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await vi.waitFor(() => expect(out).toContain('Waiting for a bot'), { timeout: 10_000, interval: 50 });
      expect(out).toContain("DingTalk's production limits are on");
      const openApiHost = /DINGTALK_OPENAPI_HOST=(\S+)/.exec(out)![1]!;
      const wrong = new DingTalkStreamClient({ clientId: 'ding-local-client-id', clientSecret: 'not-the-secret', openApiHost, logger: null });
      await expect(wrong.start()).rejects.toMatchObject({ code: 'AUTH_FAILED' });
      const right = new DingTalkStreamClient({ clientId: 'ding-local-client-id', clientSecret: 'local-client-secret', openApiHost, logger: null });
      await right.start();
      await right.stop();
      await vi.waitFor(() => expect(out).toMatch(/bot connected \(connection 1\)[\s\S]*bot disconnected \(connection 1\)/), { timeout: 5000, interval: 50 });
      expect(out).toContain('a bot was refused: wrong clientId/clientSecret');
      expect(out).not.toContain('not-the-secret');
    } finally {
      child.kill('SIGINT');
      await exited;
    }
  });

  it('says which port is taken instead of a stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const out = await run(process.execPath, ['dist/cli.mjs', 'dev', '--port', String(port), '--no-demo']).catch((e) => e);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain('port in use');
    } finally {
      blocker.close();
    }
  });
});

describe('DingTalkSimulator under production limits (on by default)', () => {
  // a bot that streams an AI card by hand, as fast as the app's card budget lets it
  const fastCard = (client: DingTalkStreamClient, api: DingTalkOpenApi) =>
    registerChatbotHandler(client, async (message) => {
      const outTrackId = await api.createAndDeliverCard({ cardTemplateId: AI_CARD_TEMPLATE_ID, to: message, cardData: { flowStatus: '1' } });
      await api.updateCard({ outTrackId, cardData: { flowStatus: '2', msgContent: 'one ' } });
      for (const content of ['one two ', 'one two three']) await api.streamCard({ outTrackId, content });
      await api.updateCard({ outTrackId, cardData: { flowStatus: '3', msgContent: 'one two three' } });
    });

  it('warns on the wire when a bot streams a card faster than DingTalk allows', async () => {
    const { sim } = await setup(fastCard);
    sim.send('stream too fast');
    await sim.waitForMessage((m) => m.kind === 'aiCard' && m.status === 'finished', 10_000);
    const wire = (await readEvents(`${sim.gateway.openApiHost}/sim/events`, (e) => e.length >= 1))[0].state.wire as Array<{ dir: string; kind: string; text: string }>;
    const limits = wire.filter((w) => w.dir === 'limit');
    expect(limits.map((w) => w.kind)).toEqual(expect.arrayContaining(['frame-gap', 'card-interval']));
    expect(limits.find((w) => w.kind === 'card-interval')!.text).toMatch(/streamed \d+ ms after its previous update/);
    expect(sim.openApi.limits).toMatchObject({ cardQps: 20, cardUpdateIntervalMs: 800 });
  });

  it('limits: false (dev --no-limits) turns them off', async () => {
    const { sim } = await setup(fastCard, { limits: false });
    sim.send('stream too fast');
    await sim.waitForMessage((m) => m.kind === 'aiCard' && m.status === 'finished', 10_000);
    expect(sim.openApi.limits).toBeNull();
    expect(sim.openApi.violations).toEqual([]);
  });

  it('applies the presser\'s userPrivateData from a button\'s answer, and ignores a keyed privateData there as DingTalk does, saying so on the wire', async () => {
    const { sim } = await setup((client, api) => {
      registerChatbotHandler(client, (message) => api.createAndDeliverCard({ cardTemplateId: SIMULATOR_APPROVAL_TEMPLATE, to: message, cardData: { title: 'Ship it?' } }).then(() => undefined));
      // the wrong shape, written by hand (cardCallbackResponse refuses it)
      registerCardCallbackHandler(client, (callback) => ({ cardData: { cardParamMap: { status: String(callback.params.action) } }, privateData: { [callback.userId]: { cardParamMap: { by: 'you' } } } }) as never);
    });
    const card = await sim.chat('ship');
    sim.pressCardButton(card.id, '0');
    await sim.waitForMessage((m) => m.id === card.id && m.fields?.some(([k, v]) => k === 'status' && v === 'approved') === true);
    expect(card.note).toBeUndefined();
    const wire = (await readEvents(`${sim.gateway.openApiHost}/sim/events`, (e) => e.length >= 1))[0].state.wire as Array<{ dir: string; kind: string; text: string }>;
    expect(wire.find((w) => w.dir === 'limit' && w.kind === 'callback-shape')!.text).toContain('use userPrivateData');
  });

  it('draws no card for a delivery DingTalk failed inside an HTTP 200', async () => {
    const { sim, api } = await setup(() => undefined);
    sim.openApi.rejectDeliveries(1, 'robot not in group');
    await expect(api.createAndDeliverCard({ cardTemplateId: SIMULATOR_APPROVAL_TEMPLATE, to: { userId: 'sim-user-0001' }, cardData: { title: 'never shown' } })).rejects.toMatchObject({ code: 'DELIVERY_FAILED' });
    expect(sim.messages.filter((m) => m.kind === 'card')).toEqual([]);
  });
});
