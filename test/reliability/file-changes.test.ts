/**
 * A firmware file rewritten while it is being sent (a build that writes it again): the device
 * ends up with the version that was checked, whole, or with nothing and the run says why —
 * never a mix of two.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { tempDir } from '../helpers/temp-dir.js';
import { testData } from '../helpers/virtual-link.js';
import { flashVirtual, onBlock } from './virtual-flash.js';

const SIZE = 20_000;

for (const newSize of [SIZE, SIZE / 2, SIZE * 2]) {
  test(`a file rewritten (${newSize} bytes) after the third block: the device holds the version that was checked, whole`, async () => {
    const path = join(tempDir('rewritten'), 'firmware.bin');
    const original = testData(SIZE, 1);
    writeFileSync(path, original);
    const run = await flashVirtual('ymodem', path, {}, { target: 'ymodem' }, (port) =>
      onBlock(port, 3, () => writeFileSync(path, testData(newSize, 2))),
    );
    try {
      const files = (run.port.device as YmodemDevice).files;
      if (run.error === undefined) {
        assert.equal(files.length, 1);
        assert.ok(files[0]!.data.equals(original), 'the device holds the original file, whole');
      } else {
        assert.equal(files.length, 0, `failed (${run.error.message}) yet the device kept a file`);
        assert.equal(run.error.code, 'FILE_CHANGED', run.error.message);
        assert.match(run.error.message, /firmware\.bin was written again while it was being sent/);
      }
    } finally {
      run.port.close();
    }
  });
}

test('a file rewritten while its last block is on the way: FILE_CHANGED before the end, and the device keeps nothing', async () => {
  const path = join(tempDir('rewritten-last'), 'firmware.bin');
  writeFileSync(path, testData(SIZE, 1));
  const run = await flashVirtual('ymodem', path, {}, { target: 'ymodem' }, (port) =>
    onBlock(port, Math.ceil(SIZE / 1024), () => writeFileSync(path, testData(SIZE, 2))),
  );
  try {
    assert.equal(run.error?.code, 'FILE_CHANGED', run.error?.message ?? 'it said the file was flashed');
    assert.match(run.error.message, /firmware\.bin was written again while it was being sent/);
    assert.equal((run.port.device as YmodemDevice).files.length, 0, 'the device kept the file');
  } finally {
    run.port.close();
  }
});
