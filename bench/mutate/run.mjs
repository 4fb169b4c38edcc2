// `npm run mutate`: StrykerJS over the runtime-free core and the outbound governor, one group of
// source files at a time, each with the tests that exercise it in this process (a mutant is run
// only against the tests that cover it, but a slow socket test covering everything would make
// every mutant cost seconds). Writes bench/MUTATION.md: the score per file, the command and the
// duration, and every surviving mutant, for a person to kill with a test or to mark equivalent
// in EQUIVALENT below. Not part of `npm test`.
//
// `npm run mutate -- dispatch` runs only the groups whose name contains the word (into
// bench/MUTATION-dispatch.md); `-- connection` runs the slow group left out of the default run.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const GROUPS = [
  { name: 'dispatch: policy and dedup; protocol', mutate: ['src/dispatch/policy.ts', 'src/dispatch/dedup.ts', 'src/protocol/acks.ts', 'src/protocol/frames.ts'], tests: ['test/policy.test.ts', 'test/dedup.test.ts', 'test/frames.test.ts'] },
  { name: 'options', mutate: ['src/options.ts'], tests: ['test/options.test.ts'] },
  { name: 'dispatch: scheduler', mutate: ['src/dispatch/scheduler.ts'], tests: ['test/scheduler.test.ts'] },
  { name: 'dispatch: router and registrations', mutate: ['src/dispatch/router.ts', 'src/dispatch/message.ts'], tests: ['test/router.test.ts', 'test/scheduler.test.ts', 'test/policy.test.ts', 'test/dispatch-defects.test.ts', 'test/config-errors.test.ts'] },
  { name: 'governor', mutate: ['src/chatbot/governor.ts'], tests: ['test/chatbot/governor-rules.test.ts', 'test/chatbot/governor.test.ts'] },
  // src/connection/ (477 mutants, each covered by every socket test: ~50 min here) runs with
  // `npm run mutate -- connection`; it is not in the default run until it has faster tests
  { name: 'connection', mutate: ['src/connection/*.ts'], tests: ['test/connection-parts.test.ts', 'test/client.test.ts', 'test/liveness.test.ts', 'test/connect-errors.test.ts', 'test/redirects.test.ts'], slow: true },
];

/**
 * Surviving mutants that no test can kill, by file and line, with why. A survivor listed here
 * is reported as equivalent, not as a missing test.
 */
const EQUIVALENT = {
  'src/options.ts:41': 'one more turn of the edit-distance loop only appends a value nobody reads',
  'src/dispatch/scheduler.ts:86': 'an extra microtask for a batch already queued runs an empty batch',
  'src/dispatch/scheduler.ts:108': 'arming the sweep again, or at an equal deadline, fires it at the same time',
  'src/dispatch/scheduler.ts:132': 'an extra microtask for a batch already queued runs an empty batch',
  'src/dispatch/scheduler.ts:140': 'a job with no sequence finds no queue under `undefined` either',
  'src/dispatch/scheduler.ts:153': 'a sweep that fires early re-arms for the same deadline (a busier timer, the same times out)',
  'src/dispatch/scheduler.ts:161': 'a job without a deadline is never in the sweep: sync results end before it runs',
  'src/dispatch/scheduler.ts:162': 'a deadline equal to now, to the millisecond: the next sweep takes it',
  'src/dispatch/scheduler.ts:163': 'two equal deadlines: either one arms the same time',
  'src/dispatch/scheduler.ts:165': 'arming for no deadline: the sweep then finds nothing and stops',
  'src/dispatch/router.ts:88': 'the poison row is the same in every CALLBACK and EVENT column, whatever type or mode is named',
  'src/dispatch/router.ts:97': 'the unknownTopic row is the same in every CALLBACK and EVENT column, whatever mode is named',
  'src/dispatch/router.ts:111': 'a key begun for an ack on receipt is remembered (or forgotten) in the same call',
  'src/dispatch/router.ts:117': 'a pending claim carries no outcome: passing it or undefined is the same',
};

const only = process.argv[2];
const groups = GROUPS.filter((g) => (only ? g.name.includes(only) : !g.slow));
const started = Date.now();
const rows = [];
const survivors = [];
for (const group of groups) {
  const t0 = Date.now();
  const env = { ...process.env, MUTATE: group.mutate.join(','), MUTATE_TESTS: group.tests.join(',') };
  console.error(`[mutate] ${group.name}: ${group.mutate.join(', ')} against ${group.tests.join(', ')}`);
  execFileSync('npx', ['stryker', 'run', 'bench/mutate/stryker.config.mjs'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const report = JSON.parse(readFileSync(`${root}bench/mutate/report.json`, 'utf8'));
  for (const [file, { mutants, source }] of Object.entries(report.files)) {
    const count = (status) => mutants.filter((m) => m.status === status).length;
    const killed = count('Killed') + count('Timeout');
    const survived = count('Survived');
    const noCoverage = count('NoCoverage');
    const lines = source.split('\n');
    let equivalent = 0;
    for (const m of mutants.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')) {
      const where = `${file}:${m.location.start.line}`;
      const why = EQUIVALENT[where];
      if (why) equivalent++;
      survivors.push({ where, status: m.status, mutator: m.mutatorName, was: lines[m.location.start.line - 1].trim(), now: m.replacement, why });
    }
    const valid = killed + survived + noCoverage;
    rows.push({ group: group.name, file, killed, survived, noCoverage, equivalent, score: valid ? (100 * killed) / valid : 100, scoreEq: valid - equivalent ? (100 * killed) / (valid - equivalent) : 100, seconds: Math.round((Date.now() - t0) / 1000) });
  }
}

const pct = (x) => `${x.toFixed(1)} %`;
const out = [
  '# Mutation testing results',
  '',
  `Command: \`npm run mutate${only ? ` -- ${only}` : ''}\` (= \`node bench/mutate/run.mjs\`: StrykerJS 9.6.1, vitest runner, perTest coverage; config bench/mutate/)`,
  `Date: ${new Date().toISOString()}; machine: ${os.cpus()[0]?.model.trim()}, ${os.cpus().length} cores, Node ${process.version}; wall time ${Math.round((Date.now() - started) / 1000)} s`,
  '',
  'Score = killed (or timed out) / mutants; "without equivalents" leaves out the survivors marked equivalent below.',
  'Targets (issue 25): ≥ 80 % in src/dispatch/ and src/protocol/, ≥ 70 % in src/connection/ and the governor.',
  '',
  '| file | tests | killed | survived | no coverage | equivalent | score | without equivalents | group time |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.file} | ${GROUPS.find((g) => g.name === r.group).tests.map((t) => t.replace('test/', '')).join(', ')} | ${r.killed} | ${r.survived} | ${r.noCoverage} | ${r.equivalent} | ${pct(r.score)} | ${pct(r.scoreEq)} | ${r.seconds} s |`),
  '',
  '## Surviving mutants',
  '',
  ...(survivors.length ? survivors.map((s) => `- ${s.where} (${s.status}, ${s.mutator}): \`${s.was.slice(0, 120)}\` → \`${String(s.now).slice(0, 80)}\`${s.why ? ` — equivalent: ${s.why}` : ' — **a test to write**'}`) : ['none']),
  '',
];
// a run narrowed to some groups writes a file of its own, so the default run's stays whole
const file = only ? `bench/MUTATION-${only.replace(/\W+/g, '-')}.md` : 'bench/MUTATION.md';
writeFileSync(`${root}${file}`, out.join('\n'));
console.error(`[mutate] written to ${file}`);
