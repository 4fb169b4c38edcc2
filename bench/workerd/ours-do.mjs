// A minimal Durable Object hosting our client, for the cold-start figure: the first
// request creates the client and answers once its first connection is open.
// Bundled by bench/workerd.mjs against the built core (dist/index.mjs, what the `workerd`
// export condition picks).
import { DingTalkStreamClient, TOPIC_ROBOT } from '../../dist/index.mjs';

export class BotDO {
  constructor(state, env) {
    this.env = env;
    this.client = undefined;
  }
  async fetch() {
    if (!this.client) {
      this.client = new DingTalkStreamClient({ clientId: this.env.CLIENT_ID, clientSecret: this.env.CLIENT_SECRET, openApiHost: this.env.GATEWAY, logLevel: 'silent' });
      this.client.registerCallbackHandler(TOPIC_ROBOT, () => null);
      await this.client.start();
    }
    return new Response('open');
  }
}

export default {
  fetch(request, env) {
    return env.BOT.get(env.BOT.idFromName('bot')).fetch(request);
  },
};
