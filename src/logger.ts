/**
 * A console-shaped logger. Pass `console`, pino, or anything with these four methods.
 * @example `new DingTalkStreamClient({ clientId, clientSecret, logger: console, logLevel: 'debug' });`
 */
export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}
/** Levels from the most to the least verbose; `'silent'` turns everything off. @example `const level: LogLevel = 'warn';` */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };
/** The secrets of one client (clientSecret, tickets, tokens), scrubbed from any text before a log line or an error: a second line of defence. */
export class Redactor {
  // arrays of their exact length, copied on change: an empty Set costs ~150 bytes per client
  #permanent: string[] = [];
  /** Tickets and tokens: the newest 64 (they expire and are replaced). */ #recent: string[] = [];
  /** Registers a value never to print (ignored when short); `permanent` for credentials, which are never evicted. */
  add(secret: string | undefined, permanent = false): void {
    if (!secret || secret.length < 6) return;
    if (permanent) this.#permanent = this.#permanent.concat(secret);
    else if (!this.#recent.includes(secret)) this.#recent = [secret].concat(this.#recent.slice(0, 63));
  }
  scrub(text: string): string {
    let out = text.replace(/([?&](?:ticket|access_token|session)=)[^&\s"']+/gi, '$1***');
    for (const s of this.#permanent.concat(this.#recent)) if (out.includes(s)) out = out.split(s).join('***');
    return out;
  }
}
/** A log argument as text (an error with its stack); never throws, whatever a handler threw. */
const describe = (arg: unknown): string => {
  try {
    return arg instanceof Error ? arg.stack || `${arg.name}: ${arg.message}` : String(arg);
  } catch {
    return `[unprintable ${typeof arg}]`;
  }
};
/** Every level that is off: one function for all loggers. */
const noop = () => {};
/**
 * Wraps a user logger: drops calls below `level` before any formatting, flattens arguments to text (no object holding a secret slips through by reference),
 * scrubs every secret the {@link Redactor} knows, and never throws.
 */
export function createLogger(target: Logger | undefined, level: LogLevel, redactor: Redactor): Logger {
  const min = rank[level];
  const make = (name: keyof Logger) => {
    if (!target || rank[name] < min) return noop;
    return (message: string, ...args: unknown[]) => {
      const text = args.length ? `${message} ${args.map(describe).join(' ')}` : message;
      try {
        target[name](redactor.scrub(`[dingtalk-stream] ${text}`));
      } catch {
        /* a logger that throws must not break the path of a frame (an ack would be lost) */
      }
    };
  };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}
