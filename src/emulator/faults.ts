/**
 * Seeded fault injection for any virtual device, through the device's generic seams (output
 * stages, the frame hook, block events, resets), never per-profile code. Every random choice
 * comes from a seeded PRNG with one stream per fault, so a run replays exactly from its seed
 * and enabling one fault does not shift the choices of another.
 */
import { ACK, SOH, STX } from '../protocol/control-bytes.js';
import { BLOCK_HEADER_BYTES } from '../protocol/blocks.js';
import type { VirtualDevice } from './virtual-device.js';

export interface FaultOptions {
  /** Seed of every random choice (default 1). */
  seed?: number;
  /** Probability that an ACK the device sends is lost on the way. */
  dropAck?: number;
  /**
   * The ACKs of these data blocks (counted from 1 as the device stores them) are lost on the
   * way, each once: the answer to the copy re-sent after it gets through.
   */
  dropAckOfBlocks?: readonly number[];
  /** Probability that a host→device block is damaged in transit (one bit flipped in its data). */
  corrupt?: number;
  /** Application log lines on the port every this many seconds, also in the middle of a transfer. */
  noiseEverySeconds?: number;
  /** A slow device: its first answer is held back this many ms. */
  firstAnswerMs?: number;
  /** The device resets (the USB port vanishes) after acknowledging this many data blocks. */
  dieAfterBlocks?: number;
  /** The device cancels the transfer (CAN CAN and `abortReason`) after this many data blocks. */
  abortAfterBlocks?: number;
  abortReason?: string;
}

export interface FaultStats {
  droppedAcks: number;
  corruptedBlocks: number;
  noiseLines: number;
  blocks: number;
}

/** What Device OS prints when a chunk cannot be written: a plausible reason for a device abort. */
export const DEFAULT_ABORT_REASON = 'Failed to save chunk!';

/** mulberry32: tiny, fast and good enough for fault decisions; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Independent streams per fault, so their choices do not interleave. */
const STREAM_SALT = { dropAck: 0x41434b, corrupt: 0x435252, noise: 0x4e4f4953 } as const;

const LOG_LINES = [
  'INFO: sensor reading',
  'INFO: cloud connected',
  'WARN: retrying publish',
  'TRACE: loop iteration',
  'INFO: battery',
];

export function applyFaults(device: VirtualDevice, options: FaultOptions): FaultStats {
  const seed = options.seed ?? 1;
  const stats: FaultStats = { droppedAcks: 0, corruptedBlocks: 0, noiseLines: 0, blocks: 0 };

  if (options.firstAnswerMs !== undefined && options.firstAnswerMs > 0) delayFirstAnswer(device, options.firstAnswerMs);

  if (options.dropAck) {
    const random = mulberry32(seed ^ STREAM_SALT.dropAck);
    const p = options.dropAck;
    device.addOutputStage((bytes, next) => {
      if (!bytes.includes(ACK)) return next(bytes);
      const kept = Buffer.from(bytes).filter((byte) => {
        if (byte !== ACK || random() >= p) return true;
        stats.droppedAcks++;
        return false;
      });
      if (kept.length > 0) next(kept);
    });
  }

  if (options.dropAckOfBlocks?.length) dropAcksOf(device, new Set(options.dropAckOfBlocks), stats);

  if (options.corrupt) {
    const random = mulberry32(seed ^ STREAM_SALT.corrupt);
    const p = options.corrupt;
    device.transformFrame = (frame) => {
      if (random() >= p) return frame;
      const size = frame[0] === STX ? 1024 : frame[0] === SOH ? 128 : 0;
      if (size === 0) return frame;
      const damaged = Buffer.from(frame);
      const at = BLOCK_HEADER_BYTES + Math.floor(random() * size);
      damaged[at] = damaged[at]! ^ (1 << Math.floor(random() * 8));
      stats.corruptedBlocks++;
      return damaged;
    };
  }

  if (options.noiseEverySeconds !== undefined && options.noiseEverySeconds > 0) {
    startNoise(device, options.noiseEverySeconds * 1000, mulberry32(seed ^ STREAM_SALT.noise), stats);
  }

  const dieAfter = options.dieAfterBlocks;
  const abortAfter = options.abortAfterBlocks;
  if (dieAfter !== undefined || abortAfter !== undefined) {
    // The device acts once the block's own ACK has left and before it takes another host byte
    // (what follows is lost), as a device does whose next bytes take a line's time to arrive:
    // on the next host data, or on a timer if none comes first, whatever the host's speed.
    // After the file's last block it acts once the transfer has ended (the device's last ACK).
    let due: (() => void) | undefined;
    let fileSize: number | undefined;
    let afterTransfer = false;
    const act = () => {
      const action = due;
      due = undefined;
      action?.();
    };
    const onHostData = device.onHostData.bind(device);
    device.onHostData = (data: Buffer) => {
      if (due && !afterTransfer) return act();
      onHostData(data);
    };
    device.on('transfer-start', ({ size }) => (fileSize = size));
    device.on('transfer-complete', () => afterTransfer && act());
    device.on('transfer-failed', () => afterTransfer && act());
    device.on('block', (block) => {
      stats.blocks++;
      const count = stats.blocks;
      if (count === dieAfter) due = () => device.reset('fault');
      if (count === abortAfter) due = () => device.abortTransfer(options.abortReason ?? DEFAULT_ABORT_REASON);
      if (!due) return;
      afterTransfer = fileSize !== undefined && block.offset + block.size >= fileSize;
      if (!afterTransfer) device.later(0, act);
    });
  }
  return stats;
}

