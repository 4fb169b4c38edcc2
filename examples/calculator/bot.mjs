// The calculator bot from the Python SDK's README: send it "1+1", it answers
// "Q: 1+1\nA: 2". The arithmetic is parsed, never eval'd.
import { DingTalkStreamClient } from 'dingtalk-stream-universal';
import { registerChatbotHandler } from 'dingtalk-stream-universal/chatbot';
import { answer } from './arithmetic.mjs';

/**
 * Builds the calculator bot's client; call `start()` or `startForever()` on it.
 * @param {import('dingtalk-stream-universal').ClientOptions} options
 */
export function createCalculatorBot(options) {
  const client = new DingTalkStreamClient(options);
  // like Python's ChatbotHandler.process + reply_text: the ack goes out when this returns
  registerChatbotHandler(client, async (message, reply) => {
    const response = answer(message.text);
    client.logger.info(response.replace('\n', '  '));
    await reply.text(response, { sender: true });
  });
  return client;
}
