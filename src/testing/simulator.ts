import type { IncomingMessage, ServerResponse } from 'node:http';
import { foreignRequest } from './guard.js';
import { FakeDingTalkGateway, type FakeGatewayOptions, type RecordedRequest, type WireTap } from './gateway.js';
import { installFakeOpenApi, type FakeOpenApi } from './openapi.js';
import type { FakeLimits } from './openapi-limits.js';
import { SIMULATOR_PAGE, SIMULATOR_PAGE_CSP } from './page.js';
import { chatbotMessage, type ChatbotSampleQuote } from './samples.js';

/**
 * The two conversations of the simulator: a 1:1 chat with the bot and a group.
 *
 * @example
 * ```ts
 * const reply = await sim.chat('@Bot hi', { conversation: 'group' satisfies SimConversationId });
 * ```
 */
export type SimConversationId = 'single' | 'group';

/**
 * A message as the simulator's page shows it: what the user typed, or what the bot sent
 * through any channel (session webhook, robot OpenAPI, cards, AI streaming cards),
 * normalised. A card keeps its `id` (the `outTrackId`) across updates.
 *
 * @example
 * ```ts
 * const reply = await sim.waitForMessage((m) => m.from === 'bot' && m.kind === 'text');
 * reply.text; // 'Q: 1+1\nA: 2'
 * ```
 */
export interface SimMessage {
  id: string;
  conversation: SimConversationId;
  from: 'user' | 'bot' | 'system';
  sender: string;
  at: number;
  kind: 'text' | 'markdown' | 'actionCard' | 'link' | 'image' | 'file' | 'audio' | 'video' | 'card' | 'aiCard' | 'notice' | 'raw';
  /** The text; a voice message's (`audio`) speech recognition; a user's picture's caption (sent as `richText`). */
  text?: string;
  title?: string;
  mentions?: string[];
  buttons?: Array<{ id: string; text: string; url?: string }>;
  fields?: Array<[string, string]>;
  status?: 'processing' | 'inputing' | 'finished' | 'failed';
  /** User messages: false when the bot was not @-mentioned in the group (DingTalk does not deliver those). */
  delivered?: boolean;
  /** Reactions the bot put on this message (`robot/emotion/reply`), by emotion name; a recall removes one. */
  reactions?: string[];
  /** User messages: how the bot acked (`pending`, `200`, `LATER`, `500`, …). */
  ack?: string;
  /** Robot messages: the bot took it back (`api.recall`). DingTalk removes it without a notice; the page shows it greyed. */
  recalled?: boolean;
  note?: string;
  /** A picture, file or voice message the user sent: the file {@link DingTalkSimulator.upload} stored. */
  file?: SimFile;
  /** The message this one quotes (the user replied to it), as it was then. */
  quote?: Pick<SimMessage, 'id' | 'sender' | 'kind' | 'text' | 'title'>;
}

/**
 * A file the simulator holds for a user's picture, file or voice message: the fake
 * `messageFiles/download` API hands out its link for `downloadCode`.
 *
 * @example
 * ```ts
 * const sent = sim.send('', { picture: sim.upload(png, { fileName: 'cat.png', contentType: 'image/png' }) });
 * sent.file; // { downloadCode: 'dc…', name: 'cat.png', contentType: 'image/png', size: 68 }
 * ```
 */
export interface SimFile {
  downloadCode: string;
  name: string;
  contentType: string;
  size: number;
  /** A voice message's length. */
  durationMs?: number;
}

/**
 * What the user sends besides text: a quote of an earlier message, a picture, a file or a
 * voice message, each in production's payload shape (`picture`; `richText` for a picture with
 * text; `file`; `audio` with its `recognition`; a quote is a `text` message whose `text` has
 * `isReplyMsg` and `repliedMsg`). Pictures and files are {@link DingTalkSimulator.upload}ed first.
 *
 * @example
 * ```ts
 * const reply = await sim.chat('what does this say?', { quote: earlier.id });
 * await sim.chat('turn on the light', { voice: true }); // an audio message, the text its recognition
 * ```
 */
export interface SimSendOptions {
  conversation?: SimConversationId;
  /** The `id` of a message in the same conversation (the user's or the bot's) to quote; text messages only. */
  quote?: string;
  /** A picture's downloadCode from {@link DingTalkSimulator.upload}: a `picture` message, or `richText` when there is text too. */
  picture?: string;
  /** A file's downloadCode from {@link DingTalkSimulator.upload}: a `file` message, on its own (no text). DingTalk delivers files in 1:1 chats only. */
  file?: string;
  /** The text is a voice message's speech recognition: an `audio` message (1:1 chats only, as DingTalk). */
  voice?: boolean | { durationMs?: number };
}

/**
 * A card template the simulator knows how to draw: which variable is the title, and the
 * buttons (real templates live in DingTalk's card builder, which the simulator cannot read).
 *
 * @example
 * ```ts
 * const approval: SimCardTemplate = { title: 'title', buttons: [{ text: 'Approve', actionId: 'approve', params: { action: 'approved' } }] };
 * ```
 */
export interface SimCardTemplate {
  title?: string;
  /** Draw cards of this template as AI cards (`msgTitle`, `msgContent`, `flowStatus`) even before they stream. */
  aiCard?: boolean;
  buttons?: Array<{ text: string; actionId?: string; params?: Record<string, string> }>;
}

/**
 * A card template built into the simulator: a `title` and `status`, Approve/Reject buttons
 * whose callback params carry `action`. Use it as `cardTemplateId` while developing offline.
 *
 * @example
 * ```ts
 * await api.createAndDeliverCard({ cardTemplateId: SIMULATOR_APPROVAL_TEMPLATE, to: message, cardData: { title: 'Deploy?' } });
 * ```
 */
export const SIMULATOR_APPROVAL_TEMPLATE = 'simulator-approval.schema';

/** Our AI card template and DingTalk's stock one (the channel SDKs', the openclaw connector's). */
const AI_CARD_TEMPLATES = new Set(['382e4302-551d-4880-bf29-a30acfab2e71.schema', '02fcf2f4-5e02-4a85-b672-46d1f715543e.schema']);
const AI_STATUS: Record<string, SimMessage['status']> = { '1': 'processing', '2': 'inputing', '3': 'finished', '4': 'inputing', '5': 'failed' };
const TOPIC_BOT = '/v1.0/im/bot/messages/get';
const TOPIC_CARD = '/v1.0/card/instances/callback';

/**
 * Options of {@link DingTalkSimulator}: the fake gateway's, plus names and card templates.
 *
 * @example
 * ```ts
 * const sim = await DingTalkSimulator.start({ port: 8788, botName: 'CalcBot' });
 * ```
 */
