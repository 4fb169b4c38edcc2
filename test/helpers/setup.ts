import { afterEach } from 'vitest';
import { DingTalkStreamClient, type ClientOptions, type Logger } from '../../adapters/node.js';
import { FakeDingTalkGateway, type FakeGatewayOptions } from '../../src/testing/index.js';

/** Captures every log line so tests can assert on them (and scan them for secrets). */
export class CapturingLogger implements Logger {
  readonly lines: string[] = [];
  debug = (m: string) => void this.lines.push(`debug ${m}`);
  info = (m: string) => void this.lines.push(`info ${m}`);
  warn = (m: string) => void this.lines.push(`warn ${m}`);
  error = (m: string) => void this.lines.push(`error ${m}`);
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A listening fake gateway, closed after the test. */
export async function gateway(options: FakeGatewayOptions = {}): Promise<FakeDingTalkGateway> {
  const gw = await new FakeDingTalkGateway(options).listen();
  cleanups.push(() => gw.close());
  return gw;
}

/** A client pointed at `gw` with short test timings, stopped after the test. */
export function client(gw: FakeDingTalkGateway, options: Partial<ClientOptions> = {}): DingTalkStreamClient & { log: CapturingLogger } {
  const log = new CapturingLogger();
  const c = new DingTalkStreamClient({
    clientId: gw.clientId,
    clientSecret: gw.clientSecret,
    openApiHost: gw.openApiHost,
    logger: log,
    logLevel: 'debug',
    backoffBaseMs: 20,
    backoffCapMs: 200,
    ...options,
  }) as DingTalkStreamClient & { log: CapturingLogger };
  c.log = log;
  cleanups.push(() => c.stop());
  return c;
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
