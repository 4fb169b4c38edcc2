import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defineConfig } from 'tsup';
import type { Plugin } from 'esbuild';

// `import text from './file.css?raw'` as Vite (vitest) reads it: the file's text. The
// simulator's chat page (src/testing/page/) is kept as real HTML, CSS and JS this way.
const rawText: Plugin = {
  name: 'raw-text',
  setup(build) {
    // the path keeps its `?raw`, or tsup's own CSS plugin would take page.css
    build.onResolve({ filter: /\?raw$/ }, (args) => ({ path: resolve(args.resolveDir, args.path), namespace: 'raw-text' }));
    build.onLoad({ filter: /\?raw$/, namespace: 'raw-text' }, async (args) => ({ contents: await readFile(args.path.slice(0, -'?raw'.length), 'utf8'), loader: 'text' }));
  },
};

// ESM (.mjs) and CJS (.js) for every entry. No "type": "module" in package.json and
// `splitting: true` so that every CJS entry shares one copy of the core classes
// (instanceof works across `dingtalk-stream-universal` and `.../testing`).
export default defineConfig([{
  entry: {
    index: 'src/index.ts',
    'adapters/node': 'adapters/node.ts',
    'adapters/deno': 'adapters/deno.ts',
    'adapters/bun': 'adapters/bun.ts',
    'adapters/cloudflare': 'adapters/cloudflare.ts',
    'adapters/redis': 'adapters/redis.ts',
    'chatbot/index': 'src/chatbot/index.ts',
    'testing/index': 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  splitting: true,
  clean: true,
  platform: 'neutral',
  target: 'es2022',
  external: ['ws', 'valibot', 'undici', 'redis', /^node:/],
  outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.js' }),
  // keep `node:fs` as written (tsup 8 strips the prefix by default): Deno, Bun and Workers'
  // nodejs_compat know the built-ins by their `node:` names
  removeNodeProtocol: false,
  // `import.meta.url` in CJS (the Node adapter requires `ws` only where it has to)
  shims: true,
  esbuildPlugins: [rawText],
},
// the `dev` command line: ESM only, with a shebang; the calculator demo is loaded from examples/ at run time
{
  entry: { cli: 'src/testing/cli.ts' },
  format: ['esm'],
  dts: false,
  clean: false,
  platform: 'node',
  target: 'es2022',
  external: ['ws', 'valibot', 'undici', /^node:/],
  outExtension: () => ({ js: '.mjs' }),
  removeNodeProtocol: false,
  banner: { js: '#!/usr/bin/env node' },
  esbuildPlugins: [rawText],
}]);
