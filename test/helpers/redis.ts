import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './ports.js';
import { required } from './required.js';

/**
 * A real `redis-server` (Debian's package) on 127.0.0.1 and a free port, with no
 * persistence, for the tests that need one. `.ci/run` installs it; the skip rule is required.ts's.
 */
export interface RedisServer {
  port: number;
  url: string;
  /** Kills the server at once (an outage); `start()` brings it back on the same port. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Whether `redis-server` can run here; outside CI a test without it skips with a notice. */
export function redisAvailable(): boolean {
  return required('redis-server', spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0, 'apt-get install redis-server');
}

/** Resolves once the server answers PING. */
async function ready(port: number, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts `redis-server` on a random free port on 127.0.0.1.
 *
 * @example
 * ```ts
 * const redis = await startRedis();
 * try { … redis.url … } finally { await redis.stop(); }
 * ```
 */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const exited = () => new Promise<void>((resolve) => (!child || child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: 'ignore' });
      await ready(port);
    },
    async kill() {
      child?.kill('SIGKILL');
      await exited();
    },
    async stop() {
      child?.kill('SIGTERM');
      await exited();
    },
  };
  await server.start();
  return server;
}
