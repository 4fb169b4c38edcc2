// The testing kit under `deno test`, importing the package the way a Deno user does:
//   deno test --allow-net=127.0.0.1 --allow-env --allow-read echo_bot.test.ts
// The bot under test is defined here to keep the file self-contained; import yours instead.
import assert from 'node:assert/strict';
import { DingTalkStreamClient, type ClientOptions } from 'npm:dingtalk-stream-universal';
import { registerChatbotHandler } from 'npm:dingtalk-stream-universal/chatbot';
import { DingTalkSimulator } from 'npm:dingtalk-stream-universal/testing';

/** The bot under test: echoes what it is told. */
function createEchoBot(options: ClientOptions): DingTalkStreamClient {
  const client = new DingTalkStreamClient(options);
  registerChatbotHandler(client, (message, reply) => reply.text(`echo: ${message.text}`));
  return client;
}

Deno.test('the echo bot answers in a 1:1 chat and acks with 200', async () => {
  const sim = await DingTalkSimulator.start({ botName: 'EchoBot' });
  const bot = createEchoBot({ ...sim.clientOptions(), logger: null });
  await bot.start();
  try {
    const reply = await sim.chat('hello');
    assert.equal(reply.text, 'echo: hello');
    const sent = sim.send('again');
    await sim.waitForMessage((m) => m.id === sent.id && m.ack !== 'pending');
    assert.equal(sent.ack, '200');
  } finally {
    await bot.stop();
    await sim.close();
  }
});
