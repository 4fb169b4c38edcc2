// Prints what the package's client made of the options in argv[2] (JSON) and the
// environment, or the error it threw. Run by environment.test.ts in Node, Deno and Bun,
// each picking its own adapter through the bare import.
import { DingTalkStreamClient } from 'dingtalk-stream-universal';

const options = JSON.parse(process.argv[2] ?? 'null') ?? undefined;
try {
  const client = new DingTalkStreamClient(options);
  console.log(JSON.stringify({ clientId: client.clientId, openApiHost: client.settings.openApiHost, platform: client.platform.name }));
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message }));
}
