/**
 * The progress bar and Ctrl-C as a person sees them: the real CLI in a tmux terminal of a
 * given width, flashing `serial-flash emulate` (slowed down so there is a bar to look at).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from '../helpers/cli.js';
import { startEmulate } from '../helpers/emulate.js';
import { openTerminal, skipWithoutTmux } from '../helpers/terminal.js';

const IMAGE = fixture('photon-user-part.bin');
const skip = skipWithoutTmux();
/**
 * The device erases for 4 s before it acknowledges the header: a bar at 0% that a loaded
 * machine cannot miss (each capture of the screen is a process start).
 */
const SLOW = ['--stay-listening', '--erase-ms', '4000', '--write-ms', '100'];

const barRow = (rows: string[]) => rows.find((row) => /\d+%/.test(row) && /[█░]/.test(row));

for (const columns of [60, 80]) {
  test(`the bar in a ${columns}-column terminal: whole figures, no "ETA 0s" before the first block`, { skip }, async () => {
    const emulator = await startEmulate(SLOW);
    const terminal = openTerminal([emulator.url, IMAGE], { columns, rows: 30 });
    try {
      const atStart = barRow(await terminal.waitFor(/ 0%/));
      assert.ok(atStart, 'no bar at 0%');
      assert.doesNotMatch(atStart, /ETA 0s/);
      assert.equal(await terminal.exited(), 0);
      const done = barRow(terminal.screen());
      assert.ok(done);
      // Nothing cut at the terminal's edge: the figures end where they should.
      assert.match(done, /100% \| 3\.9 KiB\/3\.9 KiB( \| [\d.]+ (B|KiB)\/s( \| ETA \d+s)?)?$/, done);
      assert.ok(done.length < columns, done);
      if (columns >= 80) assert.match(done, /ETA \d+s$/);
      for (const row of terminal.screen()) assert.ok(row.length <= columns, row);
    } finally {
      terminal.close();
      emulator.interrupt();
      await emulator.exited;
    }
  });
}

test('Ctrl-C during the bar: "^C" does not overwrite the bar, and the cancellation is said below it', { skip }, async () => {
  const emulator = await startEmulate(SLOW);
  const terminal = openTerminal([emulator.url, IMAGE], { columns: 80, rows: 30 });
  try {
    await terminal.waitFor(/ 0%/);
    terminal.keys('C-c');
    assert.equal(await terminal.exited(), 130);
    const rows = terminal.screen();
    const bar = barRow(rows);
    assert.ok(bar, rows.join('\n'));
    assert.match(bar, /^ [█░]/, `the bar's first characters: ${bar}`);
    const below = rows.slice(rows.indexOf(bar) + 1).join('\n');
    assert.match(below, /cancelled after 0 of 4004 bytes/);
    assert.doesNotMatch(below, /\^C\S/);
  } finally {
    terminal.close();
    emulator.interrupt();
    await emulator.exited;
  }
});

test('emulate on a terminal: l puts the Photon in listening mode; Ctrl-C ends it without "^C" in its lines', { skip }, async () => {
  const terminal = openTerminal(['emulate'], { columns: 100, rows: 30 });
  try {
    await terminal.waitFor(/Press l here/);
    terminal.keys('l');
    await terminal.waitFor(/mode: listening/);
    terminal.keys('C-c');
    assert.equal(await terminal.exited(), 0);
    const screen = terminal.screen().join('\n');
    assert.doesNotMatch(screen, /\^C/);
    assert.match(screen, /no transfer|transfers|accepted|summary/i);
  } finally {
    terminal.close();
  }
});
