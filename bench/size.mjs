// Bundle sizes as a Worker would ship them: esbuild --bundle --minify --platform=neutral
// --conditions=workerd,worker, then gzip -9. The same recipe as test/size.test.ts.
import * as esbuild from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Bundles `contents` (an ES module that imports/re-exports entries relative to the repo root). */
export async function bundleSize(contents, { platform = 'neutral', conditions = ['workerd', 'worker'] } = {}) {
  const result = await esbuild.build({
    stdin: { contents, resolveDir: root, loader: 'js', sourcefile: 'entry.mjs' },
    bundle: true,
    minify: true,
    platform,
    conditions,
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.entries(Object.values(result.metafile.outputs)[0].inputs)
    .map(([path, { bytesInOutput }]) => ({ path, bytes: bytesInOutput }))
    .filter((i) => i.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs };
}

/** The bundle sizes the benchmark reports; `official.neutral` is the error esbuild gives. */
export async function measureSizes() {
  const core = await bundleSize(`export * from './dist/index.mjs';`);
  const full = await bundleSize(`export * from './dist/index.mjs'; export * from './dist/chatbot/index.mjs';`);
  const official = await bundleSize(`export * from 'dingtalk-stream';`, { platform: 'node', conditions: [] });
  let officialNeutral;
  try {
    const r = await bundleSize(`export * from 'dingtalk-stream';`);
    officialNeutral = `${r.gzip} B (unexpectedly bundled)`;
  } catch (err) {
    const errors = err.errors ?? [];
    const missing = [...new Set(errors.map((e) => /Could not resolve "([^"]+)"/.exec(e.text)?.[1]).filter(Boolean))];
    officialNeutral = `fails: ${errors.length} errors, unresolvable imports — Node built-ins and main-only packages (${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''})`;
  }
  return { core, full, official, officialNeutral };
}
