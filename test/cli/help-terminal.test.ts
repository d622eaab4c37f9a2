/** --help as a person sees it in a terminal: the terminal's full width, examples never split. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openTerminal, skipWithoutTmux } from '../helpers/terminal.js';

const UBOOT_EXAMPLE = 'serial-flash /dev/ttyUSB0 u-boot.itb -t uboot -a 0x81000000';

for (const columns of [120, 60]) {
  test(`--help in a ${columns}-column terminal uses its width and keeps each example on one line`, { skip: skipWithoutTmux() }, async () => {
    const terminal = openTerminal(['--help'], { columns, rows: 150 });
    try {
      assert.equal(await terminal.exited(), 0);
      const rows = terminal.screen();
      const widest = Math.max(...rows.map((row) => row.length));
      assert.ok(widest <= columns, `a row is wider than the terminal:\n${rows.join('\n')}`);
      if (columns > 100) assert.ok(widest > 100, `help stops at ${widest} columns in a ${columns}-column terminal`);
      assert.ok(rows.some((row) => row.includes(UBOOT_EXAMPLE)), rows.join('\n'));
      // Each exit code's meaning continues under its text, not under the code.
      const transfer = rows.findIndex((row) => /^ {2}130 /.test(row));
      assert.ok(transfer > 0, rows.join('\n'));
    } finally {
      terminal.close();
    }
  });
}
