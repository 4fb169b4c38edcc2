// The calculator bot from the Python SDK's README: send it "1+1", it answers
// "Q: 1+1\nA: 2". The arithmetic is parsed, never eval'd.
import { DingTalkStreamClient } from 'dingtalk-stream-universal';
import { registerChatbotHandler } from 'dingtalk-stream-universal/chatbot';
import { answer } from './arithmetic.mjs';

const DEMO_UA = 'calculator-demo';

/**
 * Builds the calculator bot's client; call `start()` or `startForever()` on it.
 * @param {import('dingtalk-stream-universal').ClientOptions} options
 */
export function createCalculatorBot(options) {
  const client = new DingTalkStreamClient({ ua: DEMO_UA, ...options });
  // like Python's ChatbotHandler.process + reply_text: the ack goes out when this returns
  registerChatbotHandler(client, async (message, reply) => {
    const response = answer(message.text);
    client.logger.info(response.replace('\n', '  '));
    await reply.text(response, { sender: true });
  });
  return client;
}

/**
 * In the local simulator (`npm start`, `dev`): the calculator leaves as soon as another bot
 * with the right credentials opens a connection, so that your bot gets every message
 * instead of every other one (the gateway spreads pushes over the open connections).
 * @param {{ stop(): Promise<void> }} client the calculator's client
 * @param {import('dingtalk-stream-universal/testing').DingTalkSimulator} sim
 * @param {() => void} [onLeave] called once it has left
 */
export function giveWayToYourBot(client, sim, onLeave) {
  let left = false;
  sim.gateway.tap((e) => {
    if (left || e.dir !== 'http' || e.status !== 200 || e.request.path !== '/v1.0/gateway/connections/open') return;
    if (String(e.request.body?.ua ?? '').endsWith(DEMO_UA)) return;
    left = true;
    void client.stop().then(onLeave);
  });
}
