/**
 * A block sent twice is answered twice; the sender then waits for a quiet line before the next
 * block, so the second answer is not taken for that block's. Here this process stalls for
 * nearly all of that wait (a loaded machine): the copy reaches the receiver, emulated in this
 * process, only once the stall is over, and its answer comes just after the wait's end. Taken
 * for the next block's answer, every answer would be read one block late from then on.
 * Judged from the device: does it hold the image?
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startVirtualPort } from '../../src/emulator/index.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import type { FlashEvent } from '../../src/flash/events.js';
import { flash } from '../../src/flash/flash.js';
import { ACK, NAK, STX } from '../../src/protocol/control-bytes.js';
import { removeTempDir, tempDir } from '../helpers/temp-dir.js';
import { testData } from '../helpers/virtual-link.js';
import { stall } from '../helpers/stall.js';

const BAUD = 115_200;
/** The block sent twice: by then the sender has learnt how long answers take. */
const DOUBLED_BLOCK = 4;
/** The sender's quiet wait after a block sent twice, at least (answer-deadline.ts). */
const QUIET_WAIT_MS = 250;

test('an answer held up by a stall of this process is not taken for the next block’s', { timeout: 60_000 }, async () => {
  const dir = tempDir('stalled');
  const port = startVirtualPort('ymodem', { once: true, bytesPerSecond: BAUD / 10, latencyMs: 1 });
  const device = port.device as YmodemDevice;
  try {
    const data = testData(10 * 1024, 0x5354414c);
    const file = join(dir, 'stalled.bin');
    writeFileSync(file, data);
    let copies = 0;
    let stalled = false;
    const onEvent = (event: FlashEvent) => {
      if (event.type !== 'trace') return;
      if (event.direction === 'tx' && event.data[0] === STX && event.data[1] === DOUBLED_BLOCK && ++copies === 1) {
        // A NAK crossing the block, as from a receiver whose own timeout ran out just then: the block goes again, and both copies are ACKed.
        device.send(Buffer.of(NAK));
      }
      if (event.direction === 'rx' && copies === 2 && !stalled && event.data.includes(ACK)) {
        stalled = true;
        // The first ACK is in; the quiet wait starts now. The process stalls until just past its end.
        setTimeout(() => stall(QUIET_WAIT_MS + 5), 5);
      }
    };
    const outcome = await flash({ file, port: port.path, binding: port.binding, target: 'ymodem', baudRate: BAUD, trace: true, onEvent }).catch((error: unknown) => error);
    assert.ok(stalled, 'the block went twice and the process stalled in the wait that followed');
    assert.ok(!(outcome instanceof Error), `the transfer failed: ${outcome instanceof Error ? outcome.message : ''}`);
    assert.ok(device.files.some((received) => received.data.equals(data)), 'the device holds the image');
  } finally {
    port.close();
    removeTempDir(dir);
  }
});
