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
 * Builds the ACK text frame: `{code, headers: {contentType, messageId}, message, data}`,
 * `data` always a JSON string.
 *
 * @example
 * ```ts
 * ackFrame('m1', 200, 'OK', '{"response":null}');
 * ```
 */
export function ackFrame(messageId: string, code: number, message: string, data: string): string {
  // the bytes JSON.stringify would give, without building an object per ack
  return `{"code":${code},"headers":{"contentType":"application/json","messageId":${JSON.stringify(messageId)}},"message":${JSON.stringify(message)},"data":${JSON.stringify(data)}}`;
}

/**
 * ACK for a SYSTEM `ping`: code 200 with the request's `data` echoed verbatim.
 *
 * @example
 * ```ts
 * pingAck('m1', '{"opaque":"x"}');
 * ```
 */
export function pingAck(messageId: string, rawData: string): string {
  return ackFrame(messageId, 200, 'OK', rawData);
}

/**
 * ACK for an EVENT: code 200 with `{"status":"SUCCESS"|"LATER","message":…}` (java's and the
 * devpedia's shape; LATER asks the gateway to redeliver).
 *
 * @example
 * ```ts
 * eventAck('m1', 'SUCCESS');
 * ```
 */
export function eventAck(messageId: string, status: EventStatus, message = status === 'SUCCESS' ? 'success' : 'later'): string {
  return ackFrame(messageId, 200, 'OK', JSON.stringify({ status, message }));
}

/**
 * ACK for a CALLBACK: `{"response": value}`; code 500 when the handler failed.
 *
 * @example
 * ```ts
 * callbackAck('m1', { cardData: { cardParamMap: { ok: 'true' } } });
 * ```
 */
export function callbackAck(messageId: string, response: unknown, code = 200): string {
  return ackFrame(messageId, code, code === 200 ? 'OK' : 'handler error', response == null ? '{"response":null}' : JSON.stringify({ response }));
}
