import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';

// The byte budget. Size is deterministic, so a test may assert it. If it breaks, find what grew
// (the failure lists the biggest inputs from esbuild's metafile) rather than raising the numbers.
// History: the core was 8 KB until production's redelivery model (issue 11), then 9, 10 and
// 10.5 KB for the dedup store, ordering, CONFIG errors and the bounds against a hostile gateway
// (issues 13-15). Issue 21 took valibot out of the core (the envelope is checked by hand; valibot
// stays the chatbot layer's schema language): 10,748 -> 10,197 B. Its 9,216 B target is not met:
// the one policy table, the scheduler with its finally and the options table reader cost what
// valibot saved beyond ~550 B (bench/RESULTS.md). So the core's budget is 10 KB.
const CORE_BUDGET = 10 * 1024;
// The whole package (core, chatbot, cards, AI card): 19.75 KB until issue 21, whose options
// tables for every options object a user passes (item 4, ~280 B) and the pipeline above (~600 B)
// took it to 21,254 B; valibot now counts in the chatbot entry's share instead of the core's.
// Issue 22 (files and message lifecycle: sendFile with DingTalk's media limits checked before
// upload, voice/video messages, recall and read status for 1:1, group and private chats) took it
// from 21,221 to 22,209 B: 22 KB. Its parts, measured one at a time: the media table and check
// ~360 B, sendFile ~270, recall ~90, readStatus ~80, the voice/video builders ~70.
const FULL_BUDGET = 22 * 1024;

const root = fileURLToPath(new URL('..', import.meta.url));
// `npm test` builds first, so the test measures what ships (dist). Run alone without a
// build, it bundles the same entries from src with the same recipe instead of building.
const built = existsSync(`${root}dist/index.mjs`) && existsSync(`${root}dist/chatbot/index.mjs`);
const entry = built ? { core: './dist/index.mjs', chatbot: './dist/chatbot/index.mjs' } : { core: './src/index.ts', chatbot: './src/chatbot/index.ts' };

/** A Worker's bundle of `contents`: esbuild --bundle --minify --platform=neutral --conditions=workerd,worker, gzip -9. */
async function workerBundle(contents: string): Promise<{ gzip: number; min: number; top: string; inputs: string[] }> {
  const result = await esbuild.build({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    minify: true,
    platform: 'neutral',
    conditions: ['workerd', 'worker'],
    target: 'es2022',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const inputs = Object.values(result.metafile.outputs)[0]!.inputs;
  const top = Object.entries(inputs)
    .filter(([, i]) => i.bytesInOutput > 0)
    .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
    .slice(0, 8)
    .map(([path, i]) => `  ${String(i.bytesInOutput).padStart(6)} B min  ${path}`)
    .join('\n');
  return { gzip: gzipSync(code, { level: 9 }).length, min: code.length, top, inputs: Object.keys(inputs) };
}

/** Asserts the budget; over it, names the biggest inputs, per source file (dist chunks hide them). */
async function withinBudget(name: string, size: { gzip: number; min: number; top: string }, budget: number, srcContents: string): Promise<void> {
  if (size.gzip <= budget) return;
  const bySource = built ? (await workerBundle(srcContents)).top : size.top;
  const message = `${name} is ${size.gzip} B min+gzip (${size.min} B minified), over its ${budget} B budget. Biggest inputs (minified bytes, bundled from src):\n${bySource}\n`;
  expect(size.gzip, message).toBeLessThanOrEqual(budget);
}

describe(`byte budget for a Worker bundle (measured from ${built ? 'dist' : 'src'})`, () => {
  it('keeps the core entry within 10 KB min+gzip, without valibot', async () => {
    const core = await workerBundle(`export * from '${entry.core}';`);
    expect(core.gzip).toBeGreaterThan(1024); // it really bundled the client, not an empty stub
    expect(core.inputs.filter((path) => path.includes('valibot'))).toEqual([]); // the envelope is checked by hand
    await withinBudget('The core entry', core, CORE_BUDGET, `export * from './src/index.ts';`);
  });

  it('keeps the full package (core, chatbot, cards, AI card) within 22 KB min+gzip', async () => {
    const core = await workerBundle(`export * from '${entry.core}';`);
    const full = await workerBundle(`export * from '${entry.core}';\nexport * from '${entry.chatbot}';`);
    expect(full.gzip).toBeGreaterThanOrEqual(core.gzip); // the chatbot entry adds to the core, never replaces it
    await withinBudget('The full package', full, FULL_BUDGET, `export * from './src/index.ts';\nexport * from './src/chatbot/index.ts';`);
  });
});
