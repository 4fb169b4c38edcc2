import { callbackOutcome, eventOutcome, outcome, type Outcome } from '../protocol/acks.js';
import type { Frame, FrameType } from '../protocol/frames.js';
import type { AckMode } from './message.js';
import { payloadKey } from './dedup.js';

/**
 * What happened to a delivery: received and admitted, its handler's end (`handled` with a
 * value, `threw`, `timedOut`), refused (`busy`: its sequence's queue is full; `overflow`: no
 * slot and no room; `stopped`: dropped by stop()), skipped (`stale`, `duplicate` of a done
 * key, `inFlight` duplicate, `doneElsewhere` / `pendingElsewhere` in the shared store), or
 * not routable (`unknownTopic`, `poison`).
 */
export type Verdict =
  | 'received' | 'handled' | 'threw' | 'timedOut' | 'busy' | 'overflow' | 'stopped'
  | 'stale' | 'duplicate' | 'inFlight' | 'doneElsewhere' | 'pendingElsewhere' | 'unknownTopic' | 'poison';

/** What dedup does with the key: `remember` the ack (ends delivery), `forget` it (a redelivery is handled afresh), or `keep` what it holds. */
export type DedupEffect = 'remember' | 'forget' | 'keep';

/** The ack a cell sends: `result` is the handler's value (a callback's answer, an event's status); `given` the outcome passed in (a stored one, a ping's echo). */
type Ack = 'none' | 'ok' | 'later' | 'failed' | 'result' | 'given' | 'badFrame' | 'noHandler';
type Cell = `${Ack} ${DedupEffect}`;

/**
 * The ack policy, the one place an outcome is chosen. Columns: CALLBACK acked after the
 * handler, CALLBACK acked on receipt (chatbot messages), EVENT after, EVENT on receipt,
 * SYSTEM. The gateway redelivers what is not acked within ~2 s under a new messageId
 * (protocol.md §10.1), so an unacked refusal (`none forget`) and LATER both mean "again
 * later", and only an outcome that ends delivery is remembered.
 */
const TABLE: Record<Verdict, readonly [Cell, Cell, Cell, Cell, Cell]> = {
  //                 CALLBACK after      CALLBACK immediate   EVENT after          EVENT immediate      SYSTEM
  received: /*    */ ['none keep',       'ok remember',       'none keep',         'ok remember',       'given keep'],
  handled: /*     */ ['result remember', 'none keep',         'result remember',   'none keep',         'none keep'],
  threw: /*       */ ['failed forget',   'none keep',         'later forget',      'none keep',         'none keep'],
  timedOut: /*    */ ['ok remember',     'none keep',         'later forget',      'none keep',         'none keep'],
  busy: /*        */ ['none forget',     'ok remember',       'later forget',      'later forget',      'none keep'],
  overflow: /*    */ ['none forget',     'none forget',       'later forget',      'later forget',      'none keep'],
  stopped: /*     */ ['none forget',     'none forget',       'none forget',       'none forget',       'none keep'],
  stale: /*       */ ['ok remember',     'ok remember',       'ok remember',       'ok remember',       'none keep'],
  duplicate: /*   */ ['given keep',      'given keep',        'given keep',        'given keep',        'none keep'],
  inFlight: /*    */ ['none keep',       'none keep',         'none keep',         'none keep',         'none keep'],
  doneElsewhere: /**/ ['given remember', 'given remember',    'given remember',    'given remember',    'none keep'],
  pendingElsewhere: ['none forget',      'ok forget',         'later forget',      'ok forget',         'none keep'],
  unknownTopic: /**/ ['noHandler keep',  'noHandler keep',    'noHandler keep',    'noHandler keep',    'none keep'],
  poison: /*      */ ['badFrame keep',   'badFrame keep',     'badFrame keep',     'badFrame keep',     'none keep'],
};

/**
 * The decision for one cell: the ack to send now (`undefined`: none), what dedup does, and,
 * when the handler's answer could not be sent (not JSON, or larger than `maxSize`), why: the
 * ack is then a failure and the key forgotten.
 *
 * @example
 * ```ts
 * decide('EVENT', 'after', 'threw'); // { ack: '{"code":200,…"LATER"…', dedup: 'forget' }
 * ```
 */
export interface Decision {
  ack: Outcome | undefined;
  dedup: DedupEffect;
  invalid?: string;
}

