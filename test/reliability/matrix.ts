/**
 * The fault matrix runner shared by `npm test` (a quick slice) and `npm run soak` (thousands
 * of runs): seeded scenarios run in parallel (each against its own virtual device), then a
 * tally of what the invariants found.
 */
import { ImageStore } from './images.js';
import { runScenario, type RunRecord } from './run.js';
import { describeScenario, isRecoverable, scenarioFor, type Scenario } from './scenarios.js';

export { describeScenario, scenarioFor, isRecoverable, timeoutScenarios, type Scenario } from './scenarios.js';
export { runScenario, DEFAULT_TIME_SCALE, type RunRecord } from './run.js';
export { ImageStore } from './images.js';

/** Runs wait on timers, not the CPU: many at once keep two cores busy without starving timers. */
export const DEFAULT_CONCURRENCY = 12;

export interface MatrixOptions {
  concurrency?: number;
  timeScale?: number;
  images?: ImageStore;
  onRecord?: (record: RunRecord) => void;
  log?: boolean;
}

export function scenarios(firstSeed: number, count: number): Scenario[] {
  return Array.from({ length: count }, (_, i) => scenarioFor(firstSeed + i));
}

export async function runMatrix(list: readonly Scenario[], options: MatrixOptions = {}): Promise<RunRecord[]> {
  const images = options.images ?? new ImageStore();
  const records: RunRecord[] = new Array(list.length);
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const index = next++;
      const record = await runScenario(list[index]!, { images, timeScale: options.timeScale, log: options.log });
      records[index] = record;
      options.onRecord?.(record);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, list.length) }, worker));
  return records;
}

export interface Tally {
  runs: number;
  successes: number;
  explainedFailures: number;
  falseSuccesses: number;
  silentFailures: number;
  /** Runs that broke an invariant outside the verdict: port left open or at a risky rate, CANs mid-block. */
  otherViolations: number;
  /** Runs whose faults were all recoverable at ≤ 5%, and how many of them succeeded. */
  recoverableRuns: number;
  recoverableSuccesses: number;
}

export function tally(records: readonly RunRecord[]): Tally {
  const count = (test: (r: RunRecord) => boolean) => records.filter(test).length;
  const recoverable = records.filter((r) => isRecoverable(r.scenario));
  return {
    runs: records.length,
    successes: count((r) => r.verdict === 'success'),
    explainedFailures: count((r) => r.verdict === 'explained-failure'),
    falseSuccesses: count((r) => r.verdict === 'false-success'),
    silentFailures: count((r) => r.verdict === 'silent-failure'),
    otherViolations: count((r) => r.violations.some((v) => !v.startsWith('unexplained:'))),
    recoverableRuns: recoverable.length,
    recoverableSuccesses: recoverable.filter((r) => r.verdict === 'success').length,
  };
}

export function formatTable(t: Tally): string {
  const rate = t.recoverableRuns ? ((100 * t.recoverableSuccesses) / t.recoverableRuns).toFixed(1) : '–';
  const rows: [string, string | number][] = [
    ['runs', t.runs],
    ['successes', t.successes],
    ['explained failures', t.explainedFailures],
    ['false successes (must be 0)', t.falseSuccesses],
    ['silent failures (must be 0)', t.silentFailures],
    ['other invariant breaches (must be 0)', t.otherViolations],
    ['recoverable runs (faults ≤ 5%)', t.recoverableRuns],
    ['  of which succeeded', `${t.recoverableSuccesses} (${rate}%, must be ≥ 99%)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** One line per run that broke something, or failed although its faults were recoverable, with its seed for replaying. */
export function describeProblems(records: readonly RunRecord[]): string[] {
  return records
    .filter((r) => r.verdict !== 'success' || r.violations.length > 0)
    .filter((r) => r.verdict !== 'explained-failure' || r.violations.length > 0 || isRecoverable(r.scenario))
    .map((r) => `${describeScenario(r.scenario)} → ${r.verdict} (exit ${r.exitCode}${r.code ? `, ${r.code}` : ''}): ${r.violations.join('; ') || r.message}`);
}