export interface SimulatorOptions extends FakeGatewayOptions {
  /** Port on 127.0.0.1 (default: a free one; `dev` and `npm start` use {@link SIMULATOR_PORT}). */
  port?: number;
  botName?: string;
  userName?: string;
  groupTitle?: string;
  /** Extra card templates by id (the built-in {@link SIMULATOR_APPROVAL_TEMPLATE} is always there). */
  cardTemplates?: Record<string, SimCardTemplate>;
  /**
   * Which group messages reach the bot: `'mentions'` (default, DingTalk's default) only those
   * that @ it; `'all'` every one, with `isInAtList: false` when the bot was not @-ed, as for a
   * bot allowed to receive every group message (`dev --all-group-messages`).
   */
  groupMessages?: 'mentions' | 'all';
  /** How many wire entries and recorded requests to keep (a long session must not grow without bound). */
  historyLimit?: number;
  /**
   * DingTalk's production limits (card QPS, per-card pacing, the 20,000-character cap, the
   * webhook's 130101): on by default, so that a bot sees here what production would do;
   * each one a bot runs into shows on the wire. `false` turns them off (`dev --no-limits`).
   */
  limits?: boolean | FakeLimits;
}

interface WireEntry {
  id: number;
  at: number;
  /** `gateway`: something the gateway decided on its own (it gave up redelivering); `limit`: a production limit the bot ran into. */
  dir: 'out' | 'in' | 'http' | 'gateway' | 'limit';
  kind: string;
  text: string;
  /** A frame the gateway sent again: its new messageId, the push's first messageId, which redelivery. */
  redelivery?: { messageId: string; of: string; attempt: number };
}

/**
 * What updates a card: the body of `PUT /v1.0/card/instances` (private data keyed by
 * userId), or the answer to a button press (the presser's `userPrivateData`, not keyed).
 */
interface CardUpdate {
  cardData?: { cardParamMap?: Record<string, string> };
  privateData?: Record<string, { cardParamMap?: Record<string, string> }>;
  userPrivateData?: { cardParamMap?: Record<string, string> };
  cardUpdateOptions?: { updateCardDataByKey?: boolean };
}

interface Card {
  message: SimMessage;
  templateId: string;
  params: Record<string, string>;
  privateParams: Record<string, string>;
  delivered: boolean;
  /** An AI card: by its template, or because it got a `flowStatus` or a streaming update (whatever its template). */
  ai: boolean;
  /** How the bot last answered a button press, when that was not a success. */
  failure?: string;
}

/**
 * The credentials every simulator accepts unless told otherwise (`dev`, `npm start`, your
 * tests): local fakes, printed on purpose so that you can give them to your bot (SECURITY.md).
 *
 * @example
 * ```ts
 * new DingTalkStreamClient({ ...SIMULATOR_CREDENTIALS, openApiHost: 'http://127.0.0.1:8788' });
 * ```
 */
export const SIMULATOR_CREDENTIALS = { clientId: 'ding-local-client-id', clientSecret: 'local-client-secret' } as const;

/** The port `dev` and `npm start` listen on unless told otherwise. */
export const SIMULATOR_PORT = 8788;

const USER_ID = 'sim-user-0001';
/** The user's and the bot's encrypted ids in payloads (`senderId`, `chatbotUserId`): a quote's `repliedMsg.senderId` is one of them. */
const SENDER_ID = '$:LWCP_v1:$simUser0001==';
const BOT_USER_ID = '$:LWCP_v1:$simBot==';
/** The space a user's files live in (`content.spaceId`). */
const SPACE_ID = '20250101';
/** The largest file the page may upload (DingTalk's own cap is higher; a simulator needs less). */
const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
/** Uploads kept (with their bytes) before the oldest are forgotten. */
const MAX_UPLOADS = 100;
const NOT_IN_GROUPS = 'not delivered: DingTalk delivers files and voice messages to a bot only in a 1:1 chat';
const MEMBERS = [
  { name: 'Alice', staffId: 'sim-user-0002' },
  { name: 'Bob', staffId: 'sim-user-0003' },
];
const CONVERSATION_IDS: Record<SimConversationId, string> = { single: 'cidSimSingleChat==', group: 'cidSimGroupChat==' };

/**
 * A local DingTalk for developing a bot without a tenant: the Stream gateway and the
 * OpenAPI the SDK calls (token, session webhook, robot messages and files, their recall and
 * read status, cards, AI card streaming) on 127.0.0.1, plus a chat page at {@link url} with a
 * 1:1 chat and a group, the bot's replies rendered (a recalled one greyed), card buttons that
 * call back, and the frames and acks on the wire. Whoever writes in a chat has read what the
 * bot sent there before.
 * Any Stream bot connects to it like to DingTalk: give it {@link clientOptions}.
 * `npx dingtalk-stream-universal dev` runs one. Node only.
 *
 * @example
 * ```ts
 * import { DingTalkSimulator } from 'dingtalk-stream-universal/testing';
 * const sim = await DingTalkSimulator.start();
 * const client = new DingTalkStreamClient(sim.clientOptions());
 * console.log(`open ${sim.url}`);
 * ```
 */
export class DingTalkSimulator {
  readonly gateway: FakeDingTalkGateway;
  readonly openApi: FakeOpenApi;
  readonly botName: string;
  readonly userName: string;
  readonly groupTitle: string;
  readonly messages: SimMessage[] = [];
  private readonly wire: WireEntry[] = [];
  private readonly cards = new Map<string, Card>();
  private readonly templates: Record<string, SimCardTemplate>;
  private readonly streams = new Set<ServerResponse>();
  private readonly pendingAcks = new Map<string, { message: SimMessage; card?: Card }>();
  private readonly waiters = new Set<() => void>();
  /** The user's messages by the `msgId` the bot received, which reactions name. */
  private readonly byMsgId = new Map<string, SimMessage>();
  /** The bot's robot messages by the `processQueryKey` their send was answered with, which recalls name. */
  private readonly byQueryKey = new Map<string, SimMessage>();
  /** The `msgId` each message has for the bot: what a quote of it says (`repliedMsg.msgId`). */
  private readonly msgIds = new Map<SimMessage, string>();
  /** Uploaded files by downloadCode (their bytes are in the fake OpenAPI's `files`), with the `fileId` a file message names. */
  private readonly uploads = new Map<string, SimFile & { fileId: string }>();
  private readonly historyLimit: number;
  private readonly groupMessages: 'mentions' | 'all';
  private nextId = 1;
  private nextWire = 1;

