/**
 * Section: what a lost ACK costs. The same image is flashed at the default options with no
 * ACK lost and with the ACKs of a few data blocks lost (chosen by a seed, each once), against
 * the standard receiver (the `ymodem` profile, lrzsz rb's behaviour) on a paced UART line and
 * against a listening virtual Photon (Device OS's receiver) over its USB model. The cost of
 * one lost ACK is (time with k lost − time with none) / k, over several seeds.
 */
import { mulberry32 } from '../../src/emulator/faults.js';
import { startVirtualPort } from '../../src/emulator/index.js';
import { monotonicMs } from '../../src/emulator/precise-timer.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { SerialFlashError } from '../../src/errors.js';
import { flash } from '../../src/flash/flash.js';
import { testData } from '../helpers/virtual-link.js';
import { type ImageDir, photonUserPart } from './images.js';
import { kib, median, seconds, table } from './stats.js';

export interface LostAckDialect {
  name: string;
  /** Profile of the virtual device, and how the port is paced. */
  profile: 'ymodem' | 'photon';
  line: string;
  bytes: number;
}

export interface LostAckResult {
  markdown: string;
  /** Mean ms lost per lost ACK over the runs that succeeded, and how many failed, per dialect. */
  costs: { name: string; msPerLostAck: number; failures: number }[];
}

/** Seeds (which blocks lose their ACK) and ACKs lost per run: a minute or so in all. */
export function lostAckSeeds(quick: boolean): number[] {
  return quick ? [1, 2] : [1, 2, 3, 4];
}

export function lostAcksPerRun(quick: boolean): number {
  return quick ? 1 : 2;
}

export const LOST_ACK_NOTE = [
  'The same image is flashed at the default options (no --timeout) with no ACK lost, and with the ACKs of two data blocks lost on the way back (which blocks: chosen by a seed; each ACK lost once, the answer to its re-sent copy gets through).',
  'Against the standard receiver (the `ymodem` profile: lrzsz rb\'s behaviour, which ACKs a re-sent copy of the block it has) on a line paced at 115200 baud, and against a listening virtual Photon (Device OS\'s receiver, which NAKs a copy of a block it has) over its USB model.',
  'Timed from the first data block to the EOT; the cost of one lost ACK is (time with k lost − median time with none) / k, per run and over all runs.',
  'The header\'s and the closing block\'s answers keep their long waits (the receiver erases or validates first), so their lost ACKs are not in this table; the first data block\'s answer is awaited for the whole timeout too (no answer has been seen yet to learn from), so a run that loses its ACK pays the receiver\'s own timeout for it.',
].join(' ');

const BAUD = 115_200;
const UART_LATENCY_MS = 1;
/** USB full-speed polls every 1 ms frame; Device OS writes each block to flash before its ACK. */
const USB_LATENCY_MS = 1;
const PHOTON_WRITE_MS = 5;

export function lostAckDialects(quick: boolean): LostAckDialect[] {
  const bytes = quick ? 16 * 1024 : 32 * 1024;
  return [
    { name: 'standard (`ymodem`, lrzsz rb)', profile: 'ymodem', line: `${BAUD} baud, ${UART_LATENCY_MS} ms`, bytes },
    { name: 'Particle (Photon, Device OS 0.6.1+)', profile: 'photon', line: `USB, ${USB_LATENCY_MS} ms, ${PHOTON_WRITE_MS} ms per flash write`, bytes },
  ];
}

/** `count` distinct data blocks out of `blocks`, chosen by `seed`. */
function chosenBlocks(seed: number, blocks: number, count: number): number[] {
  const random = mulberry32(seed * 0x2545f491);
  const chosen = new Set<number>();
  while (chosen.size < Math.min(count, blocks)) chosen.add(1 + Math.floor(random() * blocks));
  return [...chosen].sort((a, b) => a - b);
}

type Run = { ms: number; dropped: number } | { failed: string };

