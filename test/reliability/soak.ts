/**
 * `npm run soak [-- RUNS] [--from SEED] [--seed SEED] [--concurrency N] [--time-scale X]`:
 * thousands of seeded fault-matrix runs, then the table. Exits 1 when a run lied (false
 * success), failed silently, broke another invariant, or when fewer than 99% of the runs with
 * recoverable faults succeeded. `--seed N` replays one run and prints everything about it.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CONCURRENCY, describeProblems, describeScenario, formatTable, runMatrix, scenarioFor, scenarios, tally } from './matrix.js';

const DEFAULT_RUNS = 2_000;
/** At least this share of the runs with recoverable faults (≤ 5% loss or damage) must succeed. */
const MIN_RECOVERABLE_SUCCESS = 0.99;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: String(DEFAULT_CONCURRENCY) },
    'time-scale': { type: 'string' },
  },
});

const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
const concurrency = Number(values.concurrency);

if (values.seed !== undefined) {
  const [record] = await runMatrix([scenarioFor(Number(values.seed))], { timeScale, concurrency: 1, log: true });
  console.log(describeScenario(record!.scenario));
  console.log(record!.log!.join('\n'));
  console.log(JSON.stringify({ ...record, scenario: undefined, log: undefined }, null, 2));
  process.exit(record!.verdict === 'success' || record!.verdict === 'explained-failure' ? 0 : 1);
}

const runs = Number(positionals[0] ?? DEFAULT_RUNS);
const from = Number(values.from);
const started = performance.now();
let done = 0;
const records = await runMatrix(scenarios(from, runs), {
  timeScale,
  concurrency,
  onRecord: () => {
    if (++done % 250 === 0) process.stderr.write(`${done}/${runs} runs…\n`);
  },
});
const t = tally(records);
console.log(`Fault matrix soak: seeds ${from}–${from + runs - 1}, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
console.log(formatTable(t));
const problems = describeProblems(records);
if (problems.length > 0) console.log(`\nRuns to look at (replay one with --seed N):\n${problems.join('\n')}`);
const recoverableOk = t.recoverableRuns === 0 || t.recoverableSuccesses / t.recoverableRuns >= MIN_RECOVERABLE_SUCCESS;
process.exit(t.falseSuccesses === 0 && t.silentFailures === 0 && t.otherViolations === 0 && recoverableOk ? 0 : 1);
