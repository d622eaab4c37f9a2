/**
 * The whole CLI against the reference receiver: lrzsz `rb --ymodem` behind a real
 * pseudo-terminal, so serialport's native binding is exercised end to end.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LRZSZ, ptyToCommand, SOCAT, skipUnless } from '../helpers/system-tools.js';
import { runCli } from '../helpers/cli.js';
import { testData } from '../helpers/virtual-link.js';
import { tempDir } from '../helpers/temp-dir.js';

const skip = skipUnless(SOCAT, LRZSZ);

for (const blockSize of [1024, 128]) {
  test(`a 150 KB file reaches rb --ymodem intact over a pty (${blockSize}-byte blocks)`, { skip, timeout: 90_000 }, async () => {
    const work = tempDir('rb');
    const inbox = join(work, 'inbox');
    mkdirSync(inbox);
    const file = join(work, 'payload.bin');
    const data = testData(150 * 1024 + 77, blockSize);
    writeFileSync(file, data);
    const rb = await ptyToCommand('rb --ymodem -q', inbox);
    try {
      const run = await runCli([rb.path, file, '--target', 'ymodem', '--block-size', String(blockSize), '--quiet'], { timeoutMs: 80_000 });
      assert.equal(run.code, 0, `serial-flash failed: ${run.stderr}`);
      assert.match(run.stdout, /Flashed 153677 bytes/);
      assert.equal(await rb.exited, 0, 'rb reported success');
      assert.ok(readFileSync(join(inbox, 'payload.bin')).equals(data), 'rb received the same bytes');
    } finally {
      await rb.close();
    }
  });
}
