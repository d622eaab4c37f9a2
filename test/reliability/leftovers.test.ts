/**
 * Nothing left behind: `emulate --pty` stopped by any of the signals a terminal or a service
 * manager sends ends its socat and removes its pseudo-terminal folder.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { startEmulate } from '../helpers/emulate.js';
import { SOCAT, skipUnless } from '../helpers/system-tools.js';

const skipPty = skipUnless(SOCAT) || (process.platform === 'linux' ? false : 'looks for processes in /proc (Linux)');

for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) {
  test(`emulate --pty stopped by ${signal} ends its socat and removes its pty folder`, { skip: skipPty }, async () => {
    const emulator = await startEmulate(['-p', 'ymodem', '--pty']);
    const pty = emulator.pty!;
    assert.ok(existsSync(pty));
    assert.ok((await processesMentioning(pty)).length > 0, 'socat serves the pty');
    emulator.signal(signal);
    await emulator.exited;
    const left = await processesMentioning(pty);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    assert.deepEqual(left, [], `socat outlived emulate after ${signal}`);
    assert.equal(existsSync(dirname(pty)), false, `${dirname(pty)} is left behind`);
  });
}

/** Processes whose command line holds `text` (socat's holds the pty's path), after a moment to exit. */
async function processesMentioning(text: string): Promise<number[]> {
  for (let attempt = 0; ; attempt++) {
    const found = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(text);
        } catch {
          return false;
        }
      })
      .map(Number);
    if (found.length === 0 || attempt >= 20) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
