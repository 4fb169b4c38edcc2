// What a TypeScript user of the packed package gets (compiled by quick-start.test.ts in an
// empty project: strict, exactOptionalPropertyTypes, lib ES2022, no @types/*, skipLibCheck
// off; once with moduleResolution "bundler", once "nodenext"). Each @ts-expect-error is a
// mistake the types must catch: an unused one fails the compile.
import { DingTalkStreamClient, TOPIC_ROBOT, TOPIC_CARD, GatewayAuthError, type DingTalkStreamError } from 'dingtalk-stream-universal';
import { DingTalkOpenApi, registerCardCallbackHandler, cardCallbackResponse } from 'dingtalk-stream-universal/chatbot';

declare const env: Record<string, string | undefined>;
const client = new DingTalkStreamClient({
  clientId: 'id',
  clientSecret: 'secret',
  openApiHost: env.DINGTALK_OPENAPI_HOST, // string | undefined under exactOptionalPropertyTypes
  idleTimeoutMs: undefined,
  proxy: env.HTTPS_PROXY, // the Node adapter's option, seen under moduleResolution "bundler"
});
client.registerCallbackHandler(TOPIC_ROBOT, (msg) => {
  const text: string | undefined = msg.data.text?.content;
  // @ts-expect-error data is typed: no such field chain
  msg.data.this.does.not.exist();
  return text;
});
client.registerCallbackHandler('/v1.0/some/topic', (msg) => {
  // @ts-expect-error an unknown topic's data is unknown, not any
  msg.data.orderId;
});
client.registerCallbackHandler<{ orderId: string }>('/v1.0/other/topic', (msg) => msg.data.orderId);
client.addEventListener('error', (e) => {
  const error: DingTalkStreamError = e.detail;
  console.warn(error.code);
});
client.addEventListener('reconnecting', (e) => console.warn(e.detail.delay, e.detail.error?.message));
// @ts-expect-error no such event
client.addEventListener('eror', () => {});
registerCardCallbackHandler(client, (cb) => {
  // @ts-expect-error params are unknown, not any
  cb.params.action.toUpperCase();
  return cardCallbackResponse({ cardData: { status: cb.params.action } });
});
const api = new DingTalkOpenApi(client);
async function calls(): Promise<void> {
  const user = await api.request('POST', '/v1.0/contact/users/query', {});
  // @ts-expect-error request() answers unknown unless told
  user.name;
  const typed = await api.request<{ name: string }>('POST', '/v1.0/contact/users/query', {});
  console.log(typed.name);
  await client[Symbol.asyncDispose]();
}
void calls;
for await (const msg of client.messages(TOPIC_CARD)) console.log(msg.data.outTrackId);
// instanceof still narrows (the errors' Symbol.hasInstance, which also accepts the other build's copy, is a type guard)
declare const thrown: unknown;
if (thrown instanceof GatewayAuthError) console.log(thrown.status.toFixed());
// @ts-expect-error without the check it is unknown
thrown.status;

// `DingTalkStreamError.code` is a union of string literals, so a typo in a code is a compile
// error (issue 21, item 5) …
declare const err: DingTalkStreamError;
// @ts-expect-error a typo: no error has the code AUTH_FAILD
if (err.code === 'AUTH_FAILD') console.error('never');
if (err.code === 'AUTH_FAILED') console.error('check the app credentials');
// … and a handler option's callbacks get the topic's typed message, like the handler.
const onRobot = (msg: { data: { text?: { content?: string } | undefined } }) => msg.data.text?.content;
client.registerCallbackHandler(TOPIC_ROBOT, onRobot, { replace: true, sequential: (m) => m.data.conversationId, onBusy: (m) => m.data.conversationId });
