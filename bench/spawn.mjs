// Starts one benchmark client process (bench/clients/<client>.mjs) in the runtime a kind
// names, for bench/run.mjs, bench/flood.mjs and bench/profile.mjs. A kind is
// `[runtime/]client[:socket]`:
//   ours-async                 Node (this process's binary), the adapter's own socket
//   ours-async:global          BENCH_SOCKET=global for the client (see clients/harness.mjs)
//   node22/ours-async:global   the same on Node 22 (the `node` package's binary via npx,
//                              or BENCH_NODE22=/path/to/node)
//   bun/ours-async, deno/ours-async   Bun or Deno from node_modules, their native WebSocket
// Node clients are forked (IPC channel); Bun and Deno are spawned and spoken to in JSON
// lines over stdin/stdout. A runtime that is not there makes `runtimeMissing(kind)` say why.
import { execFileSync, fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `node22/ours-async:global` → { runtime: 'node22', client: 'ours-async', socket: 'global' } */
export function parseKind(kind) {
  const [head, socket] = kind.split(':');
  const [runtime, client] = head.includes('/') ? head.split('/') : ['node', head];
  return { runtime, client, socket };
}

const binaries = new Map();
/** The executable for `runtime`, or an Error saying why there is none (looked up once). */
function binary(runtime) {
  if (binaries.has(runtime)) return binaries.get(runtime);
  let found;
  try {
    if (runtime === 'node') found = process.execPath;
    else if (runtime === 'node22') {
      found =
        process.env.BENCH_NODE22 ||
        execFileSync('npx', ['-y', 'node@22', '-e', 'process.stdout.write(process.execPath)'], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } else if (runtime === 'bun') found = `${ROOT}node_modules/bun/bin/bun.exe`;
    else if (runtime === 'deno') found = `${ROOT}node_modules/deno/deno`;
    else throw new Error(`unknown runtime ${runtime}`);
    if (!existsSync(found)) throw new Error(`${found} is not there`);
  } catch (err) {
    found = new Error(`${runtime}: ${err.message.split('\n')[0]}`);
  }
  binaries.set(runtime, found);
  return found;
}

/** Why `kind` cannot run here (its runtime is missing), or undefined. */
export function runtimeMissing(kind) {
  const bin = binary(parseKind(kind).runtime);
  return bin instanceof Error ? bin.message : undefined;
}

/** The runtime's version as a short label, e.g. `Node v22.23.3`, `Bun 1.4.5`. */
export function runtimeVersion(runtime) {
  const bin = binary(runtime);
  if (bin instanceof Error) return 'n/a';
  if (runtime === 'node') return `Node ${process.version}`;
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 }).split('\n')[0].trim();
    return runtime === 'node22' ? `Node ${out}` : runtime === 'bun' ? `Bun ${out}` : out.replace(/^deno/, 'Deno').replace(/ \(.*$/, '');
  } catch {
    return 'n/a';
  }
}

/**
 * Starts `kind` with the harness's argv. Returns { send(msg), onMessage(fn), exited, kill(sig),
 * connected(), stderr() }; stderr is kept (the last 4,000 characters), or inherited with
 * `inheritStderr`. `childArgs`: extra runtime flags (Node only).
 */
export function startClient(kind, args, { childArgs = [], inheritStderr = false, inheritStdout = false } = {}) {
  const { runtime, client, socket } = parseKind(kind);
  const bin = binary(runtime);
  if (bin instanceof Error) throw bin;
  const file = fileURLToPath(new URL(`./clients/${client}.mjs`, import.meta.url));
  const env = { ...process.env };
  if (socket) env.BENCH_SOCKET = socket;
  else delete env.BENCH_SOCKET;
  const errMode = inheritStderr ? 'inherit' : 'pipe';
  let child;
  let send;
  const listeners = [];
  if (runtime === 'node' || runtime === 'node22') {
    child = fork(file, args, { execPath: bin, env, stdio: ['ignore', inheritStdout ? 'inherit' : 'ignore', errMode, 'ipc'], execArgv: ['--expose-gc', ...childArgs] });
    child.on('message', (msg) => listeners.forEach((fn) => fn(msg)));
    send = (msg) => child.connected && child.send(msg);
  } else {
    const flags =
      runtime === 'deno'
        ? ['run', '--cached-only', '--no-prompt', '--allow-net=127.0.0.1', '--allow-env', '--v8-flags=--expose-gc']
        : [];
    if (runtime === 'deno') {
      // the same cache the tests use (test/conformance/launch.ts)
      env.DENO_DIR = `${ROOT}node_modules/.cache/dingtalk-stream-universal/deno`;
      env.DENO_NO_UPDATE_CHECK = '1';
      mkdirSync(env.DENO_DIR, { recursive: true });
    }
    const argv = [...args];
    while (argv.length < 5) argv.push('1'); // the channel is the sixth argument
    child = spawn(bin, [...flags, file, ...argv, 'stdio'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', errMode] });
    createInterface({ input: child.stdout }).on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        return; // not ours
      }
      listeners.forEach((fn) => fn(msg));
    });
    child.stdin.on('error', () => {});
    send = (msg) => child.stdin.writable && child.stdin.write(`${JSON.stringify(msg)}\n`);
  }
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d).length > 4000 && (stderr = stderr.slice(-4000)));
  const exited = new Promise((resolve) => {
    child.once('exit', resolve);
    child.once('error', (err) => {
      stderr += `\n[spawn error] ${err.message}`;
      resolve(null);
    });
  });
  return {
    child,
    send,
    onMessage: (fn) => listeners.push(fn),
    exited,
    kill: (signal = 'SIGKILL') => child.kill(signal),
    stderr: () => stderr,
  };
}
