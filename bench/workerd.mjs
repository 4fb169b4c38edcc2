// Cold start in workerd (Miniflare): from `new Miniflare()` (the workerd process start) and
// from the Durable Object's first request to the first open connection seen by the gateway.
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

/** Bundles a DO script the way a Worker would ship it. */
export async function buildDurableObject(kind) {
  const result = await esbuild.build({
    entryPoints: [here(`./workerd/${kind}-do.mjs`)],
    bundle: true,
    minify: true,
    platform: 'neutral',
    conditions: ['workerd', 'worker'],
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/** One cold start of `script` against `gw`; resolves with the timings (ms). */
export async function coldStart(script, gw) {
  const t0 = performance.now();
  const mf = new Miniflare({
    modules: true,
    script,
    durableObjects: { BOT: 'BotDO' },
    bindings: { GATEWAY: gw.openApiHost, CLIENT_ID: gw.clientId, CLIENT_SECRET: gw.clientSecret },
    compatibilityDate: '2026-04-20',
  });
  try {
    await mf.ready;
    const ready = performance.now();
    const opened = gw.nextOpen(20_000);
    const request = performance.now();
    const res = await mf.dispatchFetch('http://localhost/start');
    await res.text();
    const answered = performance.now();
    const conn = await opened;
    return { boot: ready - t0, processToOpen: conn.openedAt - t0, requestToOpen: conn.openedAt - request, requestToAnswer: answered - request, status: res.status };
  } finally {
    await mf.dispose();
  }
}