/** From the first data block's write to the EOT: the data phase, where the lost ACKs are. A failed transfer is reported, not thrown. */
async function dataPhaseMs(dialect: LostAckDialect, file: string, data: Buffer, dropAckOfBlocks: number[]): Promise<Run> {
  const photon = dialect.profile === 'photon';
  const port = startVirtualPort(dialect.profile, {
    ...(photon
      ? { listening: true, writeMs: PHOTON_WRITE_MS, eraseMs: 0, latencyMs: USB_LATENCY_MS }
      : { once: true, bytesPerSecond: BAUD / 10, latencyMs: UART_LATENCY_MS }),
    faults: { dropAckOfBlocks },
  });
  let dataAt = 0;
  let eotAt = 0;
  try {
    const outcome = await flash({
      file,
      port: port.path,
      binding: port.binding,
      ...(photon ? {} : { target: 'ymodem', baudRate: BAUD }),
      onEvent: (event) => {
        if (event.type === 'phase' && event.phase === 'data') dataAt = monotonicMs();
        if (event.type === 'phase' && event.phase === 'eot') eotAt = monotonicMs();
      },
    }).catch((error: unknown) => {
      if (!(error instanceof SerialFlashError)) throw error;
      return error;
    });
    if (outcome instanceof SerialFlashError) return { failed: `${outcome.code}: ${outcome.message}` };
    const intact = photon
      ? port.device.lastTransfer?.status === 'accepted'
      : (port.device as YmodemDevice).files.some((received) => received.data.equals(data));
    if (!intact) throw new Error(`${dialect.name}: the virtual device did not get the image intact`);
    return { ms: eotAt - dataAt, dropped: port.faults.droppedAcks };
  } finally {
    port.close();
  }
}

export async function lostAckCost(images: ImageDir, dialects: LostAckDialect[], seeds: number[], lostPerRun: number, log: (line: string) => void): Promise<LostAckResult> {
  const rows: string[][] = [];
  const costs: LostAckResult['costs'] = [];
  for (const dialect of dialects) {
    const data = dialect.profile === 'photon' ? photonUserPart(dialect.bytes) : testData(dialect.bytes, 0x4c4f5354);
    const file = images.write(`lost-ack-${dialect.profile}.bin`, data);
    const blocks = Math.ceil(dialect.bytes / 1024);
    const clean: number[] = [];
    let lostMs = 0;
    let lost = 0;
    const perSeed: string[] = [];
    let failures = 0;
    for (const seed of seeds) {
      // Interleaved: a clean run next to each lossy one, so a busy moment hits both alike.
      const reference = await dataPhaseMs(dialect, file, data, []);
      if ('failed' in reference) throw new Error(`${dialect.name}: a transfer with no fault failed: ${reference.failed}`);
      clean.push(reference.ms);
      const run = await dataPhaseMs(dialect, file, data, chosenBlocks(seed, blocks, lostPerRun));
      if ('failed' in run) {
        log(`  ${dialect.name}, seed ${seed}: the transfer failed: ${run.failed}`);
        perSeed.push('failed');
        failures++;
        continue;
      }
      if (run.dropped === 0) throw new Error(`${dialect.name}: seed ${seed} lost no ACK`);
      const cost = (run.ms - median(clean)) / run.dropped;
      perSeed.push(seconds(cost));
      lostMs += run.ms - median(clean);
      lost += run.dropped;
    }
    const msPerLostAck = lost > 0 ? lostMs / lost : NaN;
    costs.push({ name: dialect.name, msPerLostAck, failures });
    log(`  ${dialect.name}: ${seconds(msPerLostAck)} per lost ACK (${lost} lost over ${seeds.length} seeds)`);
    rows.push([dialect.name, dialect.line, kib(dialect.bytes), seconds(median(clean)), `${lost} (${seeds.length} runs${failures ? `, **${failures} failed**` : ''})`, perSeed.join(', '), `**${seconds(msPerLostAck)}**`]);
  }
  return {
    markdown: table(['receiver', 'line', 'image', 'data phase, no ACK lost', 'ACKs lost', 'per lost ACK, each run', 'per lost ACK, mean'], rows),
    costs,
  };
}