  private constructor(options: SimulatorOptions) {
    this.botName = options.botName ?? 'Bot';
    this.userName = options.userName ?? 'You';
    this.groupTitle = options.groupTitle ?? 'Bot playground';
    this.historyLimit = options.historyLimit ?? 500;
    this.groupMessages = options.groupMessages ?? 'mentions';
    this.templates = {
      [SIMULATOR_APPROVAL_TEMPLATE]: {
        title: 'title',
        buttons: [
          { text: 'Approve', actionId: 'approve', params: { action: 'approved' } },
          { text: 'Reject', actionId: 'reject', params: { action: 'rejected' } },
        ],
      },
      ...options.cardTemplates,
    };
    this.gateway = new FakeDingTalkGateway({ pingIntervalMs: 30_000, ...SIMULATOR_CREDENTIALS, ...options });
    this.openApi = installFakeOpenApi(this.gateway, { limits: options.limits ?? true, onViolation: (v) => this.log('limit', v.rule, v.text) });
    this.gateway.serve('GET', '/', (req, res) => {
      const refused = this.foreign(req.headers, false);
      if (refused) return void res.writeHead(403, { 'content-type': 'text/plain' }).end(refused);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': SIMULATOR_PAGE_CSP }).end(SIMULATOR_PAGE);
    });
    this.gateway.serve('GET', '/sim/events', (req, res) => this.openStream(req, res));
    this.api('/sim/api/send', (b) => {
      const text = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
      const options: SimSendOptions = { conversation: b.conversation === 'group' ? 'group' : 'single', quote: text('quote'), picture: text('picture'), file: text('file'), voice: b.voice === true };
      return { message: this.send(String(b.text ?? ''), options) };
    });
    this.gateway.serve('POST', '/sim/api/upload', (req, res) => void this.onUpload(req, res).catch(() => res.destroy()));
    this.gateway.serve('GET', '/sim/file', (req, res) => this.serveFile(req, res));
    this.api('/sim/api/card', (b) => (this.pressCardButton(String(b.messageId), String(b.buttonId)), { ok: true }));
    this.api('/sim/api/event', (b) => {
      const messageId = this.fireEvent(typeof b.eventType === 'string' && b.eventType ? b.eventType : 'user_add_org');
      return { messageId, queued: this.queued(messageId) };
    });
    this.api('/sim/api/disconnect', () => (this.gateway.disconnect(this.connected()), this.notice('SYSTEM disconnect sent: the gateway closes that socket in 10 s')));
    this.api('/sim/api/kill', () => (this.gateway.kill(this.connected()), this.notice('socket killed (TCP reset, no close frame)')));
    this.gateway.tap((e) => this.onWire(e));
  }

  /**
   * Starts a simulator on 127.0.0.1.
   *
   * @example
   * ```ts
   * const sim = await DingTalkSimulator.start({ port: 8788 });
   * ```
   */
  static async start(options: SimulatorOptions = {}): Promise<DingTalkSimulator> {
    const sim = new DingTalkSimulator(options);
    await sim.gateway.listen(options.port ?? 0);
    return sim;
  }

  /** The chat page. */
  get url(): string {
    return `${this.gateway.openApiHost}/`;
  }

  /** The credentials and host a bot needs: spread them into `new DingTalkStreamClient(…)`. */
  clientOptions(): { clientId: string; clientSecret: string; openApiHost: string } {
    return { clientId: this.gateway.clientId, clientSecret: this.gateway.clientSecret, openApiHost: this.gateway.openApiHost };
  }

  /**
   * How to connect a bot of your own, as `dev` and `npm start` print it: the
   * credentials (local fakes: printing them is fine, SECURITY.md) and the host, and a
   * command line that runs `command` against this simulator.
   *
   * @example
   * ```ts
   * console.log(sim.connectHelp('node bot.mjs'));
   * ```
   */
  connectHelp(command = 'node bot.mjs'): string {
    const { clientId, clientSecret, openApiHost } = this.clientOptions();
    const env = `DINGTALK_CLIENT_ID=${clientId} DINGTALK_CLIENT_SECRET=${clientSecret} DINGTALK_OPENAPI_HOST=${openApiHost}`;
    return [
      'Connect your own bot with these (local fake credentials, for this simulator only):',
      `  DINGTALK_CLIENT_ID=${clientId}`,
      `  DINGTALK_CLIENT_SECRET=${clientSecret}`,
      `  DINGTALK_OPENAPI_HOST=${openApiHost}`,
      'e.g. in another terminal (our client reads them from the environment):',
      `  ${env} ${command}`,
      `(in code: new DingTalkStreamClient({ clientId, clientSecret, openApiHost: '${openApiHost}' }))`,
    ].join('\n');
  }

