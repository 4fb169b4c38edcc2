/** The `status` an EVENT handler reports: `SUCCESS` (consumed) or `LATER` (redeliver). @example `client.registerAllEventHandler(async () => 'LATER' satisfies EventStatus);` */
export type EventStatus = 'SUCCESS' | 'LATER';
/**
 * An ack without its messageId: the JSON text `{"code":…,"message":…,"data":…` up to the headers. The gateway redelivers under a new messageId (protocol.md
 * §10.1), so dedup keeps outcomes and {@link ackFrame} addresses one to whichever delivery is answered.
 */
export type Outcome = string;
/** Builds an {@link Outcome} (the bytes JSON.stringify would give, without an object per ack); `data` is a JSON string. */
export function outcome(code: number, message: string, data: string): Outcome {
  return `{"code":${code},"message":${JSON.stringify(message)},"data":${JSON.stringify(data)}`;
}
/** The ACK text frame for `messageId`: `{code, message, data, headers: {contentType, messageId}}`. */
export function ackFrame(messageId: string, result: Outcome): string {
  return `${result},"headers":{"contentType":"application/json","messageId":${JSON.stringify(messageId)}}}`;
}
/** An EVENT's outcome: `{"status":"SUCCESS"|"LATER","message":…}` (java's shape; LATER asks for a redelivery). */
export function eventOutcome(status: EventStatus, message = status === 'SUCCESS' ? 'success' : 'later'): Outcome {
  return outcome(200, 'OK', JSON.stringify({ status, message }));
}
/** A CALLBACK's outcome: `{"response": value}`, code 500 when the handler failed. Throws for a value JSON cannot carry. */
export function callbackOutcome(response: unknown, code = 200): Outcome {
  return outcome(code, code === 200 ? 'OK' : 'handler error', response == null ? '{"response":null}' : JSON.stringify({ response }));
}
