/**
 * A console-shaped logger. Pass `console`, pino, or anything with these four methods.
 *
 * @example
 * ```ts
 * new DingTalkStreamClient({ clientId, clientSecret, logger: console, logLevel: 'debug' });
 * ```
 */
export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/**
 * Levels from the most to the least verbose; `'silent'` turns everything off.
 *
 * @example
 * ```ts
 * const level: LogLevel = 'warn';
 * ```
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/**
 * Remembers the secrets of one client (clientSecret, tickets, access tokens) and scrubs
 * them from any text before it reaches a log line or an error message. A second line of
 * defence: the code never puts a secret into a message on purpose.
 *
 * @example
 * ```ts
 * const r = new Redactor(); r.add('s3cret');
 * r.scrub('secret is s3cret'); // 'secret is ***'
 * ```
 */
export class Redactor {
  // arrays of their exact length, copied on change: a client holds one or two of each, and an
  // empty Set costs ~150 bytes (this is per client, and a process may host thousands)
  /** Credentials (clientSecret, proxy password): kept for the client's life. */
  #permanent: string[] = [];
  /** Tickets and tokens: the newest 64 (newest first), since they expire and are replaced. */
  #recent: string[] = [];
  /**
   * Registers a value that must never be printed. Short values are ignored (they would mangle
   * text). `permanent` for credentials, which must never be evicted (each is added once); tickets
   * and tokens are kept in a bounded list (each lives minutes to hours and is replaced by the next).
   */
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

/**
 * Formats a log argument as text (an error with its stack, which starts with its name and
 * message). Never throws: a value whose `String()` throws (e.g. `Object.create(null)`, thrown
 * by a handler) must not turn logging into a second failure.
 */
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
 * Wraps a user logger: drops calls below `level` before any formatting work, scrubs
 * every secret the {@link Redactor} knows from the text, and never throws. Arguments are flattened to
 * strings so no object holding a secret can slip through by reference.
 *
 * @example
 * ```ts
 * const log = createLogger(console, 'info', new Redactor());
 * log.debug('not printed');
 * ```
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