  /**
   * Stores a file the user is about to send (a picture, a file) and returns its
   * `downloadCode`: the fake `messageFiles/download` API hands out a link that serves these
   * bytes, as production does for a user's file. The page uploads what the user picks here.
   *
   * @example
   * ```ts
   * const code = sim.upload(new TextEncoder().encode('%PDF-1.7'), { fileName: 'report.pdf', contentType: 'application/pdf' });
   * await sim.chat('', { file: code });
   * ```
   */
  upload(body: Uint8Array, options: { fileName: string; contentType?: string; durationMs?: number }): string {
    const downloadCode = `dc${crypto.randomUUID().replace(/-/g, '')}`;
    const contentType = options.contentType || 'application/octet-stream';
    this.openApi.files.set(downloadCode, { body, contentType });
    this.uploads.set(downloadCode, { downloadCode, name: options.fileName, contentType, size: body.byteLength, fileId: `sim${this.uploads.size + 1}${downloadCode.slice(2, 10)}`, ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }) });
    for (const old of this.uploads.keys()) {
      if (this.uploads.size <= MAX_UPLOADS) break;
      this.uploads.delete(old);
      this.openApi.files.delete(old);
    }
    return downloadCode;
  }

  /**
   * The user says `text` in a conversation, or sends a picture, a file, a voice message or a
   * quote ({@link SimSendOptions}). In the group the bot gets it only when the text
   * @-mentions it (`@<botName>`), as in DingTalk, unless `groupMessages: 'all'` (then
   * `isInAtList` says whether it did); the mention is removed from the content the bot sees,
   * other `@Name` mentions land in `atUsers`. Files and voice messages reach a bot only in
   * the 1:1 chat, as in DingTalk.
   */
  send(text: string, options: SimSendOptions = {}): SimMessage {
    const conversation = options.conversation ?? 'single';
    const group = conversation === 'group';
    const picture = options.picture === undefined ? undefined : this.uploaded(options.picture);
    const file = options.file === undefined ? undefined : this.uploaded(options.file);
    const voice = options.voice ? { durationMs: (typeof options.voice === 'object' && options.voice.durationMs) || speechMs(text) } : undefined;
    if (!text.trim() && !picture && !file) throw new SimulatorError(voice ? 'a voice message needs its recognition text' : 'an empty message cannot be sent');
    if (Number(!!picture) + Number(!!file) + Number(!!voice) > 1) throw new SimulatorError('send one of picture, file or voice at a time');
    if (file && text.trim()) throw new SimulatorError('a file is sent on its own, without text');
    const quoted = options.quote === undefined ? undefined : this.quotable(options.quote, conversation);
    if (quoted && (picture || file || voice)) throw new SimulatorError('only a text message can quote');
    const mentioned = group ? MEMBERS.filter((m) => text.includes(`@${m.name}`)) : [];
    const atBot = !group || text.includes(`@${this.botName}`);
    // whoever writes in a conversation has seen what the bot sent there (the read-status queries say so)
    for (const [key, m] of this.byQueryKey) if (m.conversation === conversation) this.openApi.markRead(key, USER_ID);
    const refused = group && (file || voice) ? NOT_IN_GROUPS : undefined;
    const delivered = !refused && (atBot || this.groupMessages === 'all');
    const media: SimFile | undefined = picture ?? file ?? (voice && this.uploaded(this.upload(silentWav(voice.durationMs), { fileName: 'voice.wav', contentType: 'audio/wav', durationMs: voice.durationMs })));
    const message = this.add({
      conversation,
      from: 'user',
      sender: this.userName,
      kind: picture ? 'image' : file ? 'file' : voice ? 'audio' : 'text',
      text,
      ...(file ? { title: file.name } : {}),
      ...(media ? { file: publicFile(media) } : {}),
      ...(quoted ? { quote: { id: quoted.id, sender: quoted.sender, kind: quoted.kind, text: quoted.text, title: quoted.title } } : {}),
      mentions: [...(group && atBot ? [this.botName] : []), ...mentioned.map((m) => m.name)],
      delivered,
      ack: delivered ? 'pending' : undefined,
      ...(refused ? { note: refused } : {}),
    });
    if (!delivered) return message;
    const content = group ? text.split(`@${this.botName}`).join('').replace(/\s+/g, ' ').trim() : text;
    const data = chatbotMessage({
      text: content,
      ...payloadContent(content, picture, file, voice && media ? { ...media, recognition: text } : undefined),
      sessionWebhook: this.gateway.sessionWebhook(conversation),
      conversationType: group ? '2' : '1',
      senderNick: this.userName,
      senderStaffId: USER_ID,
      robotCode: 'dingsimulatorbot',
      extra: {
        conversationId: CONVERSATION_IDS[conversation],
        senderId: SENDER_ID,
        chatbotUserId: BOT_USER_ID,
        ...(group ? { conversationTitle: this.groupTitle, isInAtList: atBot, atUsers: [...(atBot ? [{ dingtalkId: '$:LWCP_v1:$simbot' }] : []), ...mentioned.map((m) => ({ dingtalkId: `$:LWCP_v1:$${m.staffId}`, staffId: m.staffId }))] } : { atUsers: [] }),
      },
      ...(quoted ? { quote: this.repliedMsg(quoted) } : {}),
    });
    this.byMsgId.set(String(data.msgId), message);
    this.msgIds.set(message, String(data.msgId));
    const messageId = this.gateway.pushCallback(TOPIC_BOT, data);
    this.pendingAcks.set(messageId, { message });
    return message;
  }

  /** An upload by its downloadCode, or a SimulatorError. */
  private uploaded(downloadCode: string): SimFile & { fileId: string } {
    const file = this.uploads.get(downloadCode);
    if (!file) throw new SimulatorError(`no uploaded file ${downloadCode}: upload it first (sim.upload, or the page's picture and file buttons)`);
    return file;
  }

  /** A message the user may quote in `conversation`: the user's or the bot's, not a notice. */
  private quotable(id: string, conversation: SimConversationId): SimMessage {
    const m = this.messages.find((x) => x.id === id);
    if (!m || m.conversation !== conversation || m.from === 'system') throw new SimulatorError(`no message ${id} to quote in the ${conversation === 'group' ? 'group' : '1:1 chat'}`);
    return m;
  }

  /** `repliedMsg` of a quote of `m`: its type, id and time, who sent it, and its content by type (protocol.md §12). */
  private repliedMsg(m: SimMessage): RepliedMsg {
    let msgId = this.msgIds.get(m);
    if (!msgId) this.msgIds.set(m, (msgId = `msgSim${m.id}${m.at.toString(36)}==`));
    const upload = m.file && this.uploads.get(m.file.downloadCode);
    return { msgId, createdAt: m.at, senderId: m.from === 'bot' ? BOT_USER_ID : SENDER_ID, ...quotedContent(m, upload) };
  }

  /**
   * Says `text` and resolves with the bot's next message in that conversation (a reply,
   * a robot message or a card): the one-liner for a bot's unit test.
   *
   * @example
   * ```ts
   * const reply = await sim.chat('1+1');
   * expect(reply.text).toBe('Q: 1+1\nA: 2');
   * ```
   */
  chat(text: string, options: SimSendOptions & { timeoutMs?: number } = {}): Promise<SimMessage> {
    const before = new Set(this.messages);
    const sent = this.send(text, options);
    if (sent.delivered === false) return Promise.reject(new SimulatorError(sent.note ?? `not delivered: in the group the bot only receives messages that @${this.botName}`));
    return this.waitForMessage((m) => m.from === 'bot' && m.conversation === sent.conversation && !before.has(m), options.timeoutMs);
  }

  /** Presses a card button as the user: the gateway pushes the card callback, the bot's answer updates the card. */
  pressCardButton(messageId: string, buttonId: string): string {
    const card = this.cards.get(messageId);
    const template = card && this.templates[card.templateId];
    const button = template?.buttons?.[Number(buttonId)];
    if (!card || !button) throw new SimulatorError(`no card button ${buttonId} on ${messageId}`);
    const action = JSON.stringify({ cardPrivateData: { actionIds: button.actionId ? [button.actionId] : [], params: button.params ?? {} } });
    const data = {
      type: 'actionCallback',
      outTrackId: card.message.id,
      corpId: 'dingsimulatorcorp',
      userId: USER_ID,
      userIdType: 1,
      spaceType: card.message.conversation === 'group' ? 'IM_GROUP' : 'IM_ROBOT',
      spaceId: CONVERSATION_IDS[card.message.conversation],
      content: action,
      // production sends the button again as `value` and an `extension` (open.dingtalk.com
      // dingstart/intelligent-assistant-with-interactive-card-use-tutorial, a real callback frame)
      value: action,
      extension: '{}',
    };
    const id = this.gateway.pushCallback(TOPIC_CARD, data);
    this.pendingAcks.set(id, { message: card.message, card });
    return id;
  }

  private connected() {
    const live = this.gateway.live().filter((c) => !c.goingAway);
    if (!live.length) throw new SimulatorError('no bot is connected');
    return live[live.length - 1];
  }

  /** Pushes an EVENT (default `user_add_org`) and returns its messageId. */
  fireEvent(eventType = 'user_add_org'): string {
    const id = this.gateway.pushEvent({ eventType, userId: [MEMBERS[0]!.staffId], timeStamp: Date.now() }, { eventType });
    const queued = this.queued(id);
    this.notice(queued ? `EVENT ${eventType} queued (${id}): no connected bot subscribed to events` : `EVENT ${eventType} pushed (${id})`);
    return id;
  }

  /** No connection subscribed to it was there: the gateway holds it for the next one that is. */
  private queued(messageId: string): boolean {
    return this.gateway.pushOf(messageId)?.deliveries[0]?.sentAt === null;
  }

  /** Resolves with the first message (already there or still to come) that `predicate` accepts. */
  waitForMessage(predicate: (m: SimMessage) => boolean, timeoutMs = 5000): Promise<SimMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(predicate);
        if (!found) return false;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new SimulatorError(`no such message within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  /** Stops the page streams, the gateway and every socket. */
  async close(): Promise<void> {
    for (const res of this.streams) res.end();
    this.streams.clear();
    await this.gateway.close();
  }

  // ── page plumbing ────────────────────────────────────────────────────────────

  /**
   * The page's calls must come from the page: JSON only (a cross-site form cannot send it
   * without a CORS preflight, which is never answered), an Origin, when sent, of this
   * server, and a Host of 127.0.0.1/localhost (no DNS rebinding).
   */
  private foreign(headers: Record<string, string | string[] | undefined>, json: boolean): string | undefined {
    const refused = foreignRequest(headers); // the rule every route of the fakes follows
    if (refused) return refused;
    if (json && !String(headers['content-type'] ?? '').startsWith('application/json')) return 'send application/json';
    return undefined;
  }

  private api(path: string, handler: (body: Record<string, unknown>) => unknown): void {
    this.gateway.route('POST', path, (req) => {
      const refused = this.foreign(req.headers, true);
      if (refused) return { status: 403, body: { error: refused } };
      try {
        const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
        return { status: 200, body: handler(body) ?? { ok: true } };
      } catch (err) {
        return { status: 400, body: { error: err instanceof Error ? err.message : String(err) } };
      }
    });
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    const refused = this.foreign(req.headers, false);
    if (refused) return void res.writeHead(403, { 'content-type': 'text/plain' }).end(refused);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    this.streams.add(res);
    req.on('close', () => this.streams.delete(res));
    const state = {
      bot: { name: this.botName },
      user: { name: this.userName },
      conversations: [
        { id: 'single', title: this.botName, type: '1', members: [this.userName, this.botName] },
        { id: 'group', title: this.groupTitle, type: '2', members: [this.userName, ...MEMBERS.map((m) => m.name), this.botName] },
      ],
      messages: this.messages,
      wire: this.wire,
      connections: this.gateway.live().length,
      groupMessages: this.groupMessages,
      url: this.url,
      openApiHost: this.gateway.openApiHost,
      clientId: this.gateway.clientId,
    };
    res.write(`data: ${JSON.stringify({ type: 'hello', state })}\n\n`);
  }

  /**
   * `POST /sim/api/upload`: the page's picture or file, as the raw body, its name in
   * `x-sim-file-name`. A custom header: a cross-site form cannot send one, and a cross-site
   * fetch would need a CORS preflight, which is never answered.
   */
  private async onUpload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, body: unknown) => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const name = req.headers['x-sim-file-name'];
    const refused = foreignRequest(req.headers) ?? (typeof name === 'string' ? undefined : 'send the file name in x-sim-file-name');
    if (refused) return answer(403, { error: refused });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_UPLOAD_BYTES) return res.setHeader('connection', 'close'), answer(413, { error: `the simulator takes files up to ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB` });
      chunks.push(chunk as Buffer);
    }
    let fileName = String(name);
    try {
      fileName = decodeURIComponent(fileName);
    } catch {
      /* keep it as sent */
    }
    const downloadCode = this.upload(Buffer.concat(chunks), { fileName: fileName.slice(0, 200) || 'file', contentType: String(req.headers['content-type'] ?? '') });
    answer(200, { downloadCode, file: publicFile(this.uploaded(downloadCode)) });
  }

  /**
   * `GET /sim/file?code=…`: an upload, for the page (not on the wire, unlike the bot's
   * download): pictures inline, anything else as an attachment, never as a page of this origin.
   */
  private serveFile(req: IncomingMessage, res: ServerResponse): void {
    const refused = foreignRequest(req.headers);
    const code = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('code') ?? '';
    const file = this.uploads.get(code);
    const bytes = this.openApi.files.get(code);
    if (refused || !file || !bytes) return void res.writeHead(refused ? 403 : 404, { 'content-type': 'text/plain' }).end(refused ?? 'no such file');
    const inline = /^image\/(png|jpeg|gif|webp|bmp)$/.test(file.contentType);
    res
      .writeHead(200, {
        'content-type': inline ? file.contentType : 'application/octet-stream',
        'content-length': String(bytes.body.byteLength),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'cross-origin-resource-policy': 'same-origin',
        ...(inline ? {} : { 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}` }),
      })
      .end(bytes.body);
  }

  private broadcast(event: unknown): void {
    const text = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of this.streams) res.write(text);
  }

  private add(m: Omit<SimMessage, 'id' | 'at'>): SimMessage {
    const message: SimMessage = { ...m, id: `m${this.nextId++}`, at: Date.now() };
    this.keep(message);
    this.update(message);
    return message;
  }

  /** Appends to the history; what falls off the front is forgotten, cards included. */
  private keep(message: SimMessage): void {
    this.messages.push(message);
    if (this.messages.length <= this.historyLimit) return;
    const gone = new Set(this.messages.splice(0, this.messages.length - this.historyLimit));
    for (const old of gone) {
      this.cards.delete(old.id);
      this.msgIds.delete(old);
    }
    for (const [msgId, m] of this.byMsgId) if (gone.has(m)) this.byMsgId.delete(msgId);
    for (const [key, m] of this.byQueryKey) if (gone.has(m)) this.byQueryKey.delete(key);
  }

  private update(message: SimMessage): void {
    this.broadcast({ type: 'message', message });
    for (const w of [...this.waiters]) w();
  }

  private notice(text: string): { ok: true } {
    this.add({ conversation: 'single', from: 'system', sender: 'simulator', kind: 'notice', text });
    return { ok: true };
  }

  // ── what the bot did ─────────────────────────────────────────────────────────

  private onWire(e: WireTap): void {
    if (e.dir === 'socket') {
      this.broadcast({ type: 'status', connections: this.gateway.live().length });
      return;
    }
    if (e.dir === 'out') {
      const frame = safeJson(e.text) as { type?: string; headers?: Record<string, string> } | undefined;
      const kind = `${frame?.type ?? 'frame'} ${frame?.headers?.topic ?? ''} → conn ${e.connectionId}`;
      if (!e.redelivery) return void this.log('out', kind, e.text);
      const redelivery = { messageId: frame?.headers?.messageId ?? '', ...e.redelivery };
      this.log('out', `REDELIVERY ${redelivery.attempt} of ${redelivery.of} as ${redelivery.messageId}: ${kind}`, e.text, redelivery);
      this.onRedelivery(redelivery);
      return;
    }
    if (e.dir === 'in') {
      this.log('in', `ack ${e.ack.code} ← conn ${e.connectionId}`, e.ack.raw);
      this.onAck(e.ack.headers.messageId ?? '', e.ack.code, e.ack.data);
      return;
    }
    if (e.dir === 'gave-up') {
      const text = `the gateway gave up on ${e.push.messageId} after ${e.push.deliveries.length} deliveries without a success ack`;
      this.log('gateway', `gave up on ${e.push.messageId}`, text);
      this.onGaveUp(e.push.messageId, text);
      return;
    }
    const { request, status } = e;
    if (request.path.startsWith('/sim/')) return;
    const unserved = status === 404 && (e.body as { code?: string } | undefined)?.code === 'NotFound';
    const hint = unserved ? `\n\nThe simulator does not serve ${request.method} ${request.path}: production may, but this local DingTalk cannot answer it. Check the path, or open an issue asking for it.` : '';
    this.log('http', `${request.method} ${request.path} → ${status}${unserved ? ' (not served by the simulator)' : ''}`, redactBody(request) + hint);
    this.trimRecords();
    if (status !== 200 || refused(e.body)) return;
    try {
      this.onBotCall(request, (e.body ?? {}) as Record<string, any>);
    } catch {
      /* a payload we cannot draw still shows on the wire */
    }
  }

  private log(dir: WireEntry['dir'], kind: string, text: string, redelivery?: WireEntry['redelivery']): void {
    const entry: WireEntry = { id: this.nextWire++, at: Date.now(), dir, kind, text: text.length > 4000 ? `${text.slice(0, 4000)}…` : text, ...(redelivery ? { redelivery } : {}) };
    this.wire.push(entry);
    if (this.wire.length > this.historyLimit) this.wire.splice(0, this.wire.length - this.historyLimit);
    this.broadcast({ type: 'wire', entry });
  }

  private trimRecords(): void {
    const { requests, acks } = this.gateway;
    if (requests.length > this.historyLimit * 2) requests.splice(0, requests.length - this.historyLimit);
    if (acks.length > this.historyLimit * 2) acks.splice(0, acks.length - this.historyLimit);
    if (this.gateway.pushes.length > this.historyLimit * 2) this.gateway.forgetPushes(this.historyLimit);
  }

  /** Acks arrive under the messageId of any delivery; the simulator knows pushes by their first one. */
  private onAck(messageId: string, code: number, data: string): void {
    const push = this.gateway.pushOf(messageId);
    const original = push?.messageId ?? messageId;
    const pending = this.pendingAcks.get(original);
    if (!pending) return;
    const parsed = safeJson(data) as { status?: string; response?: unknown } | undefined;
    const later = parsed?.status === 'LATER';
    if (push?.state !== 'pending') this.pendingAcks.delete(original);
    if (pending.card) {
      const answer = parsed?.response as CardUpdate | null | undefined;
      // a button's answer carries the presser's data as userPrivateData; DingTalk ignores a keyed privateData there
      if (answer?.privateData) this.log('limit', 'callback-shape', 'the card callback answer has privateData, which DingTalk ignores in a callback answer: use userPrivateData (the presser\'s params, not keyed by userId)');
      this.applyCardUpdate(pending.card, { ...answer, privateData: answer?.userPrivateData ? { [USER_ID]: answer.userPrivateData } : undefined });
      pending.card.failure = code === 200 ? undefined : `the bot answered the button with ${code}`;
      this.drawCard(pending.card);
      return;
    }
    // production ignores an ack that comes after its 2 s: the frame was already sent again
    const late = push?.deliveries.some((d) => d.messageId === messageId && d.late) ? ' (late)' : '';
    pending.message.ack = `${later ? 'LATER' : String(code)}${late}`;
    this.update(pending.message);
  }

  private onRedelivery(redelivery: NonNullable<WireEntry['redelivery']>): void {
    const pending = this.pendingAcks.get(redelivery.of);
    if (!pending || pending.card) return;
    pending.message.note = `redelivered by the gateway as ${redelivery.messageId} (redelivery ${redelivery.attempt})`;
    this.update(pending.message);
  }

  private onGaveUp(messageId: string, text: string): void {
    const pending = this.pendingAcks.get(messageId);
    this.pendingAcks.delete(messageId);
    if (!pending) return;
    if (!pending.card) {
      pending.message.note = text;
      return this.update(pending.message);
    }
    pending.card.failure = `${pending.card.failure ?? 'the button got no answer'}; ${text}`;
    this.drawCard(pending.card);
  }

  /** Draws what the bot's successful HTTP call did: a reply, a robot message, a card change. */
  private onBotCall(request: RecordedRequest, answer: Record<string, any>): void {
    const b = (request.body ?? {}) as Record<string, any>;
    const robot = (m: Omit<SimMessage, 'id' | 'at'>) => this.byQueryKey.set(String(answer.processQueryKey), this.add(m));
    switch (`${request.method} ${request.path}`) {
      case 'POST /robot/sendBySession': {
        const conversation: SimConversationId = request.query.session === 'group' ? 'group' : 'single';
        this.add({ conversation, from: 'bot', sender: this.botName, ...fromWebhook(b), mentions: this.mentions(b.at) });
        return;
      }
      case 'POST /v1.0/robot/oToMessages/batchSend':
        if ((b.userIds as string[]).includes(USER_ID)) robot({ conversation: 'single', from: 'bot', sender: this.botName, ...fromRobotMessage(b.msgKey, b.msgParam) });
        return;
      case 'POST /v1.0/robot/groupMessages/send':
        robot({ conversation: b.openConversationId === CONVERSATION_IDS.group ? 'group' : 'single', from: 'bot', sender: this.botName, ...fromRobotMessage(b.msgKey, b.msgParam) });
        return;
      case 'POST /v1.0/robot/otoMessages/batchRecall':
      case 'POST /v1.0/robot/groupMessages/recall':
        for (const key of (answer.successResult ?? []) as string[]) {
          const m = this.byQueryKey.get(key);
          if (m) (m.recalled = true), this.update(m);
        }
        return;
      case 'POST /v1.0/robot/emotion/reply':
      case 'POST /v1.0/robot/emotion/recall': {
        const target = this.byMsgId.get(String(b.openMsgId));
        if (!target) return;
        const name = String(b.textEmotion?.text ?? b.emotionName);
        const others = (target.reactions ?? []).filter((r) => r !== name);
        target.reactions = request.path.endsWith('/recall') ? others : [...others, name];
        this.update(target);
        return;
      }
      case 'POST /v1.0/card/instances':
        this.createCard(b, false);
        return;
      case 'POST /v1.0/card/instances/createAndDeliver':
        this.createCard(b, true);
        return;
      case 'POST /v1.0/card/instances/deliver': {
        const card = this.cards.get(String(b.outTrackId));
        if (card) this.deliverCard(card, String(b.openSpaceId ?? ''));
        return;
      }
      case 'PUT /v1.0/card/instances': {
        const card = this.cards.get(String(b.outTrackId));
        if (!card) return;
        this.applyCardUpdate(card, b);
        this.drawCard(card);
        return;
      }
      case 'PUT /v1.0/card/streaming': {
        const card = this.cards.get(String(b.outTrackId));
        if (!card) return;
        const key = String(b.key);
        card.ai = true;
        card.params[key] = b.isFull === false ? (card.params[key] ?? '') + String(b.content ?? '') : String(b.content ?? '');
        this.drawCard(card);
        return;
      }
      case 'POST /v1.0/im/v1.0/robot/interactiveCards/send': {
        const conversation: SimConversationId = b.openConversationId === CONVERSATION_IDS.group ? 'group' : 'single';
        this.createCard({ outTrackId: b.cardBizId, cardTemplateId: b.cardTemplateId, cardData: legacyCardData(b.cardData), openSpaceId: conversation === 'group' ? `dtv1.card//IM_GROUP.${CONVERSATION_IDS.group}` : '' }, true);
        return;
      }
      case 'PUT /v1.0/im/robots/interactiveCards': {
        const card = this.cards.get(String(b.cardBizId));
        if (!card) return;
        this.setParams(card, legacyCardData(b.cardData).cardParamMap, true);
        this.drawCard(card);
        return;
      }
    }
  }

  private mentions(at: { atUserIds?: string[]; isAtAll?: boolean } | undefined): string[] | undefined {
    if (!at) return undefined;
    const names = (at.atUserIds ?? []).map((id) => (id === USER_ID ? this.userName : MEMBERS.find((m) => m.staffId === id)?.name ?? id));
    return at.isAtAll ? ['all', ...names] : names.length ? names : undefined;
  }

  // ── cards ────────────────────────────────────────────────────────────────────

  private createCard(b: Record<string, any>, deliver: boolean): void {
    const id = String(b.outTrackId);
    const templateId = String(b.cardTemplateId ?? '');
    const card: Card = {
      message: { id, conversation: 'single', from: 'bot', sender: this.botName, at: Date.now(), kind: 'card' },
      templateId,
      params: { ...(b.cardData?.cardParamMap ?? {}) },
      privateParams: { ...(b.privateData?.[USER_ID]?.cardParamMap ?? {}) },
      delivered: false,
      ai: AI_CARD_TEMPLATES.has(templateId) || this.templates[templateId]?.aiCard === true || b.cardData?.cardParamMap?.flowStatus !== undefined,
    };
    this.cards.set(id, card);
    if (deliver) this.deliverCard(card, String(b.openSpaceId ?? ''));
  }

  private deliverCard(card: Card, openSpaceId: string): void {
    card.message.conversation = openSpaceId.includes(`IM_GROUP.${CONVERSATION_IDS.group}`) ? 'group' : 'single';
    if (!card.delivered) {
      card.delivered = true;
      this.keep(card.message);
    }
    this.drawCard(card);
  }

  /** Applies a card update (an `updateCard` body, or a button callback's answer): public data, then the user's private data. */
  private applyCardUpdate(card: Card, update: CardUpdate | null | undefined): void {
    if (update?.cardData?.cardParamMap?.flowStatus !== undefined) card.ai = true;
    if (update?.cardData?.cardParamMap) this.setParams(card, update.cardData.cardParamMap, update.cardUpdateOptions?.updateCardDataByKey !== false);
    const mine = update?.privateData?.[USER_ID]?.cardParamMap;
    if (mine) card.privateParams = { ...card.privateParams, ...mine };
  }

  private setParams(card: Card, params: Record<string, string>, byKey: boolean): void {
    card.params = byKey ? { ...card.params, ...params } : { ...params };
  }

  private drawCard(card: Card): void {
    if (!card.delivered) return;
    const m = card.message;
    const params = { ...card.params, ...card.privateParams };
    const template = this.templates[card.templateId];
    const buttons = (template?.buttons ?? []).map((button, i) => ({ id: String(i), text: button.text }));
    if (card.ai) {
      m.kind = 'aiCard';
      m.title = params.msgTitle ?? this.botName;
      m.text = params.msgContent ?? params.content ?? '';
      m.status = AI_STATUS[params.flowStatus ?? '1'] ?? 'processing';
      m.fields = m.note = undefined; // a card that turned out to be an AI card loses its plain-card look
      // its template's buttons (a "Like" under an answer, given by --card-template): pressed like any card's
      m.buttons = buttons.length ? buttons : undefined;
      if (card.failure) m.note = card.failure;
    } else {
      const titleKey = template?.title ?? 'title';
      m.title = params[titleKey];
      m.fields = Object.entries(params).filter(([k]) => k !== titleKey);
      m.buttons = buttons;
      const own = Object.entries(card.privateParams);
      m.note =
        card.failure ??
        (!template ? `template ${card.templateId}: the simulator does not know its buttons (pass cardTemplates / --card-template)` : own.length ? `private to you: ${own.map(([k, v]) => `${k}=${v}`).join(', ')}` : undefined);
    }
    this.update(m);
  }
}

