/**
 * How the fake gateway redelivers: one record per push, every delivery of it (the first and
 * each redelivery, with its messageId and time), and the ack timers that decide redelivery.
 *
 * The production rules (`../shared/protocol.md` §10.1):
 * - The gateway pushes a frame and waits about 2 s for its ack; an unacked frame is
 *   redelivered at-least-once, and each redelivery carries a NEW `headers.messageId` while
 *   the business id stays: `data.msgId` for chatbot messages, `headers.eventId` for events
 *   (DingTalk-Real-AI/dingtalk-channel-sdk-nodejs `SPEC.md` §2.2, which cites the gateway's
 *   server-side source).
 * - Chatbot messages are redelivered too; user logs show the copies arriving under new ids
 *   (soimy/openclaw-channel-dingtalk#390 and PR #392, DingTalk-Real-AI/dingtalk-openclaw-connector#26
 *   and #302, agentscope-ai/QwenPaw#85).
 * - An ack with another code than 200, or an EVENT ack with `status: LATER`, asks for a
 *   redelivery (devpedia: LATER = "the server should redeliver"; go acks LATER with 500).
 * - The gateway sends each frame as a unary request: an ack that comes after the timeout
 *   answers a request it no longer waits for, so it does not stop the redelivery.
 * - How many times production redelivers is undocumented (protocol.md §3.4: "No source
 *   documents a maximum retry count"); the fake stops after `maxRedeliveries` (default 3).
 *
 * The older model of this fake (the same messageId again, unbounded, any success ack at any
 * time settles the push) stays available as `redelivery: 'same-message-id'`.
 */
import type { RecordedAck } from './gateway.js';
import { newMessageId } from './samples.js';

/**
 * A frame as the fake pushes it (`data` is the JSON string of the payload).
 *
 * @example
 * ```ts
 * const frame: PushedFrame = { specVersion: '1.0', type: 'EVENT', headers: { topic: '*', messageId: 'm1' }, data: '{}' };
 * ```
 */
export interface PushedFrame {
  specVersion: string;
  type: string;
  headers: Record<string, string>;
  data: string;
}

/**
 * How the fake redelivers an unacked frame: `'new-message-id'` like production (the default),
 * or `'same-message-id'`, the fake's older model that no DingTalk behaves like.
 *
 * @example
 * ```ts
 * new FakeDingTalkGateway({ redelivery: 'same-message-id', redeliverAfterMs: 60_000 });
 * ```
 */
export type RedeliveryModel = 'new-message-id' | 'same-message-id';

/**
 * One delivery of a push: the first one or a redelivery.
 *
 * @example
 * ```ts
 * const [first, again] = gateway.pushOf(id)!.deliveries;
 * again!.messageId !== first!.messageId; // production: a redelivery has a new messageId
 * ```
 */
export interface Delivery {
  messageId: string;
  /** When it went out on a socket; null while it waits in the queue for a usable connection. */
  sentAt: number | null;
  connectionId: number | null;
  /** The first ack received for this delivery. */
  ack?: RecordedAck;
  /** The ack came after the ack timeout: the gateway had stopped waiting and redelivered. */
  late?: boolean;
}

/**
 * Everything that happened to one push (an EVENT or CALLBACK the fake was asked to send):
 * its original messageId (what `pushCallback`/`pushEvent` returned), the business id, and
 * every delivery with its messageId and time.
 *
 * @example
 * ```ts
 * const push = gateway.pushOf(id)!;
 * push.deliveries.map((d) => d.messageId); // [id, <redelivery 1>, …]
 * push.state; // 'pending' | 'acked' | 'gave-up'
 * ```
 */
export interface PushRecord {
  /** The messageId of the first delivery. */
  messageId: string;
  type: string;
  topic: string;
  /** `data.msgId` of a callback that has one (chatbot messages), `headers.eventId` of an event. */
  businessId: string | undefined;
  pushedAt: number;
  deliveries: Delivery[];
  /** `acked`: a delivery got a success ack in time; `gave-up`: `maxRedeliveries` ran out. */
  state: 'pending' | 'acked' | 'gave-up';
  /** The ack that settled the push. */
  ack?: RecordedAck;
}

/** What the ledger needs from the gateway. */
export interface LedgerOptions {
  model: RedeliveryModel;
  /** How long a delivery waits for its ack; 0 = forever (never redeliver). */
  ackTimeoutMs: number;
  maxRedeliveries: number;
  /** Sends (or queues) the frame of a redelivery. */
  redeliver: (frame: PushedFrame, push: PushRecord) => void;
  /** The push ran out of redeliveries. */
  gaveUp: (push: PushRecord) => void;
}

interface Internal {
  frame: PushedFrame;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * The records of every push and their ack timers (internal to the fake gateway).
 *
 * @example
 * ```ts
 * const ledger = new DeliveryLedger({ model: 'new-message-id', ackTimeoutMs: 2000, maxRedeliveries: 3, redeliver, gaveUp });
 * ```
 */
export class DeliveryLedger {
  readonly pushes: PushRecord[] = [];
  private readonly byMessageId = new Map<string, PushRecord>();
  private readonly internal = new Map<PushRecord, Internal>();
  private readonly expired = new WeakSet<Delivery>();

  constructor(private readonly options: LedgerOptions) {}

