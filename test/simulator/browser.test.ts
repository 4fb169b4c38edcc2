// The simulator's chat page in a real browser: Debian's Chromium driven by playwright-core,
// against `dingtalk-stream-universal dev` started as a newcomer starts it (the built bin),
// with real bots connected over real sockets on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { required } from '../helpers/required.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const executablePath = CANDIDATES.find((p): p is string => !!p && existsSync(p));
// CI installs Chromium (.ci/run); the one skip rule (helpers/required.ts) decides the rest
const hasChromium = required('Chromium', !!executablePath, 'set CHROMIUM_PATH, or apt-get install chromium');

const SHOTS = 'test/.output';
// waits inside a test: generous, because npm test runs two heavy files at a time on 2 cores
const POLL = { timeout: 10_000 };
// UPDATE_SCREENSHOTS=1 npm test refreshes the README's pictures from this test
const publish = (name: string) => process.env.UPDATE_SCREENSHOTS && copyFileSync(join(SHOTS, name), join('docs', name));

interface Dev {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts the built bin (`dist/cli.mjs dev --port 0 …`) and resolves with the URL it prints. */
function startDev(args: string[], env: Record<string, string> = {}): Promise<Dev> {
  const child = spawn(process.execPath, ['dist/cli.mjs', 'dev', '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev printed no URL in 15 s:\n${out}`)), 15_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      const ready = args.includes('--') || out.includes('Demo bot'); // a bot of your own: the page shows when it connects
      if (url && ready) {
        clearTimeout(timer);
        resolve({ child, url, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`dev exited with ${code}:\n${out}`)));
  });
}

async function stopDev(dev: Dev | undefined): Promise<number | null> {
  if (!dev || dev.child.exitCode !== null) return dev?.child.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => dev.child.once('exit', (code) => resolve(code)));
  dev.child.kill('SIGINT');
  return exited;
}

