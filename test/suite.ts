/**
 * `npm test`: every test file under node --test, in a private $TMPDIR, then a check that the
 * run left nothing behind — no files or folders in that $TMPDIR and no process it started
 * (socat, rb, qemu, a CLI child) still running. Leftovers are listed, removed and fail the run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST_ROOT = dirname(fileURLToPath(import.meta.url));
/** Every process the suite starts inherits this variable, so the ones still alive at the end can be found. */
const MARKER = 'SERIAL_FLASH_SUITE_RUN';
/**
 * A test file still running after this long has hung: it fails with its name instead of holding
 * CI up forever. The slowest file takes under a minute on a loaded 2-core machine.
 */
const FILE_TIMEOUT_MS = 300_000;
/** Processes get this long to finish exiting after the last test file ends. */
const EXIT_GRACE_MS = 2_000;

const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles(TEST_ROOT);
const suiteTmp = mkdtempSync(join(tmpdir(), 'serial-flash-suite-'));
const runId = `${process.pid}-${Date.now()}`;

const code = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, ['--test', '--test-concurrency=2', `--test-timeout=${FILE_TIMEOUT_MS}`, ...files], {
    stdio: 'inherit',
    env: { ...process.env, TMPDIR: suiteTmp, [MARKER]: runId },
  });
  child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
});

const problems: string[] = [];
let stray = straysOf(runId);
const graceEnd = performance.now() + EXIT_GRACE_MS;
while (stray.length > 0 && performance.now() < graceEnd) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  stray = straysOf(runId);
}
for (const { pid, command } of stray) {
  problems.push(`process ${pid} still running: ${command}`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // it ended meanwhile
  }
}
for (const entry of readdirSync(suiteTmp)) problems.push(`left in $TMPDIR: ${entry}`);
rmSync(suiteTmp, { recursive: true, force: true });

if (problems.length > 0) {
  console.error(`\nThe tests left things behind (each test must clean up after itself, see test/helpers/temp-dir.ts):\n  ${problems.join('\n  ')}`);
}
process.exit(code !== 0 ? code : problems.length > 0 ? 1 : 0);

function testFiles(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.test.js'))
    .map((file) => join(relative(process.cwd(), root), file))
    .sort();
}

/** Processes (Linux: /proc) whose environment carries this run's marker. */
function straysOf(id: string): { pid: number; command: string }[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return []; // no /proc (macOS): the folder check still runs
  }
  const found: { pid: number; command: string }[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${MARKER}=${id}`)) continue;
      found.push({ pid, command: readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim() });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}
