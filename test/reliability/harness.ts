import { appendFileSync } from 'node:fs';
import { afterEach, expect } from 'vitest';
import type { StreamMessage } from '../../adapters/node.js';
import type { FakeDingTalkGateway } from '../../src/testing/index.js';
import type { CapturingLogger } from '../helpers/setup.js';

/**
 * One row of docs/RELIABILITY.md. Written when RELIABILITY_FIGURES names a file
 * (test/reliability/report.mjs sets it); the assertions run either way.
 */
export interface Figure {
  scenario: string;
  sent: number;
  lost: number;
  duplicates: number;
  reconnectMedianMs?: number;
  reconnectWorstMs?: number;
  peakConnections: number;
  notes?: string;
}

export function record(figure: Figure): void {
  const file = process.env.RELIABILITY_FIGURES;
  if (file) appendFileSync(file, `${JSON.stringify(figure)}\n`);
}

/**
 * The two redelivery models every traffic scenario runs under: production's (an unacked frame
 * comes again after the ack timeout under a NEW messageId with the same msgId/eventId, a few
 * times: protocol.md §10.1) and the fake's older one (the same messageId again, unbounded).
 */
export const MODELS = [
  { redelivery: 'new-message-id', label: 'production redelivery: new messageId' },
  { redelivery: 'same-message-id', label: 'same-messageId redelivery' },
] as const;

/**
 * Counts what handlers saw, per push: a redelivery under a new messageId is mapped back to the
 * push it repeats, so one push handled twice counts as a duplicate whatever its messageIds.
 */
export class Tally {
  readonly sent: string[] = [];
  readonly handled = new Map<string, number>();
  constructor(private readonly gw: FakeDingTalkGateway) {}
  readonly handler = (message: StreamMessage): null => {
    const push = this.gw.pushOf(message.messageId)?.messageId ?? message.messageId;
    this.handled.set(push, (this.handled.get(push) ?? 0) + 1);
    return null;
  };
  /** Sent but never handed to a handler, or never acked with success (in time) at the gateway. */
  lost(): number {
    const unacked = new Set(this.gw.unacked);
    return this.sent.filter((id) => !this.handled.has(id) || unacked.has(id)).length;
  }
  /** Handed to a handler more than once. */
  get duplicates(): number {
    let n = 0;
    for (const count of this.handled.values()) n += count - 1;
    return n;
  }
  get handledCount(): number {
    return this.handled.size;
  }
  /** Deliveries beyond the first, over every push sent: how often the gateway had to redeliver. */
  redeliveries(): number {
    return this.sent.reduce((n, id) => n + Math.max(0, (this.gw.pushOf(id)?.deliveries.filter((d) => d.sentAt !== null).length ?? 1) - 1), 0);
  }
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};

/**
 * Longest stretch (ms) between the first open and `until` with no open socket at all, and
 * with no socket the gateway would push on (open and not sent `disconnect`).
 */
export function gaps(gw: FakeDingTalkGateway, until = Date.now()): { anySocket: number; usable: number } {
  const measure = (end: (c: (typeof gw.connections)[number]) => number) => {
    const spans = gw.connections.map((c) => [c.openedAt, Math.min(end(c), until)] as const).sort((a, b) => a[0] - b[0]);
    let worst = 0;
    let covered = spans[0]?.[0] ?? until;
    for (const [start, stop] of spans) {
      if (start > covered) worst = Math.max(worst, start - covered);
      covered = Math.max(covered, stop);
    }
    return Math.max(worst, until - covered);
  };
  return {
    anySocket: measure((c) => c.closedAt ?? Infinity),
    usable: measure((c) => c.goingAwayAt ?? c.closedAt ?? Infinity),
  };
}

/** Every gateway, logger and error of a test, scanned for secrets after it (at debug level). */
const watched: Array<{ gw: FakeDingTalkGateway; log?: CapturingLogger; errors?: unknown[] }> = [];
export function watch(gw: FakeDingTalkGateway, log?: CapturingLogger, errors?: unknown[]): void {
  watched.push({ gw, log, errors });
}

const allOutput: string[] = [];
/** Everything the suite logged so far (for the suite-wide secret scan). */
export const capturedOutput = (): readonly string[] => allOutput;

afterEach(() => {
  for (const { gw, log, errors } of watched.splice(0)) {
    const secrets = [gw.clientSecret, ...gw.connections.map((c) => c.ticket)];
    const text = [
      ...(log?.lines ?? []),
      ...(errors ?? []).map((e) => (e instanceof Error ? `${e.name} ${e.message} ${String((e as { cause?: unknown }).cause ?? '')}` : String(e))),
    ];
    allOutput.push(...text);
    for (const line of text) for (const secret of secrets) expect(line, 'a secret leaked into output').not.toContain(secret);
  }
});

export { expect };
