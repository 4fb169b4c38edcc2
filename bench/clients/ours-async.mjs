// Our client as most bots are written: the core with an `async` handler, as a user installs
// it: the package root (→ the Node adapter), production defaults except openApiHost, and a
// silent logger.
import { DingTalkStreamClient, TOPIC_ROBOT } from 'dingtalk-stream-universal';
import { serve, work } from './harness.mjs';

await serve(async ({ openApiHost, clientId, clientSecret }) => {
  const client = new DingTalkStreamClient({ clientId, clientSecret, openApiHost, logLevel: 'silent' });
  client.registerCallbackHandler(TOPIC_ROBOT, async (msg) => {
    work.chars += msg.data.text.content.length;
    return null;
  });
  await client.start();
  return { stop: () => client.stop() };
});
