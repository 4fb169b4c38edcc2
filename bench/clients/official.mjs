// The official Node SDK (dingtalk-stream 2.1.5), used the way its README shows: a callback
// listener that parses `data` itself and acks by hand with socketCallBackResponse (the SDK
// never acks a CALLBACK on its own).
//
// It POSTs to the hardcoded GATEWAY_URL (https://api.dingtalk.com/...) through the default
// axios instance; a request interceptor on that same instance (same module, resolved from
// the same node_modules) rewrites the origin to the local gateway. Nothing else is changed.
import axios from 'axios';
import { DWClient, TOPIC_ROBOT, GATEWAY_URL } from 'dingtalk-stream';
import { serve, work } from './harness.mjs';

const REAL = new URL(GATEWAY_URL).origin;

await serve(async ({ openApiHost, clientId, clientSecret }) => {
  if (!axios.interceptors.request.handlers.length) {
    axios.interceptors.request.use((req) => {
      if (typeof req.url === 'string' && req.url.startsWith(REAL)) req.url = openApiHost + req.url.slice(REAL.length);
      return req;
    });
  }
  const client = new DWClient({ clientId, clientSecret });
  client.registerCallbackListener(TOPIC_ROBOT, (res) => {
    const message = JSON.parse(res.data);
    work.chars += message.text.content.length;
    client.socketCallBackResponse(res.headers.messageId, null);
  });
  await client.connect();
  return { stop: () => client.disconnect() };
});
