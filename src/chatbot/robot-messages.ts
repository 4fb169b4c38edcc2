/**
 * A proactive robot message: a `msgKey` template and its `msgParam` (an object, sent as
 * the JSON string DingTalk expects, or that string itself).
 *
 * @example
 * ```ts
 * const m: RobotMessage = { msgKey: 'sampleText', msgParam: { content: 'hi' } };
 * ```
 */
export interface RobotMessage {
  msgKey: string;
  msgParam: Record<string, unknown> | string;
}

/**
 * Builders of the common `msgKey`/`msgParam` pairs for `sendRobotToUsers`/`sendRobotToGroup`.
 * Any other template: pass `{ msgKey, msgParam }` yourself.
 *
 * @example
 * ```ts
 * await api.sendRobotToGroup({ openConversationId, ...robotMessage.actionCard({ title: 'PR #12', text: 'ready', singleTitle: 'Review', singleURL: url }) });
 * ```
 */
export const robotMessage = {
  /** `sampleText`. */
  text: (content: string): RobotMessage => ({ msgKey: 'sampleText', msgParam: { content } }),
  /** `sampleMarkdown`. */
  markdown: (title: string, text: string): RobotMessage => ({ msgKey: 'sampleMarkdown', msgParam: { title, text } }),
  /** `sampleActionCard` (one button). */
  actionCard: (card: { title: string; text: string; singleTitle: string; singleURL: string }): RobotMessage => ({ msgKey: 'sampleActionCard', msgParam: card }),
  /** `sampleLink`. */
  link: (link: { title: string; text: string; messageUrl: string; picUrl?: string }): RobotMessage => ({ msgKey: 'sampleLink', msgParam: { picUrl: '', ...link } }),
  /** `sampleImageMsg`: a picture URL, or a `mediaId` from `uploadMedia`. */
  image: (photoURL: string): RobotMessage => ({ msgKey: 'sampleImageMsg', msgParam: { photoURL } }),
  /** `sampleFile`: a `mediaId` from `uploadMedia`. */
  file: (mediaId: string, fileName: string, fileType: string): RobotMessage => ({ msgKey: 'sampleFile', msgParam: { mediaId, fileName, fileType } }),
  /** `sampleAudio`: a voice `mediaId` from `uploadMedia` and its length in milliseconds (sent as a string, as documented). */
  audio: (mediaId: string, durationMs: number): RobotMessage => ({ msgKey: 'sampleAudio', msgParam: { mediaId, duration: String(durationMs) } }),
  /**
   * `sampleVideo`: an mp4's `mediaId`, a cover picture's `mediaId` (both from `uploadMedia`) and
   * the length, which DingTalk documents in seconds (`duration`, a string): give milliseconds, it
   * is rounded to seconds.
   */
  video: (videoMediaId: string, picMediaId: string, durationMs: number): RobotMessage => ({ msgKey: 'sampleVideo', msgParam: { duration: String(Math.round(durationMs / 1000)), videoMediaId, videoType: 'mp4', picMediaId } }),
};

/**
 * The robot message that says what a session-webhook reply says (text, markdown, a
 * one-button actionCard), for sending it through the OpenAPI once the webhook expired;
 * `undefined` for any other body. @-mentions do not carry over.
 *
 * @example
 * ```ts
 * robotMessageOf({ msgtype: 'text', text: { content: 'hi' } }); // { msgKey: 'sampleText', msgParam: { content: 'hi' } }
 * ```
 */
export function robotMessageOf(body: Record<string, any>): RobotMessage | undefined {
  const { msgtype, text, markdown, actionCard: card } = body;
  if (msgtype === 'text') return robotMessage.text(text.content);
  if (msgtype === 'markdown') return robotMessage.markdown(markdown.title, markdown.text);
  if (msgtype === 'actionCard' && card.singleTitle) return robotMessage.actionCard({ title: card.title, text: card.text, singleTitle: card.singleTitle, singleURL: card.singleURL });
  return undefined;
}
