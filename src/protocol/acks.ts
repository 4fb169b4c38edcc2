/**
 * The `status` an EVENT handler reports: `SUCCESS` (consumed) or `LATER` (redeliver).
 *
 * @example
 * ```ts
 * client.registerAllEventHandler(async () => 'LATER' satisfies EventStatus);
 * ```
 */
export type EventStatus = 'SUCCESS' | 'LATER';

/**
 * An ack without its messageId: the JSON text `{"code":…,"message":…,"data":…` up to the
 * headers. The gateway redelivers under a new messageId (protocol.md §10.1), so dedup keeps
 * outcomes, and {@link ackFrame} addresses one to whichever delivery is being answered.
 *
 * @example
 * ```ts
 * const o: Outcome = outcome(200, 'OK', '{"response":null}');
 * ```
 */
export type Outcome = string;

/**
 * Builds an {@link Outcome}; `data` is always a JSON string.
 *
 * @example
 * ```ts
 * outcome(404, 'no handler', '{}');
 * ```
 */
export function outcome(code: number, message: string, data: string): Outcome {
  // the bytes JSON.stringify would give, without building an object per ack
  return `{"code":${code},"message":${JSON.stringify(message)},"data":${JSON.stringify(data)}`;
}

/**
 * The ACK text frame for `messageId`: `{code, message, data, headers: {contentType, messageId}}`.
 *
 * @example
 * ```ts
 * ackFrame('m1', outcome(200, 'OK', '{"response":null}'));
 * ```
 */
export function ackFrame(messageId: string, result: Outcome): string {
  return `${result},"headers":{"contentType":"application/json","messageId":${JSON.stringify(messageId)}}}`;
}

/**
 * An EVENT's outcome: code 200 with `{"status":"SUCCESS"|"LATER","message":…}` (java's and
 * the devpedia's shape; LATER asks the gateway to redeliver).
 *
 * @example
 * ```ts
 * eventOutcome('SUCCESS');
 * ```
 */
export function eventOutcome(status: EventStatus, message = status === 'SUCCESS' ? 'success' : 'later'): Outcome {
  return outcome(200, 'OK', JSON.stringify({ status, message }));
}

/**
 * A CALLBACK's outcome: `{"response": value}`; code 500 when the handler failed.
 *
 * @example
 * ```ts
 * callbackOutcome({ cardData: { cardParamMap: { ok: 'true' } } });
 * ```
 */
export function callbackOutcome(response: unknown, code = 200): Outcome {
  if (response == null && code === 200) return ACKED; // every chatbot ack: built once
  return outcome(code, code === 200 ? 'OK' : 'handler error', response == null ? '{"response":null}' : JSON.stringify({ response }));
}

const ACKED = outcome(200, 'OK', '{"response":null}');
