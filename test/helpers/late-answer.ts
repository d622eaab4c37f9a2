/**
 * A block sent twice, answered twice, the second answer arriving while the next block is on
 * its way: the standard virtual receiver (the `ymodem` profile) on a line paced like a UART,
 * whose ACK of one block is held back until the sender sends that block again (as from a
 * flash write that took longer than usual), and which receives the block after it damaged
 * once. The copy takes a frame's time to cross, so its ACK follows the late one by as much.
 * A sender that takes that ACK for the next block's answer skips a block the receiver NAKed.
 */
import { startVirtualPort } from '../../src/emulator/index.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import type { FlashEvent } from '../../src/flash/events.js';
import { flash } from '../../src/flash/flash.js';
import { BLOCK_HEADER_BYTES } from '../../src/protocol/blocks.js';
import { ACK, STX } from '../../src/protocol/control-bytes.js';

const BAUD = 115_200;

export interface LateAnswerRun {
  /** What flash() resolved to, or the error it threw. */
  outcome: unknown;
  device: YmodemDevice;
  /** `block:reason` of every retry. */
  retries: string[];
  /** The bytes of every progress event. */
  progress: number[];
  /** Copies of the late block the sender wrote. */
  lateBlockWrites: number;
  /** The block after the late one arrived damaged once. */
  damaged: boolean;
}

/** Flashes `file` (1K blocks) to such a receiver, whose ACK of data block `lateBlock` (1-based, below 256) is late. */
export async function flashWithLateAnswer(file: string, lateBlock: number): Promise<LateAnswerRun> {
  const port = startVirtualPort('ymodem', { once: true, bytesPerSecond: BAUD / 10, latencyMs: 1 });
  const device = port.device as YmodemDevice;
  let stored = 0;
  let holding = false;
  let held: { bytes: Uint8Array; next: (bytes: Uint8Array) => void }[] = [];
  const release = () => {
    holding = false;
    for (const item of held) item.next(item.bytes);
    held = [];
  };
  device.on('block', () => {
    if (++stored === lateBlock) holding = true;
  });
  device.addOutputStage((bytes, next) => {
    if (!holding || (held.length === 0 && !Buffer.from(bytes).includes(ACK))) return next(bytes);
    held.push({ bytes, next });
  });
  const run: LateAnswerRun = { outcome: undefined, device, retries: [], progress: [], lateBlockWrites: 0, damaged: false };
  device.transformFrame = (frame) => {
    if (run.damaged || frame[0] !== STX || frame[1] !== lateBlock + 1) return frame;
    run.damaged = true;
    const copy = Buffer.from(frame);
    copy[BLOCK_HEADER_BYTES] = copy[BLOCK_HEADER_BYTES]! ^ 0x01;
    return copy;
  };
  const onEvent = (event: FlashEvent) => {
    // The sender's second copy of the late block is on its way: the late ACK goes now.
    if (event.type === 'trace' && event.direction === 'tx' && event.data[0] === STX && event.data[1] === lateBlock) {
      if (++run.lateBlockWrites === 2) release();
    }
    if (event.type === 'retry') run.retries.push(`${event.block}:${event.reason}`);
    if (event.type === 'progress') run.progress.push(event.bytes);
  };
  try {
    // Sent again after at most 2 s (the receiver's own timeout is 10 s): the copy crosses the late ACK.
    run.outcome = await flash({ file, port: port.path, binding: port.binding, target: 'ymodem', baudRate: BAUD, responseTimeoutMs: 2_000, trace: true, onEvent }).catch(
      (error: unknown) => error,
    );
    return run;
  } finally {
    port.close();
  }
}
