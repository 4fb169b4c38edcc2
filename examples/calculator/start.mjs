// `npm start`: runs the calculator bot.
// - With DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET set, it connects to DingTalk
//   (DINGTALK_OPENAPI_HOST overrides the host, e.g. https://api.dingtalk.io) and runs until Ctrl+C.
// - Without them, it starts the local DingTalk simulator (the same one as
//   `npx dingtalk-stream-universal dev`), connects the bot to it, says a few things to it,
//   and keeps running: open the printed URL and chat with the bot in your browser, or
//   connect a bot of your own with the credentials it prints (the calculator then leaves).
import { createCalculatorBot, giveWayToYourBot } from './bot.mjs';

const clientId = process.env.DINGTALK_CLIENT_ID;
const clientSecret = process.env.DINGTALK_CLIENT_SECRET;

if (clientId && clientSecret) {
  const client = createCalculatorBot({ clientId, clientSecret, openApiHost: process.env.DINGTALK_OPENAPI_HOST || undefined });
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void client.stop());
  client.addEventListener('open', () => console.log('Connected. Send the bot "1+1". Ctrl+C to stop.'));
  await client.startForever();
} else {
  // the same simulator, credentials and port as `npx dingtalk-stream-universal dev`
  const { DingTalkSimulator, SIMULATOR_PORT } = await import('dingtalk-stream-universal/testing');
  const port = Number(process.env.PORT ?? SIMULATOR_PORT);
  const sim = await DingTalkSimulator.start({ port: Number.isInteger(port) ? port : SIMULATOR_PORT, botName: 'CalcBot' }).catch((err) => {
    if (err.code !== 'EADDRINUSE') throw err;
    return DingTalkSimulator.start({ port: 0, botName: 'CalcBot' }); // taken: any free port
  });
  console.log(`No DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET set: using the local DingTalk simulator.\n`);
  const client = createCalculatorBot({ ...sim.clientOptions(), logLevel: 'warn' });
  const started = performance.now();
  await client.start();
  console.log(`bot connected in ${Math.round(performance.now() - started)} ms\n`);
  const questions = process.argv.slice(2).length ? process.argv.slice(2) : ['1+1', '(2 + 3) * 4', 'hello'];
  for (const question of questions) {
    console.log(`  you › ${question}`);
    const reply = await sim.chat(question);
    console.log(`  bot › ${reply.text.replace(/\n/g, '\n        ')}\n`);
  }
  giveWayToYourBot(client, sim, () => console.log('Another bot connected: the calculator bot left, so that yours gets every message.'));
  console.log(`Chat with the bot in your browser: ${sim.url}  (Ctrl+C to stop)\n`);
  console.log(`${sim.connectHelp('node bot.mjs')}\nThe calculator bot leaves when yours connects.\n`);
  console.log('Set DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET to run the calculator bot against DingTalk instead.');
  const stop = async () => {
    await client.stop();
    await sim.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void stop());
}