/**
 * Thrown by the simulator for a request it cannot carry out (an unknown card button, say).
 *
 * @example
 * ```ts
 * try { sim.pressCardButton('nope', '0'); } catch (err) { if (err instanceof SimulatorError) console.log(err.message); }
 * ```
 */
export class SimulatorError extends Error {
  readonly code = 'SIMULATOR';
  constructor(message: string) {
    super(message);
    this.name = 'SimulatorError';
  }
}

/** DingTalk's failures inside an HTTP 200: a webhook errcode, `success: false`, a failed delivery. */
function refused(body: unknown): boolean {
  const b = (body ?? {}) as Record<string, any>;
  const results: unknown = Array.isArray(b.result) ? b.result : b.result?.deliverResults;
  return (typeof b.errcode === 'number' && b.errcode !== 0) || b.success === false || (Array.isArray(results) && results.some((r) => r?.success === false));
}

function safeJson(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The request as the wire panel shows it: the bot's secret and tokens never reach the page. */
function redactBody(request: RecordedRequest): string {
  return request.rawBody.replace(/("(?:clientSecret|appSecret)"\s*:\s*")[^"]*"/g, '$1***"');
}

function legacyCardData(cardData: unknown): { cardParamMap: Record<string, string> } {
  const parsed = (safeJson(cardData) ?? {}) as Record<string, unknown>;
  const map: Record<string, string> = {};
  const source = (parsed.cardParamMap ?? parsed) as Record<string, unknown>;
  for (const [k, v] of Object.entries(source)) map[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return { cardParamMap: map };
}

type Drawn = Pick<SimMessage, 'kind' | 'text' | 'title' | 'buttons'>;

function fromWebhook(b: Record<string, any>): Drawn {
  // the channel SDKs' form: a robot-message msgKey and its msgParam (production takes both forms)
  if (b.msgtype === undefined && typeof b.msgKey === 'string') return fromRobotMessage(b.msgKey, b.msgParam);
  switch (b.msgtype) {
    case 'text':
      return { kind: 'text', text: String(b.text?.content ?? '') };
    case 'markdown':
      return { kind: 'markdown', title: b.markdown?.title, text: String(b.markdown?.text ?? '') };
    case 'actionCard': {
      const c = b.actionCard ?? {};
      const buttons = Array.isArray(c.btns) ? c.btns.map((x: any, i: number) => ({ id: String(i), text: String(x.title), url: String(x.actionURL) })) : c.singleTitle ? [{ id: '0', text: String(c.singleTitle), url: String(c.singleURL ?? '') }] : [];
      return { kind: 'actionCard', title: c.title, text: String(c.text ?? ''), buttons };
    }
    case 'link':
      return { kind: 'link', title: b.link?.title, text: `${b.link?.text ?? ''}\n${b.link?.messageUrl ?? ''}` };
    default:
      return { kind: 'raw', text: JSON.stringify(b, null, 2) };
  }
}

function fromRobotMessage(msgKey: string, msgParam: unknown): Drawn {
  const p = (safeJson(msgParam) ?? {}) as Record<string, any>;
  switch (msgKey) {
    case 'sampleText':
      return { kind: 'text', text: String(p.content ?? '') };
    case 'sampleMarkdown':
      return { kind: 'markdown', title: p.title, text: String(p.text ?? '') };
    case 'sampleActionCard':
      return { kind: 'actionCard', title: p.title, text: String(p.text ?? ''), buttons: p.singleTitle ? [{ id: '0', text: String(p.singleTitle), url: String(p.singleURL ?? '') }] : [] };
    case 'sampleLink':
      return { kind: 'link', title: p.title, text: `${p.text ?? ''}\n${p.messageUrl ?? ''}` };
    case 'sampleImageMsg':
      return { kind: 'image', text: String(p.photoURL ?? '') };
    case 'sampleFile':
      return { kind: 'file', text: String(p.fileName ?? p.mediaId ?? 'file') };
    // sampleAudio's duration is in milliseconds, sampleVideo's in seconds (robot-message-type)
    case 'sampleAudio':
      return { kind: 'audio', text: `${Math.round(Number(p.duration) / 1000)}″ voice` };
    case 'sampleVideo':
      return { kind: 'video', text: `${Number(p.duration)}″ ${String(p.videoType ?? 'mp4')} video` };
    default:
      return { kind: 'raw', text: JSON.stringify({ msgKey, msgParam: p }, null, 2) };
  }
}

/** `repliedMsg` of a quote, in production's spelling (`msgType`, `createdAt`, unlike the top level's `msgtype`, `createAt`). */
type RepliedMsg = Required<Pick<ChatbotSampleQuote, 'msgType' | 'msgId' | 'createdAt' | 'senderId'>> & { content: Record<string, unknown> };

/** A quoted message's `msgType` and `content` by its type (protocol.md §12). */
function quotedContent(m: SimMessage, upload: { fileId: string } | undefined): Pick<RepliedMsg, 'msgType' | 'content'> {
  const text = m.text ?? '';
  const code = m.file?.downloadCode;
  switch (m.kind) {
    case 'image':
      if (!code) return { msgType: 'picture', content: { photoURL: text } }; // the bot's picture, sent by URL
      return text ? { msgType: 'richText', content: { richText: [{ msgType: 'text', content: text }, { msgType: 'picture', downloadCode: code }] } } : { msgType: 'picture', content: { downloadCode: code } };
    case 'file':
      return { msgType: 'file', content: code ? { spaceId: SPACE_ID, fileName: m.file!.name, downloadCode: code, fileId: upload?.fileId ?? '' } : { fileName: text } };
    case 'audio':
      return { msgType: 'audio', content: { duration: m.file?.durationMs ?? 0, downloadCode: code ?? '' } };
    case 'markdown':
    case 'actionCard':
      return { msgType: 'markdown', content: { text } };
    case 'card':
    case 'aiCard':
      // the sources disagree on a card's quoted content (protocol.md §12): its type, and who sent it
      return { msgType: 'interactiveCard', content: {} };
    default:
      return { msgType: 'text', content: { content: text } };
  }
}

/** The chatbot message's `msgtype` and `content` for a picture (`richText` with text), a file or a voice message. */
function payloadContent(text: string, picture: SimFile | undefined, file: (SimFile & { fileId: string }) | undefined, audio: (SimFile & { recognition: string }) | undefined): { msgtype?: string; content?: Record<string, unknown> } {
  if (picture) {
    const codes = { pictureDownloadCode: picture.downloadCode, downloadCode: picture.downloadCode };
    return text ? { msgtype: 'richText', content: { richText: [{ text }, { ...codes, type: 'picture' }] } } : { msgtype: 'picture', content: codes };
  }
  if (file) return { msgtype: 'file', content: { spaceId: SPACE_ID, fileName: file.name, downloadCode: file.downloadCode, fileId: file.fileId } };
  if (audio) return { msgtype: 'audio', content: { downloadCode: audio.downloadCode, recognition: audio.recognition, duration: audio.durationMs } };
  return {};
}

/** An upload as the page and SimMessage show it (no fileId). */
function publicFile(f: SimFile): SimFile {
  return { downloadCode: f.downloadCode, name: f.name, contentType: f.contentType, size: f.size, ...(f.durationMs === undefined ? {} : { durationMs: f.durationMs }) };
}

/** How long saying `text` takes, roughly: a voice message's length when none is given (1–60 s). */
function speechMs(text: string): number {
  return Math.min(60_000, Math.max(1_000, text.trim().length * 150));
}

/** A voice message's file: `durationMs` of silence, an 8 kHz 8-bit mono WAV (the bot downloads audio bytes, not a placeholder). */
function silentWav(durationMs: number): Uint8Array {
  const samples = Math.round(8 * durationMs);
  const b = Buffer.alloc(44 + samples, 0x80);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(8000, 28);
  b.writeUInt16LE(1, 32);
  b.writeUInt16LE(8, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples, 40);
  return b;
}
