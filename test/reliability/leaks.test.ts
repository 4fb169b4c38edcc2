// Fault scenario 9: 1,000 connect/kill/reconnect cycles without growth, and stop() at any
// point being final with nothing left running.
import { spawn, execFile } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { gateway } from '../helpers/setup.js';
import { record } from './harness.js';

const CYCLES = 1_000;

describe('reliability: leaks and stop()', () => {
  it(`keeps one socket and flat timers and memory over ${CYCLES} kill/reconnect cycles (scenario 9)`, async () => {
    const gw = await gateway({ redeliverAfterMs: 0 });
    const child = spawn(process.execPath, ['test/reliability/fixtures/churn-client.mjs', gw.openApiHost, gw.clientId, gw.clientSecret], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
    try {
      expect(await next()).toBe('READY');
      const measure = async () => {
        child.stdin!.write('measure\n');
        return JSON.parse(await next()) as { opens: number; heapUsed: number; rss: number; resources: Record<string, number>; status: { connections: { open: number; draining: number; peak: number } } };
      };
      const reconnect: number[] = [];
      let baseline: Awaited<ReturnType<typeof measure>> | undefined;
      for (let i = 1; i <= CYCLES; i++) {
        const before = gw.connections.length;
        const t = performance.now();
        gw.kill(gw.live()[0]);
        await gw.waitFor(() => gw.connections.length > before && gw.live().length === 1, 5_000, `reconnect ${i}`);
        reconnect.push(performance.now() - t);
        if (i === 100) baseline = await measure();
      }
      const after = await measure();
      const growthKb = Math.round((after.heapUsed - baseline!.heapUsed) / 1024);
      const sorted = reconnect.sort((a, b) => a - b);
      record({ scenario: `9. ${CYCLES} kill/reconnect cycles`, sent: 0, lost: 0, duplicates: 0, reconnectMedianMs: Math.round(sorted[CYCLES / 2]!), reconnectWorstMs: Math.round(sorted[CYCLES - 1]!), peakConnections: after.status.connections.peak, notes: `heap growth after GC from cycle 100 to ${CYCLES}: ${growthKb} KB (bound 2 MB); active handles/timers ${JSON.stringify(baseline!.resources)} → ${JSON.stringify(after.resources)}; test backoff 1–3 ms` });
      expect(after.opens).toBe(CYCLES + 1);
      expect(gw.live()).toHaveLength(1);
      expect(after.status.connections).toMatchObject({ open: 1, draining: 0, peak: 1 });
      expect(after.resources).toEqual(baseline!.resources);
      expect(growthKb).toBeLessThan(2048);
      child.stdin!.write('stop\n');
      const stopped = JSON.parse(await next()) as { resources: Record<string, number> };
      expect(stopped.resources.Timeout ?? 0).toBe(0);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(0); // exited by itself once stopped
    } finally {
      child.kill();
    }
  });

  it('stop() during open, handshake, backoff, make-before-break or while connected is final, and the process then exits by itself (scenario 9)', async () => {
    const started = performance.now();
    const { stdout } = await promisify(execFile)(process.execPath, ['test/reliability/fixtures/stop-anywhere.mjs'], { timeout: 30_000 });
    const exitMs = Math.round(performance.now() - started);
    const results = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, { stopMs: number; liveAfter: number; openCallsAfterStop: number; state: string; startSettled: unknown }>;
    record({ scenario: '9. stop() in every phase', sent: 0, lost: 0, duplicates: 0, peakConnections: 2, notes: `stop() took ${Object.entries(results).map(([k, v]) => `${v.stopMs} ms ${k}`).join(', ')}; the process exited by itself` });
    expect(Object.keys(results)).toHaveLength(5);
    for (const [phase, r] of Object.entries(results)) {
      expect(r, phase).toMatchObject({ liveAfter: 0, openCallsAfterStop: 0, state: 'stopped' });
      // the bound is the point: stop() ends every wait at once (it measured well under 100 ms); 5 s is room for a loaded machine
      expect(r.stopMs, phase).toBeLessThan(5_000);
    }
    expect(results['during the open call']!.startSettled).toBe('STOPPED');
    expect(exitMs).toBeLessThan(30_000);
  });
});
