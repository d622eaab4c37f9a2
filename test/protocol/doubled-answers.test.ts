/**
 * A block sent twice is answered twice: the first copy's late ACK, then the ACK of the copy
 * sent again, which may arrive while the next block is crossing the line. Taken for that
 * block's answer, the sender would read every answer one block late from then on. Judged
 * from the device: does it hold the image?
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flashWithLateAnswer } from '../helpers/late-answer.js';
import { removeTempDir, tempDir } from '../helpers/temp-dir.js';
import { testData } from '../helpers/virtual-link.js';

/** The block whose ACK is late: by then the sender has learnt how long answers take. */
const LATE_BLOCK = 5;

test("a late ACK and the ACK of the copy sent again are not taken for the next block's answer", { timeout: 60_000 }, async () => {
  const dir = tempDir('doubled');
  try {
    const data = testData(12 * 1024, 0x44424c);
    const file = join(dir, 'doubled.bin');
    writeFileSync(file, data);
    const run = await flashWithLateAnswer(file, LATE_BLOCK);
    const failure = run.outcome instanceof Error ? run.outcome.message : '';
    assert.ok(!(run.outcome instanceof Error), `the transfer failed: ${failure} (retries ${run.retries.join(', ')})`);
    assert.ok(run.damaged, 'the block after the late one was damaged once');
    assert.equal(run.lateBlockWrites, 2, 'the late block was sent again');
    assert.ok(run.device.files.some((received) => received.data.equals(data)), 'the device holds the image');
    // The late block went again for want of an answer, the damaged one for its NAK (a loaded machine may add others).
    assert.ok(run.retries.includes(`${LATE_BLOCK}:timeout`) && run.retries.includes(`${LATE_BLOCK + 1}:nak`), run.retries.join(', '));
  } finally {
    removeTempDir(dir);
  }
});
