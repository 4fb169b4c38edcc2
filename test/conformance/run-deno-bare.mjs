// Conformance bot on Deno with a bare import: Deno reads the repo's package.json and
// node_modules (BYONM) and picks the package's `deno` condition. Run by deno.test.ts.
import * as sdk from 'dingtalk-stream-universal';
import { runOnDeno } from './deno-main.mjs';

await runOnDeno(sdk);