/**
 * Decides the ack and the dedup effect for a delivery of `type`, registered with `mode`, to
 * which `verdict` happened; `value` is the handler's result (`handled`) or the outcome to
 * send (`duplicate`, `doneElsewhere`, SYSTEM's echo data). Pure.
 *
 * @example
 * ```ts
 * decide('CALLBACK', 'after', 'handled', { cardData: {} }).ack; // '{"code":200,"message":"OK","data":"{\"response\":…'
 * ```
 */
export function decide(type: FrameType, mode: AckMode, verdict: Verdict, value?: unknown, maxSize = Infinity): Decision {
  const column = type === 'SYSTEM' ? 4 : (type === 'EVENT' ? 2 : 0) + (mode === 'immediate' ? 1 : 0);
  const cell = CELLS[verdict][column]!;
  if (!Array.isArray(cell)) return cell;
  const [ack, dedup] = cell;
  if (ack === 'given') return { ack: type === 'SYSTEM' ? outcome(200, 'OK', value as string) : (value as Outcome), dedup };
  if (type === 'EVENT') {
    // an event's status: 'LATER' or { status: 'LATER', message } asks for a redelivery
    const { status, message } = (typeof value === 'object' && value ? value : { status: value }) as { status?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : undefined;
    return status === 'LATER' ? { ack: eventOutcome('LATER', text), dedup: 'forget' } : { ack: eventOutcome('SUCCESS', text), dedup };
  }
  let answer: Outcome | undefined;
  let invalid: string;
  try {
    answer = callbackOutcome(value);
    invalid = answer.length > maxSize ? `it is ${answer.length} characters, over maxFrameSize` : '';
  } catch (err) {
    invalid = `it cannot be sent as JSON (${err instanceof Error ? err.message : 'unknown error'})`;
  }
  return invalid ? { ...decide(type, mode, 'threw'), invalid } : { ack: answer, dedup };
}

// The cells with a fixed ack, built once (shared, never changed); `result` and `given` are built per call.
const CELLS = {} as Record<Verdict, Array<Decision | [Ack, DedupEffect]>>;
for (const verdict in TABLE) {
  CELLS[verdict as Verdict] = TABLE[verdict as Verdict].map((cell, column) => {
    const [ack, dedup] = cell.split(' ') as [Ack, DedupEffect];
    const fixed: Partial<Record<Ack, Outcome>> = {
      ok: column === 2 || column === 3 ? eventOutcome('SUCCESS') : callbackOutcome(null),
      later: eventOutcome('LATER'),
      failed: callbackOutcome(null, 500),
      badFrame: outcome(400, 'bad frame', '{}'),
      noHandler: outcome(404, 'no handler', '{}'),
    };
    return ack === 'result' || ack === 'given' ? [ack, dedup] : { ack: fixed[ack], dedup };
  });
}

/**
 * The dedup key of a delivery: its business id, what a redelivery under a new messageId
 * keeps (`msg:<msgId>` of a chatbot message, `evt:<eventId>` of an event), else for a callback
 * acked after its handler the payload itself (card callbacks and graph calls carry no
 * business id: see dedup.ts), else the messageId.
 *
 * @example
 * ```ts
 * dedupKey(frame, true, 'immediate'); // 'msg:msgA1'
 * ```
 */
export function dedupKey(frame: Frame, chatbot: boolean, mode: AckMode): string {
  const { headers } = frame;
  if (frame.type === 'EVENT') return headers.eventId ? `evt:${headers.eventId}` : headers.messageId!;
  const msgId = chatbot ? (frame.data as { msgId?: unknown } | null)?.msgId : undefined;
  if (typeof msgId === 'string' && msgId) return `msg:${msgId}`;
  return chatbot || mode === 'immediate' ? headers.messageId! : payloadKey(headers.topic, frame.rawData);
}

/**
 * A chatbot message whose `createAt` is more than `staleAfterMs` old (a backlog after an
 * outage) is acked and skipped, as the DingTalk team's channel SDK does; 0 turns it off.
 *
 * @example
 * ```ts
 * isStale(frame, 30 * 60_000); // true for a message sent an hour ago
 * ```
 */
export function isStale(frame: Frame, staleAfterMs: number): boolean {
  const createAt = (frame.data as { createAt?: unknown } | null)?.createAt;
  return staleAfterMs > 0 && typeof createAt === 'number' && Date.now() - createAt > staleAfterMs;
}
