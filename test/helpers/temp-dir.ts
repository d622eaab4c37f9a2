/**
 * Temporary folders for tests and benchmarks. Each is removed when the process exits, however
 * the test ended (a failed assertion skips a test's own clean-up), so a run leaves nothing in
 * $TMPDIR. `npm test` checks that it did (test/suite.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();
let cleanupRegistered = false;

/** A new empty folder `$TMPDIR/serial-flash-<purpose>-XXXXXX`, removed at exit (or earlier by `removeTempDir`). */
export function tempDir(purpose: string): string {
  const dir = mkdtempSync(join(tmpdir(), `serial-flash-${purpose}-`));
  made.add(dir);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.once('exit', removeAllTempDirs);
  }
  return dir;
}

/** Removes one folder made by `tempDir` now, for tests that make many. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  made.delete(dir);
}

function removeAllTempDirs(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}
