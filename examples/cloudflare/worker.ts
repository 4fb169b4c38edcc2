// An echo bot as a Cloudflare Durable Object: send it "hello", it answers "You said: hello".
// The object holds the outbound Stream connection; an alarm every 30 s keeps it up and brings
// it back after an eviction or a restart. The Worker only forwards the token-guarded control
// routes (POST /start, POST /stop, GET /status) to the one bot object.
//
//   npx wrangler secret put DINGTALK_CLIENT_ID        # your app's AppKey
//   npx wrangler secret put DINGTALK_CLIENT_SECRET    # your app's AppSecret
//   npx wrangler secret put DINGTALK_CONTROL_TOKEN    # any long random string
//   npx wrangler deploy
//   curl -X POST -H "Authorization: Bearer $TOKEN" https://<your-worker>.workers.dev/start
//
// See wrangler.toml at the repository root, and docs/cloudflare.md.
import { DingTalkStreamDurableObject, routeControl, type DingTalkStreamClient, type DingTalkStreamEnv, type DurableObjectNamespaceLike } from 'dingtalk-stream-universal/cloudflare';
import { registerChatbotHandler } from 'dingtalk-stream-universal/chatbot';

/** The Worker's bindings: the secrets (see DingTalkStreamEnv) and the bot's namespace. */
interface Env extends DingTalkStreamEnv {
  DINGTALK_BOT: DurableObjectNamespaceLike;
}

/** The bot object: its handlers are registered on every client it builds (also after an eviction). */
export class EchoBot extends DingTalkStreamDurableObject<Env> {
  protected override register(client: DingTalkStreamClient): void {
    registerChatbotHandler(client, async (message, reply) => {
      await reply.text(`You said: ${message.text}`);
    });
  }
}

export default {
  fetch: (request: Request, env: Env): Promise<Response> => routeControl(request, env.DINGTALK_BOT),
};
