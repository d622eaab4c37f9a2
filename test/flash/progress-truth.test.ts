/**
 * Progress counts what the receiver acknowledged, nothing more: through flash() and the
 * serialport stack on an emulated port, the progress events and the failure's
 * bytesAcknowledged never pass what the device has stored and answered for — and when the
 * last blocks are not acknowledged (the device cancels, or falls silent), they stay short of
 * the file's size.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startVirtualPort, type VirtualPortHandle } from '../../src/emulator/index.js';
import { SerialFlashError } from '../../src/errors.js';
import { flash } from '../../src/flash/flash.js';
import { photonUserPart } from '../bench/images.js';
import { flashWithLateAnswer } from '../helpers/late-answer.js';
import { removeTempDir, tempDir } from '../helpers/temp-dir.js';
import { testData } from '../helpers/virtual-link.js';

const BLOCK = 1024;
const BLOCKS = 12;

interface Case {
  profile: 'ymodem' | 'photon';
  /** 'cancel': the device cancels after storing this many blocks; 'silent': it answers nothing once it stored this many (that block's ACK included). */
  ending: 'cancel' | 'silent';
  afterBlocks: number;
}

const CASES: Case[] = [
  { profile: 'ymodem', ending: 'cancel', afterBlocks: BLOCKS - 1 },
  { profile: 'photon', ending: 'cancel', afterBlocks: BLOCKS - 1 },
  { profile: 'ymodem', ending: 'silent', afterBlocks: BLOCKS },
  { profile: 'photon', ending: 'silent', afterBlocks: BLOCKS },
  { profile: 'ymodem', ending: 'silent', afterBlocks: BLOCKS - 1 },
];

function startDevice(c: Case): VirtualPortHandle {
  const port = startVirtualPort(c.profile, {
    // A line with latency (USB's 1 ms, a UART's pace): the cancel that follows a block's ACK leaves before the next block can arrive.
    ...(c.profile === 'photon' ? { listening: true, eraseMs: 0, latencyMs: 1 } : { once: true, bytesPerSecond: 11_520, latencyMs: 1 }),
    timeScale: 0.05,
    faults: c.ending === 'cancel' ? { abortAfterBlocks: c.afterBlocks, abortReason: 'Flash write error' } : {},
  });
  if (c.ending === 'silent') {
    let stored = 0;
    port.device.on('block', () => stored++);
    port.device.addOutputStage((bytes, next) => {
      if (stored < c.afterBlocks) next(bytes);
    });
  }
  return port;
}

for (const c of CASES) {
  const what = c.ending === 'cancel' ? `cancels after ${c.afterBlocks} of ${BLOCKS} blocks` : `falls silent once it stored ${c.afterBlocks} of ${BLOCKS} blocks`;
  test(`${c.profile}: a device that ${what} — progress and bytesAcknowledged stay at what it acknowledged`, { timeout: 60_000 }, async () => {
    const dir = tempDir('progress');
    const port = startDevice(c);
    try {
      const size = BLOCKS * BLOCK - 100;
      const file = join(dir, 'image.bin');
      writeFileSync(file, c.profile === 'photon' ? photonUserPart(size) : testData(size, 0x50524f47));
      let storedBytes = 0;
      port.device.on('block', (block) => (storedBytes = Math.max(storedBytes, block.offset + block.size)));
      const progress: number[] = [];
      const outcome = await flash({
        file,
        port: port.path,
        binding: port.binding,
        ...(c.profile === 'ymodem' ? { target: 'ymodem' } : {}),
        timeScale: 0.05,
        responseTimeoutMs: 300,
        retries: 2,
        onEvent: (event) => {
          if (event.type !== 'progress') return;
          assert.ok(event.bytes <= storedBytes, `progress says ${event.bytes} bytes while the device holds ${storedBytes}`);
          progress.push(event.bytes);
        },
      }).catch((error: unknown) => error);
      assert.ok(outcome instanceof SerialFlashError, `the flash did not fail: ${JSON.stringify(outcome)}`);
      // What the device answered for: every block it stored before it stopped answering or cancelled.
      const answeredBlocks = c.ending === 'cancel' ? c.afterBlocks : c.afterBlocks - 1;
      const answeredBytes = answeredBlocks * BLOCK;
      const last = progress.at(-1) ?? 0;
      // At most that (a loaded machine may give up on an answer that came late), and never all of it.
      assert.ok(last <= answeredBytes, `progress ended at ${last} bytes, the device answered for ${answeredBytes}`);
      assert.ok(last < size, 'progress did not reach 100%');
      assert.equal(outcome.context.bytesAcknowledged, last);
      assert.doesNotMatch(outcome.message, new RegExp(`(all ${size}|${size} of ${size}) bytes`));
    } finally {
      port.close();
      removeTempDir(dir);
    }
  });
}

test('the last block NAKed while a late ACK and its copy\'s ACK come in: progress reaches 100% only when the receiver accepted every block', { timeout: 60_000 }, async () => {
  const dir = tempDir('progress');
  try {
    const size = BLOCKS * BLOCK;
    const data = testData(size, 0x4c415354);
    const file = join(dir, 'image.bin');
    writeFileSync(file, data);
    // The ACK of the block before the last is late and doubled; the last block arrives damaged once.
    const run = await flashWithLateAnswer(file, BLOCKS - 1);
    assert.ok(run.damaged);
    const holds = run.device.files.some((received) => received.data.equals(data));
    if (run.outcome instanceof SerialFlashError) {
      assert.ok(!holds);
      assert.ok(run.progress.every((bytes) => bytes < size), `progress reached ${run.progress.at(-1)} of ${size} bytes`);
      assert.ok((run.outcome.context.bytesAcknowledged ?? 0) < size);
    } else {
      assert.ok(holds, `flash() succeeded (progress at ${run.progress.at(-1)} of ${size} bytes) but the device does not hold the image`);
    }
  } finally {
    removeTempDir(dir);
  }
});
