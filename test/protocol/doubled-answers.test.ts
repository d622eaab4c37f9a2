/**
 * A block sent twice is answered twice: the first copy's late ACK, then the ACK (or, from
 * Device OS, the NAK) of the copy sent again. The second answer may arrive while the next
 * block is crossing the line; taken for that block's answer, the sender would read every
 * answer one block late from then on. Judged from the device: does it hold the image?
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startVirtualPort } from '../../src/emulator/index.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { ACK, STX } from '../../src/protocol/control-bytes.js';
import { BLOCK_HEADER_BYTES } from '../../src/protocol/blocks.js';
import { flash } from '../../src/flash/flash.js';
import { removeTempDir, tempDir } from '../helpers/temp-dir.js';
import { testData } from '../helpers/virtual-link.js';

const BAUD = 115_200;
/** The block whose ACK is late: by then the sender has learnt how long answers take. */
const LATE_BLOCK = 5;

test('a late ACK and the ACK of the copy sent again are not taken for the next block\'s answer', { timeout: 60_000 }, async () => {
  const dir = tempDir('doubled');
  try {
    const data = testData(12 * 1024, 0x44424c);
    const file = join(dir, 'doubled.bin');
    writeFileSync(file, data);
    // A paced UART line: the copy sent again takes 89 ms to cross, so its ACK follows the late one by as much.
    const port = startVirtualPort('ymodem', { once: true, bytesPerSecond: BAUD / 10, latencyMs: 1 });
    const device = port.device as YmodemDevice;
    // The late block's ACK is held back until the sender sends that block again (seen on the
    // host's side of the line), as from a receiver whose flash write took longer than usual.
    let stored = 0;
    let holding = false;
    let held: { bytes: Uint8Array; next: (bytes: Uint8Array) => void }[] = [];
    const release = () => {
      holding = false;
      for (const item of held) item.next(item.bytes);
      held = [];
    };
    device.on('block', () => {
      if (++stored === LATE_BLOCK) holding = true;
    });
    device.addOutputStage((bytes, next) => {
      if (!holding || (held.length === 0 && !Buffer.from(bytes).includes(ACK))) return next(bytes);
      held.push({ bytes, next });
    });
    // The block after it is damaged on its first crossing: the receiver NAKs it, and a sender
    // that took the doubled ACK for its answer would go on to the next one (out of sequence).
    let damaged = false;
    device.transformFrame = (frame) => {
      if (damaged || frame[0] !== STX || frame[1] !== LATE_BLOCK + 1) return frame;
      damaged = true;
      const copy = Buffer.from(frame);
      copy[BLOCK_HEADER_BYTES] = copy[BLOCK_HEADER_BYTES]! ^ 0x01;
      return copy;
    };
    let lateBlockWrites = 0;
    const retries: string[] = [];
    try {
      const result = await flash({
        file,
        port: port.path,
        binding: port.binding,
        target: 'ymodem',
        baudRate: BAUD,
        // Sent again after at most 2 s (the receiver's own timeout is 10 s): the copy crosses the late ACK.
        responseTimeoutMs: 2_000,
        trace: true,
        onEvent: (event) => {
          if (event.type === 'trace' && event.direction === 'tx' && event.data[0] === STX && event.data[1] === LATE_BLOCK) {
            if (++lateBlockWrites === 2) release();
          }
          if (event.type === 'retry') retries.push(`${event.block}:${event.reason}`);
        },
      }).catch((error: unknown) => error);
      assert.ok(!(result instanceof Error), `the transfer failed: ${result instanceof Error ? result.message : ''} (retries ${retries.join(', ')})`);
      assert.ok(damaged, 'the block after the late one was damaged once');
      assert.equal(lateBlockWrites, 2, 'the late block was sent again');
      assert.ok(device.files.some((received) => received.data.equals(data)), 'the device holds the image');
      assert.deepEqual(retries, [`${LATE_BLOCK}:timeout`, `${LATE_BLOCK + 1}:nak`]);
    } finally {
      port.close();
    }
  } finally {
    removeTempDir(dir);
  }
});
