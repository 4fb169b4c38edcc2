// A Cloudflare Worker project as wrangler sets it up (issue 21): types
// ["@cloudflare/workers-types"], lib ES2022 without DOM, moduleResolution bundler with the
// `workerd`/`worker` export conditions, strict, skipLibCheck off. Compiled by
// quick-start.test.ts in the empty project that installed the packed package. workers-types'
// EventTarget is generic with its own addEventListener signatures, and it has no
// AddEventListenerOptions: the client's types must not depend on either.
import { DingTalkStreamClient as CoreClient, TOPIC_ROBOT, type DingTalkStreamError } from 'dingtalk-stream-universal';
import {
  DingTalkStreamClient,
  DingTalkStreamDurableObject,
  routeControl,
  TOPIC_CARD,
  type DingTalkStreamEnv,
  type DurableObjectNamespaceLike,
} from 'dingtalk-stream-universal/cloudflare';
import { registerChatbotHandler } from 'dingtalk-stream-universal/chatbot';

interface Env extends DingTalkStreamEnv {
  DINGTALK_BOT: DurableObjectNamespace;
}

/** The bot object, as examples/cloudflare/worker.ts writes it. */
export class EchoBot extends DingTalkStreamDurableObject<Env> {
  protected override register(client: DingTalkStreamClient): void {
    client.addEventListener('error', (e) => console.error(e.detail.code, e.detail.message));
    registerChatbotHandler(client, async (message, reply) => {
      await reply.text(`You said: ${message.text}`);
    });
    client.registerCallbackHandler(TOPIC_CARD, (msg) => ({ cardData: { cardParamMap: { clicked: msg.data.outTrackId } } }));
  }
}

// workers-types' own classes fit where the package takes its structural "Like" types
const namespace: DurableObjectNamespaceLike = {} as DurableObjectNamespace;
void namespace;

export default {
  fetch: (request: Request, env: Env): Promise<Response> => routeControl(request, env.DINGTALK_BOT),
} satisfies ExportedHandler<Env>;

// the core client straight from the package root (the `workerd` condition), used by hand
export async function run(env: Env, signal: AbortSignal): Promise<void> {
  const client = new CoreClient({ clientId: env.DINGTALK_CLIENT_ID ?? '', clientSecret: env.DINGTALK_CLIENT_SECRET ?? '', signal });
  client.addEventListener('error', (e) => {
    const error: DingTalkStreamError = e.detail;
    console.error(error.code);
  });
  const onClose = (e: CustomEvent<{ connectionId: number; code: number; reason: string }>) => console.log(e.detail.code);
  client.addEventListener('close', onClose, { once: true });
  client.removeEventListener('close', onClose);
  // @ts-expect-error no such event
  client.addEventListener('eror', () => {});
  client.registerCallbackHandler(TOPIC_ROBOT, (msg) => msg.data.text?.content);
  await client.start();
  await client.stop();
}
