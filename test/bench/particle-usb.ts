/**
 * Section: the Particle USB model. No line rate (USB CDC ignores it); each block is written
 * to flash before the device ACKs it, so the per-block cost is the write. 1K blocks against
 * the 128-byte blocks the old Particle CLI sent, through the library's flash() with the
 * listening virtual Photon (Device OS 0.6.1+ dialect).
 */
import { startVirtualPort } from '../../src/emulator/index.js';
import { monotonicMs } from '../../src/emulator/precise-timer.js';
import { flash } from '../../src/flash/flash.js';
import type { BlockSize } from '../../src/protocol/blocks.js';
import { type ImageDir, photonUserPart } from './images.js';
import { bytesPerSecond, kib, median, seconds, table } from './stats.js';

/** USB full-speed polls every 1 ms frame: about that much each way. */
const USB_LATENCY_MS = 1;
/** Device-side waits (prompt, restart) at 5% of real time; flash writes keep their real duration. */
const TIME_SCALE = 0.05;

export interface ParticleCase {
  writeMs: number;
  bytes: number;
}

export function particleCases(quick: boolean): ParticleCase[] {
  const bytes = quick ? 16 * 1024 : 64 * 1024;
  return [5, 20].map((writeMs) => ({ writeMs, bytes }));
}

/** The data phase: from the first data block's write to the last one's ACK. */
async function dataPhaseMs(file: string, writeMs: number, blockSize: BlockSize): Promise<number> {
  const port = startVirtualPort('photon', { listening: true, writeMs, eraseMs: 0, timeScale: TIME_SCALE, latencyMs: USB_LATENCY_MS });
  let dataAt = 0;
  let eotAt = 0;
  try {
    await flash({
      file,
      port: port.path,
      binding: port.binding,
      blockSize,
      timeScale: TIME_SCALE,
      onEvent: (event) => {
        if (event.type === 'phase' && event.phase === 'data') dataAt = monotonicMs();
        if (event.type === 'phase' && event.phase === 'eot') eotAt = monotonicMs();
      },
    });
    if (port.device.lastTransfer?.status !== 'accepted') throw new Error('the virtual Photon did not accept the image');
    return eotAt - dataAt;
  } finally {
    port.close();
  }
}

export async function particleUsb(images: ImageDir, cases: ParticleCase[], repeats: number, log: (line: string) => void): Promise<string> {
  const rows: string[][] = [];
  for (const c of cases) {
    const file = images.write(`photon-${c.bytes}.bin`, photonUserPart(c.bytes));
    const times: Record<BlockSize, number[]> = { 128: [], 1024: [] };
    for (let i = 0; i < repeats; i++) {
      for (const blockSize of [1024, 128] as const) times[blockSize].push(await dataPhaseMs(file, c.writeMs, blockSize));
    }
    const big = median(times[1024]);
    const small = median(times[128]);
    log(`  Particle, ${c.writeMs} ms per flash write: 1K ${seconds(big)}, 128 B ${seconds(small)}, ${(small / big).toFixed(1)}x`);
    rows.push([
      `${c.writeMs} ms`,
      kib(c.bytes),
      `${seconds(big)} (${bytesPerSecond(c.bytes, big)})`,
      `${seconds(small)} (${bytesPerSecond(c.bytes, small)})`,
      `${(small / big).toFixed(1)}×`,
    ]);
  }
  return table(['flash write per block', 'image', '1024-byte blocks', '128-byte blocks (old Particle CLI)', 'speed-up'], rows);
}
