// Where the options leave the credentials or the host out, the Node, Deno and Bun adapters
// take them from the environment (the core never reads it), so the README's quick start
// talks to `dev`'s simulator. Each runtime runs test/environment/print-options.mjs, which
// imports the package by its bare name and so gets that runtime's adapter.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT, bunBinary, denoBinary, denoEnv } from './conformance/launch.js';

const SCRIPT = join(ROOT, 'test/environment/print-options.mjs');
const CLEAN = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DINGTALK_')));

/** What the client made of `options` and `env` in `command` (a runtime and its flags). */
async function resolved(command: string[], options: object | null, env: Record<string, string>): Promise<Record<string, string>> {
  const [file, ...args] = command as [string, ...string[]];
  const { stdout } = await promisify(execFile)(file, [...args, SCRIPT, JSON.stringify(options)], { cwd: ROOT, env: { ...CLEAN, ...env }, timeout: 20_000 });
  return JSON.parse(stdout) as Record<string, string>;
}

const SIM = { DINGTALK_CLIENT_ID: 'ding-local-client-id', DINGTALK_CLIENT_SECRET: 'local-client-secret', DINGTALK_OPENAPI_HOST: 'http://127.0.0.1:8788' };

describe('options from the environment', () => {
  it('Node: a client without options takes DINGTALK_CLIENT_ID, DINGTALK_CLIENT_SECRET and DINGTALK_OPENAPI_HOST', async () => {
    expect(await resolved([process.execPath], null, SIM)).toEqual({ clientId: 'ding-local-client-id', openApiHost: 'http://127.0.0.1:8788', platform: 'node' });
  });

  it('Node: what the options say wins over the environment, and an empty or undefined option falls back to it', async () => {
    expect(await resolved([process.execPath], { clientId: 'given-id', openApiHost: 'https://api.dingtalk.io' }, SIM)).toMatchObject({ clientId: 'given-id', openApiHost: 'https://api.dingtalk.io' });
    expect(await resolved([process.execPath], { clientId: '', openApiHost: null }, SIM)).toMatchObject({ clientId: 'ding-local-client-id', openApiHost: 'http://127.0.0.1:8788' });
  });

  it('Node: reads the Python SDK\'s DINGTALK_OPENAPI_ENDPOINT when DINGTALK_OPENAPI_HOST is unset', async () => {
    const { DINGTALK_OPENAPI_HOST: _, ...python } = SIM;
    expect(await resolved([process.execPath], null, { ...python, DINGTALK_OPENAPI_ENDPOINT: 'http://127.0.0.1:9999' })).toMatchObject({ openApiHost: 'http://127.0.0.1:9999' });
  });

  it('Node: without credentials anywhere it throws CONFIG naming the variables to set', async () => {
    const out = await resolved([process.execPath], null, {});
    expect(out.code).toBe('CONFIG');
    expect(out.message).toContain('DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET');
  });

  it('Deno: reads the variables --allow-env grants, and only those', async () => {
    const deno = [denoBinary(), 'run', '--cached-only', '--no-prompt', '--allow-env=DINGTALK_CLIENT_ID,DINGTALK_CLIENT_SECRET,DINGTALK_OPENAPI_HOST'];
    expect(await resolved(deno, null, { ...SIM, ...denoEnv() })).toEqual({ clientId: 'ding-local-client-id', openApiHost: 'http://127.0.0.1:8788', platform: 'deno' });
    // DINGTALK_OPENAPI_ENDPOINT is not granted: read it and Deno would prompt or throw
    const { DINGTALK_OPENAPI_HOST: _, ...python } = SIM;
    expect(await resolved(deno, null, { ...python, DINGTALK_OPENAPI_ENDPOINT: 'http://127.0.0.1:9999', ...denoEnv() })).toMatchObject({ openApiHost: 'https://api.dingtalk.com' });
  });

  it('Deno: without --allow-env it does not crash; options given in code work, missing ones are a CONFIG error that says --allow-env', async () => {
    const deno = [denoBinary(), 'run', '--cached-only', '--no-prompt'];
    expect(await resolved(deno, { clientId: 'a', clientSecret: 'b' }, { ...SIM, ...denoEnv() })).toEqual({ clientId: 'a', openApiHost: 'https://api.dingtalk.com', platform: 'deno' });
    const out = await resolved(deno, null, { ...SIM, ...denoEnv() });
    expect(out).toMatchObject({ code: 'CONFIG' });
    expect(out.message).toContain('--allow-env');
  });

  it('Bun: a client without options takes the same variables', async () => {
    expect(await resolved([bunBinary()], null, SIM)).toEqual({ clientId: 'ding-local-client-id', openApiHost: 'http://127.0.0.1:8788', platform: 'bun' });
  });
});