/** The ACK that follows the storing of each chosen block is lost (its copy's answer is not: no block is stored twice). */
function dropAcksOf(device: VirtualDevice, chosen: ReadonlySet<number>, stats: FaultStats): void {
  let stored = 0;
  let dropNext = false;
  device.on('block', () => {
    stored++;
    dropNext = chosen.has(stored);
  });
  device.addOutputStage((bytes, next) => {
    const at = dropNext ? bytes.indexOf(ACK) : -1;
    if (at < 0) return next(bytes);
    dropNext = false;
    stats.droppedAcks++;
    const kept = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
    if (kept.length > 0) next(kept);
  });
}

function delayFirstAnswer(device: VirtualDevice, ms: number): void {
  let state: 'waiting' | 'holding' | 'open' = 'waiting';
  let held: { bytes: Uint8Array; next: (bytes: Uint8Array) => void }[] = [];
  device.addOutputStage((bytes, next) => {
    if (state === 'open') return next(bytes);
    held.push({ bytes, next });
    if (state === 'holding') return;
    state = 'holding';
    device.later(ms, () => {
      state = 'open';
      const queued = held;
      held = [];
      for (const item of queued) item.next(item.bytes);
    });
  });
  // A reset cancels the timer; the next boot is slow again.
  device.on('reset', () => {
    state = 'waiting';
    held = [];
  });
}

function startNoise(device: VirtualDevice, everyMs: number, random: () => number, stats: FaultStats): void {
  let uptimeMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let dueAt = Infinity;
  const schedule = () => {
    dueAt = performance.now() + everyMs;
    timer = device.later(everyMs, tick);
  };
  const tick = () => {
    clearTimeout(timer);
    uptimeMs += everyMs;
    const text = LOG_LINES[Math.floor(random() * LOG_LINES.length)]!;
    const value = Math.floor(random() * 1000);
    device.println(`${String(Math.round(uptimeMs)).padStart(10, '0')} [app] ${text} ${value}`);
    stats.noiseLines++;
    schedule();
  };
  schedule();
  // A line that fell due while an in-process host kept the device busy within one turn of the
  // event loop (its next block ready at once) is printed before the device takes more host
  // data, as a device printing on its own clock would have: noise lands between blocks too.
  const onHostData = device.onHostData.bind(device);
  device.onHostData = (data: Buffer) => {
    if (performance.now() >= dueAt) tick();
    onHostData(data);
  };
  // A reset clears the device's timers; the application logs again once it runs.
  device.on('reset', () => (dueAt = Infinity));
  device.on('boot', () => {
    uptimeMs = 0;
    schedule();
  });
}
