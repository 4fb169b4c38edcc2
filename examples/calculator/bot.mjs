// The calculator bot from the Python SDK's README, in TypeScript-flavoured JavaScript:
// send it "1+1", it answers "Q: 1+1\nA: 2". The arithmetic is parsed, never eval'd.
import { DingTalkStreamClient, TOPIC_ROBOT } from 'dingtalk-stream-universal';
import { answer } from './arithmetic.mjs';

/**
 * Builds the calculator bot's client; call `start()` or `startForever()` on it.
 * @param {import('dingtalk-stream-universal').ClientOptions} options
 */
export function createCalculatorBot(options) {
  const client = new DingTalkStreamClient(options);
  client.registerCallbackHandler(TOPIC_ROBOT, async (message) => {
    const { text, sessionWebhook, senderStaffId } = message.data;
    const reply = answer(text?.content ?? '');
    client.logger.info(reply.replace('\n', '  '));
    const res = await client.platform.fetch(sessionWebhook, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ msgtype: 'text', text: { content: reply }, at: { atUserIds: senderStaffId ? [senderStaffId] : [] } }),
    });
    if (!res.ok) throw new Error(`reply failed with HTTP ${res.status}`);
    return null;
  });
  return client;
}
