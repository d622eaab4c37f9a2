/**
 * The fault matrix, quick slice: about a hundred seeded runs, every profile, every fault alone
 * and mixed, each held to the invariants (see judge.ts). `npm run soak` runs thousands.
 * A failing seed replays alone with `npm run soak -- --seed N`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeProblems, formatTable, isRecoverable, runMatrix, scenarios, tally } from './matrix.js';
import { DEVICE_KINDS } from './scenarios.js';

/** Fifteen seeds per device kind: each gets faults alone, mixed and fatal. */
const QUICK_RUNS = DEVICE_KINDS.length * 15;

test(`fault matrix, quick slice: ${QUICK_RUNS} seeded runs never lie and explain every failure`, { timeout: 120_000 }, async (t) => {
  const records = await runMatrix(scenarios(1, QUICK_RUNS));
  const summary = tally(records);
  for (const line of formatTable(summary).split('\n')) t.diagnostic(line);
  const problems = describeProblems(records);
  assert.equal(summary.falseSuccesses, 0, problems.join('\n'));
  assert.equal(summary.silentFailures, 0, problems.join('\n'));
  assert.equal(summary.otherViolations, 0, problems.join('\n'));
  // A hundred runs cannot measure 99% to the run; the soak does. Here: at most one miss.
  const missed = records.filter((r) => isRecoverable(r.scenario) && r.verdict !== 'success');
  assert.ok(missed.length <= 1, `recoverable faults failed ${missed.length} runs:\n${describeProblems(missed).join('\n')}`);
  // Every kind of fault was exercised, and some runs failed: the slice is not all easy cases.
  for (const fault of ['drop-ack', 'corrupt', 'noise', 'slow-first-answer', 'slow-header-ack', 'device-abort', 'device-reset', 'host-silent']) {
    assert.ok(records.some((r) => r.scenario.faults.includes(fault as never)), `no run had ${fault}`);
  }
  assert.ok(summary.explainedFailures > 0 && summary.successes > summary.explainedFailures);
});
