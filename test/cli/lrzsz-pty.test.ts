/**
 * The whole CLI against the reference receiver: `rb --ymodem` (lrzsz) on the far side of a
 * real pseudo-terminal pair, so serialport's native binding is exercised end to end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LRZSZ, ptyPair, SOCAT, skipUnless } from '../helpers/system-tools.js';
import { runCli } from '../helpers/cli.js';
import { testData } from '../helpers/virtual-link.js';

const skip = skipUnless(SOCAT, LRZSZ);

for (const blockSize of [1024, 128]) {
  test(`a 150 KB file reaches rb --ymodem intact over a pty pair (${blockSize}-byte blocks)`, { skip, timeout: 60_000 }, async () => {
    const work = mkdtempSync(join(tmpdir(), 'serial-flash-rb-'));
    const inbox = join(work, 'inbox');
    const file = join(work, 'payload.bin');
    const data = testData(150 * 1024 + 77, blockSize);
    writeFileSync(file, data);
    const pty = await ptyPair();
    const fd = openSync(pty.b, 'r+');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(inbox);
    const rb = spawn('rb', ['--ymodem', '-q'], { cwd: inbox, stdio: [fd, fd, 'pipe'] });
    const rbExit = new Promise<number | null>((resolve) => rb.on('close', (code) => resolve(code)));
    try {
      const run = await runCli([pty.a, file, '--target', 'ymodem', '--block-size', String(blockSize), '--quiet']);
      assert.equal(run.code, 0, `serial-flash failed: ${run.stderr}`);
      assert.match(run.stdout, /Flashed 153677 bytes/);
      assert.equal(await rbExit, 0, 'rb reported success');
      assert.ok(readFileSync(join(inbox, 'payload.bin')).equals(data), 'rb received the same bytes');
    } finally {
      rb.kill();
      closeSync(fd);
      await pty.close();
    }
  });
}
