/**
 * The wait for a data block's answer, learnt from earlier blocks: never below its floor,
 * never above --timeout, doubled per attempt, and a receiver that is merely slow is never
 * sent copies it did not need.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startVirtualPort } from '../../src/emulator/index.js';
import { flash } from '../../src/flash/flash.js';
import { AnswerDeadline, MIN_DEADLINE_MS, MIN_OWED_QUIET_MS } from '../../src/protocol/answer-deadline.js';
import { photonUserPart } from '../bench/images.js';
import { removeTempDir, tempDir } from '../helpers/temp-dir.js';

test('until a block has been answered, the wait is the configured timeout', () => {
  assert.equal(new AnswerDeadline().forAttempt(0, 10_000), 10_000);
});

test('fast answers: the floor; each further copy of the same block waits twice as long, up to the configured timeout', () => {
  const deadline = new AnswerDeadline();
  for (let i = 0; i < 20; i++) deadline.observe(90);
  assert.equal(deadline.forAttempt(0, 10_000), MIN_DEADLINE_MS);
  assert.equal(deadline.forAttempt(1, 10_000), 2 * MIN_DEADLINE_MS);
  assert.equal(deadline.forAttempt(2, 10_000), 4 * MIN_DEADLINE_MS);
  assert.equal(deadline.forAttempt(5, 10_000), 10_000);
  // A --timeout below the floor is kept.
  assert.equal(deadline.forAttempt(0, 500), 500);
});

test('after a copy sent because a wait ran out, the quiet wait for its owed answer is a second at least, longer than that wait', () => {
  const deadline = new AnswerDeadline();
  for (let i = 0; i < 20; i++) deadline.observe(5);
  assert.equal(deadline.otherAnswersMs(10, true, 10_000), MIN_OWED_QUIET_MS);
  assert.ok(MIN_OWED_QUIET_MS >= 1000 && MIN_OWED_QUIET_MS > deadline.forAttempt(0, 10_000));
  // Answers not owed (copies all answered) need only the usual answer time.
  assert.ok(deadline.otherAnswersMs(10, false, 10_000) < MIN_OWED_QUIET_MS);
  // Never beyond --timeout, which the receiver's own timeout is set against.
  assert.equal(deadline.otherAnswersMs(10, true, 800), 800);
});

test('slow and uneven answers stretch the wait well beyond the usual answer', () => {
  const deadline = new AnswerDeadline();
  for (const ms of [300, 320, 280, 900, 310, 290, 300, 700, 300]) deadline.observe(ms);
  const wait = deadline.forAttempt(0, 10_000);
  assert.ok(wait > 900, `waits ${wait} ms, no more than the slowest answer seen`);
  assert.ok(wait < 10_000);
});

test('a receiver whose every answer takes 300 ms (a flash write per block) is never sent a block twice', { timeout: 60_000 }, async () => {
  const dir = tempDir('slow-receiver');
  const port = startVirtualPort('photon', { listening: true, writeMs: 300, eraseMs: 0, latencyMs: 1 });
  try {
    const file = join(dir, 'slow.bin');
    writeFileSync(file, photonUserPart(16 * 1024));
    const retries: unknown[] = [];
    const result = await flash({ file, port: port.path, binding: port.binding, onEvent: (event) => event.type === 'retry' && retries.push(event) });
    assert.equal(result.ok, true);
    assert.deepEqual(retries, []);
    assert.equal(port.device.lastTransfer?.status, 'accepted');
  } finally {
    port.close();
    removeTempDir(dir);
  }
});
