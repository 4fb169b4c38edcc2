// Types of bot.mjs (plain JS so every runtime runs it unchanged; TypeScript callers,
// such as the Bun entry and the workerd Durable Object, get these).
// Generic over the client class on purpose: each caller passes the namespace it imported
// (built dist/ types for package imports, src/ types in workerd), and they must all fit.
import type { Logger } from '../../src/index.js';

/** Where the bot connects: the fake gateway's OpenAPI host and credentials. */
export interface BotEnv {
  openApiHost: string;
  clientId: string;
  clientSecret: string;
}

/** The package namespace as imported by the runtime under test. */
export interface ConformanceSdk<C> {
  DingTalkStreamClient: new (options: never) => C;
  TOPIC_ROBOT: string;
  TOPIC_CARD: string;
}

export interface ConformanceBotOptions {
  logger?: Logger;
  /** Where READY / OPEN_MS / STOPPED lines go (default `console.log`). */
  print?: (line: string) => void;
}

/**
 * The conformance client: echo chatbot replies, card echo, SUCCESS for events.
 *
 * @example
 * ```ts
 * const client = createConformanceBot(sdk, env);
 * ```
 */
export function createConformanceBot<C>(sdk: ConformanceSdk<C>, env: BotEnv, options?: ConformanceBotOptions): C;

/**
 * Starts the bot, prints `OPEN_MS=…` and `READY`.
 *
 * @example
 * ```ts
 * const bot = await startConformanceBot(sdk, env);
 * ```
 */
export function startConformanceBot<C>(sdk: ConformanceSdk<C>, env: BotEnv, options?: ConformanceBotOptions): Promise<{ client: C; stop(): Promise<void> }>;
