/**
 * Start-up timings of the bots, for the runtime notes (never asserted: speed is a benchmark,
 * not a test). Set CONFORMANCE_TIMINGS=<file> to get one JSON line per runtime appended.
 */
import { appendFileSync } from 'node:fs';
import type { RunningBot } from './launch.js';

/**
 * Appends `{ runtime, readyMs, openMs }` to $CONFORMANCE_TIMINGS when it is set.
 *
 * @example
 * ```ts
 * conformanceSuite('bun', launchBun, { onReady: (bot) => recordTiming('bun', bot) });
 * ```
 */
export function recordTiming(runtime: string, bot: RunningBot): void {
  const file = process.env.CONFORMANCE_TIMINGS;
  if (file) appendFileSync(file, `${JSON.stringify({ runtime, readyMs: bot.readyMs, openMs: bot.openMs })}\n`);
}
