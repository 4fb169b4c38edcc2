// Our client with a bare synchronous handler (an extra row: few bots are written this way),
// as a user installs it: the package root (→ the Node adapter), production defaults except
// openApiHost, and a silent logger.
import { DingTalkStreamClient, TOPIC_ROBOT } from 'dingtalk-stream-universal';
import { benchPlatform, serve, work } from './harness.mjs';

const platform = await benchPlatform(); // the adapter's own unless BENCH_SOCKET says otherwise
await serve(async ({ openApiHost, clientId, clientSecret }) => {
  const client = new DingTalkStreamClient({ clientId, clientSecret, openApiHost, logLevel: 'silent', platform });
  client.registerCallbackHandler(TOPIC_ROBOT, (msg) => {
    work.chars += msg.data.text.content.length;
    return null;
  });
  await client.start();
  return { stop: () => client.stop() };
});