describe.skipIf(!hasChromium)('simulator chat page in Chromium', () => {
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'dtsu-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('pageerror', (err) => errors.push(String(err)));
    page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
  }, 60_000);

  /** Opens the page and waits until the bot's socket shows as connected. */
  async function open(dev: Dev): Promise<void> {
    await page.goto(dev.url);
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 15_000 }).toMatch(/connected/i);
  }

  /**
   * Starts `dev` with `args`, opens the page once the bot is connected, runs `body`, checks
   * the page logged no error, and stops `dev` (which must exit cleanly) whatever happened.
   */
  async function withPage(args: string[], env: Record<string, string>, body: () => Promise<void>): Promise<void> {
    const dev = await startDev(args, env);
    try {
      await open(dev);
      await body();
      expect(errors).toEqual([]);
    } finally {
      expect(await stopDev(dev)).toBe(0);
    }
  }

  /** Types `text` into the composer and presses Enter, as a user does. */
  async function say(text: string): Promise<void> {
    await page.getByTestId('composer').fill(text);
    await page.getByTestId('composer').press('Enter');
  }

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('a newcomer types "1+1" and sees "2" from the calculator demo bot', async () => {
    await withPage([], {}, async () => {
      await say('1+1');
      const reply = page.locator('[data-testid="message"][data-from="bot"]').filter({ hasText: 'A: 2' });
      await reply.first().waitFor({ timeout: 10_000 });
      expect(await reply.first().textContent()).toContain('Q: 1+1');
      // the user message shows its ack, and the wire panel shows the CALLBACK and its ack
      await expect.poll(() => page.locator('[data-testid="message"][data-from="user"]').first().textContent(), POLL).toContain('200');
      await expect.poll(() => page.getByTestId('wire').textContent(), POLL).toContain('/v1.0/im/bot/messages/get');
      expect(await page.getByTestId('wire').textContent()).toContain('ack 200');

      // the group: only messages that @ the bot reach it
      await page.getByTestId('conv-group').click();
      await page.getByTestId('mention-bot').click();
      await page.getByTestId('composer').type('(2 + 3) * 4');
      await page.getByTestId('send').click();
      await page.locator('[data-testid="message"][data-from="bot"]').filter({ hasText: 'A: 20' }).first().waitFor({ timeout: 10_000 });

      // fire an EVENT: the calculator did not subscribe to events, so the gateway keeps it queued and says so
      await page.getByTestId('fire-event').click();
      await expect.poll(() => page.locator('.toast').allTextContents(), POLL).toContain('EVENT user_add_org queued: no bot subscribed to events');

      // kill the socket: the bot reconnects by itself and still answers
      await page.getByTestId('conv-single').click();
      await page.getByTestId('kill').click();
      await say('6 * 7');
      await page.locator('[data-testid="message"][data-from="bot"]').filter({ hasText: 'A: 42' }).first().waitFor({ timeout: 15_000 });
      await expect.poll(() => page.getByTestId('status').textContent(), POLL).toMatch(/connected/i);
      await expect.poll(() => page.locator('[data-testid="message"][data-from="user"]').filter({ hasText: '6 * 7' }).textContent(), POLL).toContain('200');

      await page.locator('.toast').last().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
      await page.screenshot({ path: join(SHOTS, 'simulator.png') });
      publish('simulator.png');
    });
  }, 60_000);

  it('fits a phone (390 px) and a tablet (1024 px): no sideways scroll, the chat usable, an expanded wire row wraps', async () => {
    const dev = await startDev([]);
    try {
      for (const width of [390, 1024]) {
        await page.setViewportSize({ width, height: 800 }); // before the page loads: it picks its layout then
        await open(dev);
        const phone = width < 760;
        // on a phone the wire waits below the chat until asked for
        expect(await page.locator('.wire').isVisible(), `${width}px`).toBe(!phone);
        await say(`${width}+1`);
        const reply = page.locator('[data-testid="message"][data-from="bot"]').filter({ hasText: `A: ${width + 1}` }).first();
        await reply.waitFor({ timeout: 10_000 });
        if (phone) await page.getByTestId('wire-toggle').click();
        // expand the wire's longest row: its JSON wraps inside the panel
        const row = page.locator('.wr').filter({ hasText: '/v1.0/im/bot/messages/get' }).last();
        await row.click();
        await row.locator('pre').waitFor();
        const layout = await page.evaluate(() => {
          const box = (sel: string) => {
            const r = document.querySelector(sel)!.getBoundingClientRect();
            return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height };
          };
          const wire = document.querySelector<HTMLElement>('[data-testid="wire"]')!;
          const rows = Array.from(wire.querySelectorAll<HTMLElement>('.wr'));
          return {
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth,
            innerHeight,
            composer: box('[data-testid="composer"]'),
            send: box('[data-testid="send"]'),
            wire: { scrollWidth: wire.scrollWidth, clientWidth: wire.clientWidth, right: box('[data-testid="wire"]').right },
            rowsOverflowing: rows.filter((r) => r.scrollWidth > r.clientWidth).length,
            pre: box('.wr pre'),
          };
        });
        expect(layout.scrollWidth, `${width}px: no horizontal overflow`).toBeLessThanOrEqual(layout.innerWidth);
        for (const [name, b] of [['composer', layout.composer], ['send', layout.send]] as const) {
          expect(b.width, `${width}px: ${name} shown`).toBeGreaterThan(0);
          expect(b.left, `${width}px: ${name}`).toBeGreaterThanOrEqual(0);
          expect(b.right, `${width}px: ${name}`).toBeLessThanOrEqual(layout.innerWidth);
          expect(b.bottom, `${width}px: ${name}`).toBeLessThanOrEqual(layout.innerHeight);
        }
        expect(await reply.isVisible()).toBe(true);
        await reply.scrollIntoViewIfNeeded();
        const message = (await reply.boundingBox())!;
        expect(message.x).toBeGreaterThanOrEqual(0);
        expect(message.x + message.width).toBeLessThanOrEqual(width);
        expect(layout.wire.scrollWidth, `${width}px: the wire does not scroll sideways`).toBeLessThanOrEqual(layout.wire.clientWidth);
        expect(layout.wire.right).toBeLessThanOrEqual(layout.innerWidth);
        expect(layout.rowsOverflowing, `${width}px: wire rows overflowing`).toBe(0);
        expect(layout.pre.right).toBeLessThanOrEqual(layout.wire.right);
        await page.screenshot({ path: join(SHOTS, `simulator-${width}.png`) });
      }
      // the page says what the terminal printed: the same clientId and host, the secret left to the terminal
      const env = await page.getByTestId('connect-env').textContent();
      const printed = dev.output();
      for (const line of env!.split('\n').filter((l) => !l.includes('SECRET'))) expect(printed).toContain(`  ${line}\n`);
      expect(env).toContain('DINGTALK_CLIENT_SECRET=(printed in your terminal)');
      expect(printed).toContain('  DINGTALK_CLIENT_SECRET=local-client-secret\n');
      expect(errors).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
      expect(await stopDev(dev)).toBe(0);
    }
  }, 60_000);

  it('clicking a card button calls the bot back and the card updates in place', async () => {
    // your own bot, started by `dev -- <command>` with the simulator's credentials in its env
    await withPage(['--bot-name', 'ApprovalBot', '--', process.execPath, 'examples/card-bot/main.mjs'], { DINGTALK_CARD_TEMPLATE_ID: 'simulator-approval.schema' }, async () => {
      await say('deploy v1.2');
      const card = page.locator('[data-testid="message"][data-kind="card"]').first();
      await card.waitFor({ timeout: 10_000 });
      expect(await card.textContent()).toContain('Approve "deploy v1.2"?');
      expect(await card.textContent()).toContain('pending');
      await card.getByTestId('card-button').filter({ hasText: 'Approve' }).click();
      await expect.poll(() => card.textContent(), { timeout: 10_000 }).toContain('approved');
      expect(await card.textContent()).toContain('you chose approved');
      expect(await page.locator('[data-testid="message"][data-kind="card"]').count()).toBe(1); // updated in place, not a new card
      await page.screenshot({ path: join(SHOTS, 'simulator-card.png') });
      publish('simulator-card.png');
      // nothing secret reached the page: the wire panel shows the open call with the secret masked
      const html = await page.content();
      expect(html).not.toContain('local-client-secret');
    });
  }, 60_000);

  it('sends a picture from the composer (the bot downloads it) and a quoted reply (shown with its quote, received as one)', async () => {
    // a 1×1 PNG
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
    await withPage(['--bot-name', 'MediaBot', '--', process.execPath, 'test/simulator/fixtures/media-bot.mjs'], {}, async () => {
      // pick a picture: it waits above the composer until Send
      await page.getByTestId('picture-input').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: png });
      await expect.poll(() => page.getByTestId('staged-picture').textContent(), POLL).toContain('dot.png');
      await page.getByTestId('send').click();
      const picture = page.locator('[data-testid="message"][data-from="user"][data-kind="image"]').first();
      await picture.waitFor({ timeout: 10_000 });
      // shown as the picture itself, loaded back from the simulator under the page's CSP
      await expect.poll(() => picture.getByTestId('picture').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), POLL).toBe(1);
      expect(await page.getByTestId('staged-picture').count()).toBe(0);
      const got = page.locator('[data-testid="message"][data-from="bot"]').filter({ hasText: `got a picture: image/png, ${png.length} bytes` }).first();
      await got.waitFor({ timeout: 10_000 });

      // quote the bot's answer and reply to it
      await got.hover();
      await got.getByTestId('quote-button').click();
      await expect.poll(() => page.getByTestId('quote-bar').textContent(), POLL).toContain('got a picture');
      await say('what do you mean?');
      const mine = page.locator('[data-testid="message"][data-from="user"]').filter({ hasText: 'what do you mean?' }).first();
      await mine.waitFor({ timeout: 10_000 });
      expect(await mine.getByTestId('quoted').textContent()).toContain('MediaBot');
      expect(await mine.getByTestId('quoted').textContent()).toContain('got a picture');
      expect(await page.getByTestId('quote-bar').count()).toBe(0); // used by that message
      await page.locator('[data-testid="message"][data-from="bot"]').filter({ hasText: 'you quoted a text: {"content":"got a picture: image/png' }).first().waitFor({ timeout: 10_000 });

      // a voice message: the typed text is its speech recognition
      await page.getByTestId('voice-toggle').click();
      await say('lights on');
      await page.locator('[data-testid="message"][data-from="user"][data-kind="audio"]').filter({ hasText: 'lights on' }).first().waitFor({ timeout: 10_000 });
      await page.locator('[data-testid="message"][data-from="bot"]').filter({ hasText: 'you said (voice): lights on' }).first().waitFor({ timeout: 10_000 });
      expect(await page.getByTestId('voice-toggle').getAttribute('aria-pressed')).toBe('false');
      await page.screenshot({ path: join(SHOTS, 'simulator-composer.png') });
    });
  }, 60_000);

  it('renders markdown and actionCard link buttons from a bot of your own', async () => {
    await withPage(['--bot-name', 'EchoBot', '--', process.execPath, 'examples/markdown-bot/main.mjs'], {}, async () => {
      // the bot quotes the user in markdown: **world** turns bold, an HTML tag stays text
      await say('hello **world** <img src=x onerror=alert(1)>');
      const markdown = page.locator('[data-testid="message"][data-kind="markdown"]').first();
      await markdown.waitFor({ timeout: 10_000 });
      expect(await markdown.locator('h4').textContent()).toBe('You said');
      expect(await markdown.locator('blockquote b').textContent()).toBe('world');
      expect(await markdown.locator('blockquote').textContent()).toContain('<img src=x onerror=alert(1)>');
      expect(await page.locator('img[src="x"]').count()).toBe(0);
      await say('links');
      const card = page.locator('[data-testid="message"][data-kind="actionCard"]').first();
      await card.waitFor({ timeout: 10_000 });
      const links = card.locator('a[href^="https://"]');
      expect(await links.count()).toBe(2);
      expect(await links.first().getAttribute('target')).toBe('_blank');
    });
  }, 60_000);

  it('shows an AI streaming card filling in live, and the bot surviving a SYSTEM disconnect', async () => {
    await withPage(['--bot-name', 'Assistant', '--', process.execPath, 'examples/ai-card-bot/main.mjs'], {}, async () => {
      // record every text the card showed, to prove it filled in step by step rather than at the end
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { seen: string[] }).seen = seen;
        new MutationObserver(() => {
          const card = document.querySelector('[data-kind="aiCard"]');
          if (card) seen.push(card.textContent ?? '');
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      await say('what is stream mode?');
      const card = page.locator('[data-testid="message"][data-kind="aiCard"]').first();
      await expect.poll(() => card.textContent(), { timeout: 15_000 }).toContain('done');
      expect(await card.textContent()).toContain('the way a language model would write it.');
      const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
      expect(new Set(seen).size).toBeGreaterThan(3);
      expect(await page.locator('[data-testid="message"][data-kind="aiCard"]').count()).toBe(1);

      // Send disconnect: the bot opens a new connection first, then the old one goes away
      await page.getByTestId('disconnect').click();
      await expect.poll(() => page.getByTestId('wire').textContent(), { timeout: 10_000 }).toContain('SYSTEM disconnect');
      const opens = async () => ((await page.getByTestId('wire').textContent()) ?? '').split('POST /v1.0/gateway/connections/open').length - 1;
      await expect.poll(opens, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      await say('still there?');
      await expect.poll(() => page.locator('[data-testid="message"][data-kind="aiCard"]').count(), { timeout: 15_000 }).toBe(2);
    });
  }, 60_000);
});
