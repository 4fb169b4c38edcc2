// Conformance bot on Deno through an `npm:` specifier, the way a Deno user imports the
// package. deno.json sets nodeModulesDir "manual", so `npm:dingtalk-stream-universal`
// resolves from ./node_modules, where deno-npm.test.ts installs the local build (its
// package.json and dist/, like `npm install --install-links`): no registry involved.
import * as sdk from 'npm:dingtalk-stream-universal';
import { runOnDeno } from '../deno-main.mjs';

await runOnDeno(sdk);