  /** Records a new push; its first delivery is `frame`. */
  open(frame: PushedFrame): PushRecord {
    const messageId = frame.headers.messageId ?? '';
    const push: PushRecord = {
      messageId,
      type: frame.type,
      topic: frame.headers.topic ?? '',
      businessId: businessIdOf(frame),
      pushedAt: Date.now(),
      deliveries: [{ messageId, sentAt: null, connectionId: null }],
      state: 'pending',
    };
    this.pushes.push(push);
    this.byMessageId.set(messageId, push);
    this.internal.set(push, { frame });
    return push;
  }

  /** The push that `messageId` (the first delivery's or a redelivery's) belongs to. */
  get(messageId: string): PushRecord | undefined {
    return this.byMessageId.get(messageId);
  }

  /** The frame with `messageId` left on a connection (or was swallowed by a silent one): its ack window starts. */
  sent(messageId: string, connectionId: number): void {
    const push = this.byMessageId.get(messageId);
    const delivery = push && lastOf(push.deliveries, (d) => d.messageId === messageId && d.sentAt === null);
    if (!push || !delivery) return;
    delivery.sentAt = Date.now();
    delivery.connectionId = connectionId;
    const state = this.internal.get(push)!;
    if (push.state !== 'pending' || this.options.ackTimeoutMs <= 0) return;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => this.expire(push, delivery), this.options.ackTimeoutMs);
  }

  /** Applies an ack to the push it answers. */
  ack(ack: RecordedAck): void {
    const messageId = ack.headers.messageId ?? '';
    const push = this.byMessageId.get(messageId);
    const delivery = push && lastOf(push.deliveries, (d) => d.messageId === messageId && d.sentAt !== null);
    if (!push || !delivery) return;
    const first = !delivery.ack;
    if (first) {
      delivery.ack = ack;
      if (this.expired.has(delivery)) delivery.late = true;
    }
    if (push.state !== 'pending' || !isSuccess(ack)) return;
    // same-message-id: any success settles, whenever it comes (the fake's older model);
    // production: only the first answer to a delivery still waited for counts
    if (this.options.model === 'new-message-id' && (!first || delivery.late)) return;
    this.settle(push, 'acked', ack);
  }

  /** Original messageIds of pushes not acked with success (pending, or given up). */
  unacked(): string[] {
    return this.pushes.filter((p) => p.state !== 'acked').map((p) => p.messageId);
  }

  /** How many frames carrying `businessId` went out, over every push of it. */
  deliveryCount(businessId: string): number {
    return this.pushes.filter((p) => p.businessId === businessId).reduce((n, p) => n + p.deliveries.filter((d) => d.sentAt !== null).length, 0);
  }

  /** Forgets settled pushes beyond the newest `keep` (a long simulator session must not grow). */
  forget(keep: number): void {
    const excess = this.pushes.length - keep;
    if (excess <= 0) return;
    const dropped = new Set(this.pushes.slice(0, excess).filter((p) => p.state !== 'pending'));
    for (const push of dropped) {
      for (const d of push.deliveries) this.byMessageId.delete(d.messageId);
      this.internal.delete(push);
    }
    const kept = this.pushes.filter((p) => !dropped.has(p));
    this.pushes.splice(0, this.pushes.length, ...kept);
  }

  /** Stops every ack timer. */
  close(): void {
    for (const state of this.internal.values()) clearTimeout(state.timer);
  }

  /** A delivery's ack window ended without a success: redeliver, or give up. */
  private expire(push: PushRecord, delivery: Delivery): void {
    this.expired.add(delivery);
    if (push.state !== 'pending') return;
    if (push.deliveries.length - 1 >= this.options.maxRedeliveries) return this.settle(push, 'gave-up');
    const state = this.internal.get(push)!;
    const messageId = this.options.model === 'new-message-id' ? newMessageId() : push.messageId;
    const frame: PushedFrame = messageId === push.messageId ? state.frame : { ...state.frame, headers: { ...state.frame.headers, messageId } };
    push.deliveries.push({ messageId, sentAt: null, connectionId: null });
    this.byMessageId.set(messageId, push);
    this.options.redeliver(frame, push);
  }

  private settle(push: PushRecord, state: 'acked' | 'gave-up', ack?: RecordedAck): void {
    push.state = state;
    push.ack = ack;
    clearTimeout(this.internal.get(push)?.timer);
    if (state === 'gave-up') this.options.gaveUp(push);
  }
}

/** 200 and not LATER: the gateway stops redelivering. */
function isSuccess(ack: RecordedAck): boolean {
  if (ack.code !== 200) return false;
  try {
    return (JSON.parse(ack.data) as { status?: string } | null)?.status !== 'LATER';
  } catch {
    return true; // not JSON: a 200 all the same
  }
}

/** The latest delivery that matches (same-message-id repeats a messageId). */
function lastOf(deliveries: Delivery[], match: (d: Delivery) => boolean): Delivery | undefined {
  for (let i = deliveries.length - 1; i >= 0; i--) if (match(deliveries[i]!)) return deliveries[i];
  return undefined;
}

function businessIdOf(frame: PushedFrame): string | undefined {
  if (frame.type === 'EVENT') return frame.headers.eventId;
  try {
    const msgId = (JSON.parse(frame.data) as { msgId?: unknown } | null)?.msgId;
    return typeof msgId === 'string' ? msgId : undefined;
  } catch {
    return undefined;
  }
}
