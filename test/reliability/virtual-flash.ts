/**
 * One flash() against one virtual device, for the reliability tests: device timings and the
 * sender's device-dependent waits scaled alike, the device's side of the wire observed, and
 * helpers to make the device misbehave at an exact moment (drop one chosen ACK).
 */
import { startVirtualPort, type StartVirtualPortOptions, type VirtualPortHandle } from '../../src/emulator/index.js';
import type { SerialFlashError } from '../../src/errors.js';
import { flash, type FlashOptions, type FlashOutcome } from '../../src/flash/flash.js';
import { ACK, EOT } from '../../src/protocol/control-bytes.js';
import { DeviceView } from './observe.js';

/** Device OS's 5 s byte timeout becomes 250 ms. */
export const TIME_SCALE = 0.05;

export interface VirtualFlash {
  port: VirtualPortHandle;
  view: DeviceView;
  outcome?: FlashOutcome;
  error?: SerialFlashError;
  ms: number;
}

export async function flashVirtual(
  profile: string,
  file: string,
  deviceOptions: StartVirtualPortOptions = {},
  flashOptions: Partial<FlashOptions> = {},
  setup: (port: VirtualPortHandle, view: DeviceView) => void = () => undefined,
): Promise<VirtualFlash> {
  const port = startVirtualPort(profile, { timeScale: TIME_SCALE, ...deviceOptions });
  const view = new DeviceView(port.device);
  setup(port, view);
  const started = performance.now();
  const result: VirtualFlash = { port, view, ms: 0 };
  try {
    result.outcome = await flash({ file, port: port.path, binding: port.binding, timeScale: TIME_SCALE, ...flashOptions });
  } catch (error) {
    result.error = error as SerialFlashError;
  }
  result.ms = performance.now() - started;
  return result;
}

/**
 * Loses the `n`-th ACK (1-based) the device sends after the host's first EOT: on a Particle
 * device the 2nd is the final ACK (its first EOT is ACKed at once); on a standard receiver too
 * (NAK, then ACK for the second EOT, then the final ACK).
 */
export function loseAckAfterEot(port: VirtualPortHandle, n: number): void {
  let eotSeen = false;
  let acks = 0;
  const onHostData = port.device.onHostData.bind(port.device);
  port.device.onHostData = (data: Buffer) => {
    if (data.length === 1 && data[0] === EOT) eotSeen = true;
    onHostData(data);
  };
  port.device.addOutputStage((bytes, next) => {
    if (!eotSeen || !bytes.includes(ACK)) return next(bytes);
    const kept = Buffer.from(bytes).filter((byte) => byte !== ACK || ++acks !== n);
    if (kept.length > 0) next(kept);
  });
}

/** Loses the device's first ACK (the header's). */
export function loseFirstAck(port: VirtualPortHandle): void {
  let dropped = false;
  port.device.addOutputStage((bytes, next) => {
    if (dropped || !bytes.includes(ACK)) return next(bytes);
    dropped = true;
    const at = bytes.indexOf(ACK);
    const kept = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
    if (kept.length > 0) next(kept);
  });
}

/** Calls `action` when the device has stored its `blocks`-th data block, before it ACKs it. */
export function onBlock(port: VirtualPortHandle, blocks: number, action: () => void): void {
  let count = 0;
  port.device.on('block', () => {
    if (++count === blocks) action();
  });
}
