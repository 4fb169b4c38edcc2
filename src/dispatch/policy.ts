import { callbackOutcome, eventOutcome, outcome, type Outcome } from '../protocol/acks.js';
import type { Frame, FrameType } from '../protocol/frames.js';
import type { AckMode } from './message.js';
import { payloadKey } from './dedup.js';

/**
 * What happened to a delivery: admitted; its handler's end; refused (`busy`: its sequence is full, `overflow`: no slot nor room, `stopped`); skipped (stale, a
 * duplicate of a key done or in flight here or in the shared store); not routable (`unknownTopic`, `poison`).
 */
export type Verdict =
  | 'received' | 'handled' | 'threw' | 'timedOut' | 'busy' | 'overflow' | 'stopped'
  | 'stale' | 'duplicate' | 'inFlight' | 'doneElsewhere' | 'pendingElsewhere' | 'unknownTopic' | 'poison';
/** What dedup does with the key: `remember` the ack (ends delivery), `forget` it (a redelivery is handled afresh), or `keep` what it holds. */
export type DedupEffect = 'remember' | 'forget' | 'keep';
/**
 * The ack policy, the one place an outcome is chosen. One row per verdict, one cell per column: CALLBACK acked after its handler, CALLBACK acked on receipt
 * (chatbot messages), EVENT after, EVENT on receipt, SYSTEM. A cell is the ack — `n` none, `o` OK (a callback's `{"response":null}`, an event's SUCCESS), `l`
 * LATER, `f` failed (500), `r` the handler's result (a callback's answer, an event's status), `g` the outcome given (a stored one, a ping's echo), `b` bad
 * frame (400), `u` no handler (404) — and what dedup does: `+` remember, `-` forget, `=` keep. The gateway redelivers what is not acked within ~2 s under a new
 * messageId (protocol.md §10.1), so an unacked refusal (`n-`) and LATER both mean "again later", and only an ack that ends delivery is remembered.
 */
const TABLE: Record<Verdict, string> = {
  //                  C-after, C-receipt, E-after, E-receipt, SYSTEM
  received: /*     */ 'n= o+ n= o+ g=',
  handled: /*      */ 'r+ n= r+ n= n=',
  threw: /*        */ 'f- n= l- n= n=',
  timedOut: /*     */ 'o+ n= l- n= n=',
  busy: /*         */ 'n- o+ l- l- n=',
  overflow: /*     */ 'n- n- l- l- n=',
  stopped: /*      */ 'n- n- n- n- n=',
  stale: /*        */ 'o+ o+ o+ o+ n=',
  duplicate: /*    */ 'g= g= g= g= n=',
  inFlight: /*     */ 'n= n= n= n= n=',
  doneElsewhere: /**/ 'g+ g+ g+ g+ n=',
  pendingElsewhere: 'n- o- l- o- n=',
  unknownTopic: /* */ 'u= u= u= u= n=',
  poison: /*       */ 'b= b= b= b= n=',
};
const EFFECT: Record<string, DedupEffect> = { '+': 'remember', '-': 'forget', '=': 'keep' };
const OK_CALLBACK = callbackOutcome(null);
const OK_EVENT = eventOutcome('SUCCESS');
const LATER = eventOutcome('LATER');
const FIXED: Record<string, Outcome> = { f: callbackOutcome(null, 500), b: outcome(400, 'bad frame', '{}'), u: outcome(404, 'no handler', '{}') };
/** The ack to send now (`undefined`: none), what dedup does, and why the handler's answer could not be sent (then a failure). */
export type Decision = { ack: Outcome | undefined; dedup: DedupEffect; invalid?: string };
/**
 * The cell of (`type`, `mode`, `verdict`): `value` is the handler's result (`handled`) or the outcome to send (`g`: a stored ack, a ping's data); an answer
 * over `maxSize` is not sent. Pure.
 */
export function decide(type: FrameType, mode: AckMode, verdict: Verdict, value?: unknown, maxSize = Infinity): Decision {
  const event = type === 'EVENT';
  const at = 3 * (type === 'SYSTEM' ? 4 : (event ? 2 : 0) + (mode === 'immediate' ? 1 : 0));
  const ack = TABLE[verdict][at]!;
  const dedup = EFFECT[TABLE[verdict][at + 1]!]!;
  if (ack === 'o') return { ack: event ? OK_EVENT : OK_CALLBACK, dedup };
  if (ack === 'l') return { ack: LATER, dedup };
  if (ack === 'g') return { ack: type === 'SYSTEM' ? outcome(200, 'OK', value as string) : (value as Outcome), dedup };
  if (ack !== 'r') return { ack: FIXED[ack], dedup }; // `n`: none
  if (event) {
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
/**
 * The dedup key: the business id a redelivery keeps (`msg:<msgId>`, `evt:<eventId>`), else for a callback acked after its handler the payload (see
 * `payloadKey`), else the messageId.
 */
export function dedupKey(frame: Frame, chatbot: boolean, mode: AckMode): string {
  const { headers } = frame;
  if (frame.type === 'EVENT') return headers.eventId ? `evt:${headers.eventId}` : headers.messageId!;
  const msgId = chatbot ? (frame.data as { msgId?: unknown } | null)?.msgId : undefined;
  if (typeof msgId === 'string' && msgId) return `msg:${msgId}`;
  return chatbot || mode === 'immediate' ? headers.messageId! : payloadKey(headers.topic, frame.rawData);
}
/** A chatbot message older than `staleAfterMs` (a backlog after an outage; 0: off) is acked and skipped, as the channel SDK does. */
export function isStale(frame: Frame, staleAfterMs: number): boolean {
  const createAt = (frame.data as { createAt?: unknown } | null)?.createAt;
  return staleAfterMs > 0 && typeof createAt === 'number' && Date.now() - createAt > staleAfterMs;
}
