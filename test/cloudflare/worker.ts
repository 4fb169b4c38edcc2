// The Worker the Cloudflare tests run in workerd: the conformance bot (test/conformance/bot.mjs,
// the same module every runtime runs) inside the Durable Object adapter, through the adapter's
// own module namespace, plus one topic whose handler throws. Bundled by esbuild with the
// `workerd,worker` conditions, as wrangler would.
import * as sdk from '../../adapters/cloudflare.js';
import { createConformanceBot } from '../conformance/bot.mjs';
import { TOPIC_THROWS } from './constants.js';

interface Env extends sdk.DingTalkStreamEnv {
  BOT: sdk.DurableObjectNamespaceLike;
}

/** The conformance bot, exactly as every other runtime runs it. */
export class ConformanceBot extends sdk.DingTalkStreamDurableObject<Env> {
  protected override createClient(): sdk.DingTalkStreamClient {
    return createConformanceBot(sdk, {
      openApiHost: this.env.DINGTALK_OPENAPI_HOST ?? '',
      clientId: this.env.DINGTALK_CLIENT_ID ?? '',
      clientSecret: this.env.DINGTALK_CLIENT_SECRET ?? '',
    }) as sdk.DingTalkStreamClient;
  }
}

/** The conformance bot plus a topic whose handler throws, for the Durable Object tests. */
export class ProbeBot extends ConformanceBot {
  protected override createClient(): sdk.DingTalkStreamClient {
    return super.createClient().registerCallbackHandler(TOPIC_THROWS, () => {
      throw new Error('handler failure on purpose');
    });
  }
}

export default {
  fetch: (request: Request, env: Env) => sdk.routeControl(request, env.BOT),
};
