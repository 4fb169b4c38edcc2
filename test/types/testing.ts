// The /testing kit's types with @types/node but without @types/ws (skipLibCheck off):
// compiled by quick-start.test.ts in an empty project.
import { DingTalkSimulator, FakeDingTalkGateway, type FakeConnection } from 'dingtalk-stream-universal/testing';
const sim = await DingTalkSimulator.start({ botName: 'Bot' });
const gw: FakeDingTalkGateway = sim.gateway;
const conn: FakeConnection | undefined = gw.live()[0];
conn?.socket.close(4000, 'bye');
await sim.close();
