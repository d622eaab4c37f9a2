import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isPseudoTerminal } from '../../src/transport/pseudo-terminal.js';
import { ptyPair, skipUnless, SOCAT } from '../helpers/system-tools.js';

test('files, missing paths and other character devices are not pseudo-terminals', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-pty-'));
  try {
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    symlinkSync('/dev/null', join(dir, 'null-link'));
    assert.equal(await isPseudoTerminal(file), false);
    assert.equal(await isPseudoTerminal(join(dir, 'missing')), false);
    assert.equal(await isPseudoTerminal('/dev/null'), false);
    assert.equal(await isPseudoTerminal(join(dir, 'null-link')), false);
    assert.equal(await isPseudoTerminal('/dev/ttyUSB0'), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a socat pty, named through its symlink, is a pseudo-terminal', { skip: skipUnless(SOCAT) }, async () => {
  const pair = await ptyPair();
  try {
    assert.equal(await isPseudoTerminal(pair.a), true);
    assert.equal(await isPseudoTerminal(pair.b), true);
  } finally {
    await pair.close();
  }
});
