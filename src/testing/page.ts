/**
 * The chat page of the local DingTalk simulator, served at `GET /`: one self-contained HTML
 * document (inline CSS and vanilla JS, no external URL) with the 1:1 chat and the group, a
 * composer, and the "wire" of frames, acks and HTTP calls. It listens to `GET /sim/events`
 * (Server-Sent Events) and posts to `/sim/api/send`, `/sim/api/upload` (a picture or file,
 * shown back from `/sim/file`), `/sim/api/card`, `/sim/api/event`, `/sim/api/disconnect` and
 * `/sim/api/kill`.
 *
 * Its sources are real files, `page/index.html`, `page/page.css` and `page/page.js` (open
 * index.html as it is to work on the layout); the build (tsup.config.ts) and vitest (Vite)
 * import them as text (`?raw`), and this module puts the CSS and the script inline.
 * @module
 */
import { createHash } from 'node:crypto';
import html from './page/index.html?raw';
import css from './page/page.css?raw';
import script from './page/page.js?raw';

const STYLE_LINK = '<link rel="stylesheet" href="page.css">';
const SCRIPT_TAG = '<script src="page.js"></script>';
if (!html.includes(STYLE_LINK) || !html.includes(SCRIPT_TAG)) throw new Error(`page/index.html must contain ${STYLE_LINK} and ${SCRIPT_TAG} once each`);

/**
 * The page, with its stylesheet and script inline.
 *
 * @example
 * ```ts
 * res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': SIMULATOR_PAGE_CSP });
 * res.end(SIMULATOR_PAGE);
 * ```
 */
export const SIMULATOR_PAGE: string = html.replace(STYLE_LINK, () => `<style>${css}</style>`).replace(SCRIPT_TAG, () => `<script>${script}</script>`);

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The page's content security policy: no external source, and no inline script or style
 * but the page's own (by hash); the page may not be framed, nor post a form anywhere.
 */
export const SIMULATOR_PAGE_CSP: string = [
  "default-src 'self'",
  `script-src ${sha256(script)}`,
  `style-src ${sha256(css)}`,
  // a user's pictures, from this server (`/sim/file`); nothing else
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
