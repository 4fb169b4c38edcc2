/**
 * Timings of the bots, for the runtime notes (never asserted: speed is a benchmark, not a
 * test). Set CONFORMANCE_TIMINGS=<file> to get JSON lines appended: one per runtime with its
 * start-up, and one with the ack latency of a slow chatbot message.
 */
import { appendFileSync } from 'node:fs';
import type { RunningBot } from './launch.js';

function append(record: Record<string, unknown>): void {
  const file = process.env.CONFORMANCE_TIMINGS;
  if (file) appendFileSync(file, `${JSON.stringify(record)}\n`);
}

/**
 * Appends `{ runtime, readyMs, openMs }` to $CONFORMANCE_TIMINGS when it is set.
 *
 * @example
 * ```ts
 * recordTiming('bun', bot);
 * ```
 */
export function recordTiming(runtime: string, bot: RunningBot): void {
  append({ runtime, readyMs: bot.readyMs, openMs: bot.openMs });
}

/**
 * Appends `{ runtime, ackMs }`: from the fake pushing a chatbot message whose handler takes
 * 10 s to the fake receiving its ack (issue 11's target: within 100 ms).
 *
 * @example
 * ```ts
 * recordAckLatency('bun', 3);
 * ```
 */
export function recordAckLatency(runtime: string, ackMs: number): void {
  append({ runtime, ackMs });
}
