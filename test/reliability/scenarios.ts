/**
 * The fault matrix: which virtual device, which faults (alone or mixed), how hard, which image
 * — all derived from one seed, so any run can be replayed exactly (`npm run soak -- --seed N`).
 */
import { mulberry32 } from '../../src/emulator/faults.js';
import type { ParticleFirmware } from '../../src/emulator/particle-device.js';
import { MIN_IMAGE_BYTES, type ImageKind } from './images.js';

export type DeviceKind = 'photon' | 'photon-0.5' | 'photon-0.4' | 'electron' | 'core' | 'ymodem' | 'uboot';

export interface DeviceSpec {
  /** startVirtualPort profile. */
  profile: string;
  firmwareVersion?: ParticleFirmware;
  image: ImageKind;
  /** --target, when the port's USB identity does not tell (a UART adapter). */
  target?: string;
  address?: number;
  /** The device's own silence timeout in real ms (Device OS 5 s, lrzsz 10 s, U-Boot 2 s). */
  silenceTimeoutMs: number;
  /** The receiver gives up after this many silence timeouts in a row. */
  silenceLimit: number;
  /** The receiver checks each block's CRC (standard receivers); Device OS does not. */
  checksCrc: boolean;
  /** The device erases flash before it ACKs the header (slow header ACK applies). */
  erasesBeforeHeaderAck: boolean;
  /** The real device's slowest header ACK, ms: Device OS 0.5–1.0 may wait 30 s for the application. */
  slowestHeaderAckMs?: number;
  /** Silent until the first packet: its first answer is the header's ACK (slow-header-ack covers it). */
  silentReceiver?: boolean;
  /** Application logs share the port (a Particle application); consoles and bootloaders print little. */
  chatty: boolean;
}

/** Erasing a 128 KB flash sector before the header's ACK: STM32F2 worst case (inference from its datasheet, ~2–4 s). */
const ERASE_OTA_SECTOR_MS = 4_000;

export const DEVICES: Record<DeviceKind, DeviceSpec> = {
  photon: particle('photon', '0.6.1+', 'photon'),
  'photon-0.5': particle('photon', '0.5', 'photon'),
  'photon-0.4': { ...particle('photon', '0.4.x', 'photon'), slowestHeaderAckMs: ERASE_OTA_SECTOR_MS, silentReceiver: true },
  electron: particle('electron', '0.6.1+', 'electron'),
  // Its 28800 receiver is silent too; erasing 128 KB of SPI flash takes a few seconds.
  core: { ...particle('core', undefined, 'core'), slowestHeaderAckMs: ERASE_OTA_SECTOR_MS, silentReceiver: true },
  ymodem: { profile: 'ymodem', image: 'data', target: 'ymodem', silenceTimeoutMs: 10_000, silenceLimit: 10, checksCrc: true, erasesBeforeHeaderAck: false, chatty: false },
  uboot: { profile: 'uboot', image: 'data', target: 'uboot', address: 0x81000000, silenceTimeoutMs: 2_000, silenceLimit: 20, checksCrc: true, erasesBeforeHeaderAck: false, chatty: false },
};

function particle(profile: string, firmwareVersion: ParticleFirmware | undefined, image: ImageKind): DeviceSpec {
  // Device OS 0.5–1.0 may wait up to 30 s for the application to allow the update (docs/protocol.md §3).
  return { profile, firmwareVersion, image, silenceTimeoutMs: 5_000, silenceLimit: 6, checksCrc: false, erasesBeforeHeaderAck: true, slowestHeaderAckMs: 30_000, chatty: true };
}

export const DEVICE_KINDS = Object.keys(DEVICES) as DeviceKind[];

export type FaultKind =
  | 'drop-ack'
  | 'corrupt'
  | 'noise'
  | 'slow-first-answer'
  | 'slow-header-ack'
  | 'device-abort'
  | 'device-reset'
  | 'host-silent';

/** Faults a good sender survives: at low rates, nearly every run must succeed. */
export const RECOVERABLE: readonly FaultKind[] = ['drop-ack', 'corrupt', 'noise', 'slow-first-answer', 'slow-header-ack'];
/** Faults that end the transfer (or may): the run must fail and say why, or succeed truthfully. */
export const FATAL: readonly FaultKind[] = ['device-abort', 'device-reset', 'host-silent'];

export function appliesTo(fault: FaultKind, device: DeviceSpec): boolean {
  if (fault === 'corrupt') return device.checksCrc; // USB's own CRC protects Particle links; their receiver checks none
  if (fault === 'slow-header-ack') return device.erasesBeforeHeaderAck;
  if (fault === 'slow-first-answer') return !device.silentReceiver;
  return true;
}

export interface Scenario {
  seed: number;
  device: DeviceKind;
  faults: FaultKind[];
  /** Probability of each lost ACK / damaged block. */
  rate: number;
  imageBytes: number;
  blockSize: 128 | 1024;
  /** Application log line every this many real seconds. */
  noiseEverySeconds?: number;
  /** The first answer is held back this long (real ms, scaled by the run). */
  firstAnswerMs?: number;
  headerAckMs?: number;
  abortAfterBlocks?: number;
  abortReason?: string;
  dieAfterBlocks?: number;
  silentAfterBlocks?: number;
  /** Real ms (scaled by the run): the device hears nothing from the host this long. */
  silentMs?: number;
  /**
   * The receiver's own timeout for the next block, as a multiple of the sender's default wait
   * for a data block's answer (its timeout and the block's time on the line): shorter (0.5),
   * equal (1: both time out together after a lost ACK) or longer (2). Unset: the device's own
   * (lrzsz 10 s, Device OS 5 s).
   */
  receiverTimeoutRatio?: ReceiverTimeoutRatio;
  /** The line carries baud/10 bytes per second each way (a UART at the sender's default rate); unset: as fast as the host goes. */
  paced?: boolean;
}

export const RECEIVER_TIMEOUT_RATIOS = [0.5, 1, 2] as const;
export type ReceiverTimeoutRatio = (typeof RECEIVER_TIMEOUT_RATIOS)[number];
/** The devices whose receiver timeout the matrix varies: the standard dialect and Device OS's. */
const TIMEOUT_DEVICES: readonly DeviceKind[] = ['ymodem', 'photon', 'electron'];

/** Rates a sender must survive (≥ 99% of runs), and harsher ones that only have to be told truthfully. */
export const RECOVERABLE_RATES = [0.01, 0.02, 0.05] as const;
export const HARSH_RATES = [0.2, 0.5] as const;
/** Sizes at the block boundaries, plus a few larger images. */
const DATA_SIZES = [1, 127, 128, 129, 1023, 1024, 1025, 4096, 20_000, 65_537];
const MODULE_SIZES = [4004, 8192, 20_000, 50_001];
const ABORT_REASONS = ['Failed to save chunk!', 'Low battery: update refused', 'Flash write error at 0x080C0400'];

export function scenarioFor(seed: number): Scenario {
  const random = mulberry32(seed * 0x9e3779b1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const device = DEVICE_KINDS[seed % DEVICE_KINDS.length]!;
  const spec = DEVICES[device];
  const sizes = spec.image === 'data' ? DATA_SIZES : MODULE_SIZES.filter((s) => s >= MIN_IMAGE_BYTES[spec.image]);
  const blockSize = random() < 0.7 ? 1024 : 128;
  let imageBytes = pick(sizes);
  const recoverable = RECOVERABLE.filter((f) => appliesTo(f, spec));
  // Mostly recoverable faults alone or mixed; a third of the runs add one fault that may end it.
  const faults = new Set<FaultKind>([pick(recoverable)]);
  if (random() < 0.5) faults.add(pick(recoverable));
  if (random() < 0.33) faults.add(pick(FATAL));
  // The host's silence needs time on the line: keep those images small so a run stays short.
  if (faults.has('host-silent')) imageBytes = Math.min(imageBytes, spec.image === 'data' ? 4096 : 8192);
  const blocks = Math.ceil(imageBytes / blockSize);
  const rate = random() < 0.85 ? pick(RECOVERABLE_RATES) : pick(HARSH_RATES);
  const scenario: Scenario = { seed, device, faults: [...faults].sort(), rate, imageBytes, blockSize };
  if (faults.has('noise')) scenario.noiseEverySeconds = spec.chatty ? pick([0.01, 0.05, 0.2]) : pick([0.2, 1]);
  if (faults.has('slow-first-answer')) scenario.firstAnswerMs = 6_000;
  if (faults.has('slow-header-ack')) scenario.headerAckMs = Math.round((spec.slowestHeaderAckMs ?? 0) * (0.5 + random() * 0.5));
  const someBlock = () => 1 + Math.floor(random() * blocks);
  if (faults.has('device-abort')) {
    scenario.abortAfterBlocks = someBlock();
    scenario.abortReason = pick(ABORT_REASONS);
  }
  if (faults.has('device-reset')) scenario.dieAfterBlocks = someBlock();
  if (faults.has('host-silent')) {
    scenario.silentAfterBlocks = someBlock();
    // Either long enough for one of the device's own timeouts, or past its last one.
    const timeouts = random() < 0.5 ? 1.5 : spec.silenceLimit + 1.5;
    scenario.silentMs = Math.round(spec.silenceTimeoutMs * timeouts);
  }
  // Drawn last, so every other choice of a seed stays what it was.
  const ratio = pick(RECEIVER_TIMEOUT_RATIOS);
  if (TIMEOUT_DEVICES.includes(device) && isRecoverable(scenario) && random() < 0.5) scenario.receiverTimeoutRatio = ratio;
  return scenario;
}

/** True when every fault in the run is one a sender must survive, at a rate it must survive. */
export function isRecoverable(s: Scenario): boolean {
  return s.faults.every((f) => RECOVERABLE.includes(f)) && s.rate <= 0.05;
}

export function describeScenario(s: Scenario): string {
  const rated = s.faults.map((f) => (f === 'drop-ack' || f === 'corrupt' ? `${f} ${Math.round(s.rate * 100)}%` : f));
  const timeouts = s.receiverTimeoutRatio === undefined ? '' : `, receiver timeout ${s.receiverTimeoutRatio}× the sender's`;
  return `seed ${s.seed}: ${s.device}, ${s.imageBytes} bytes in ${s.blockSize}-byte blocks, ${rated.join(' + ')}${timeouts}`;
}

/**
 * Lost ACKs (and damaged blocks, where the receiver checks CRCs) with the receiver's timeout
 * shorter than, equal to and longer than the sender's, for the standard and the Device OS
 * dialects: `perCase` seeds each, from `firstSeed`.
 */
export function timeoutScenarios(firstSeed: number, perCase: number): Scenario[] {
  const list: Scenario[] = [];
  let seed = firstSeed;
  for (const device of ['ymodem', 'photon'] as const) {
    for (const receiverTimeoutRatio of RECEIVER_TIMEOUT_RATIOS) {
      for (let i = 0; i < perCase; i++) {
        const faults: FaultKind[] = DEVICES[device].checksCrc ? ['corrupt', 'drop-ack'] : ['drop-ack'];
        // A UART for the standard receiver: a block's copy takes its time to cross, as do the answers behind it; Particle devices are on USB.
        const paced = device === 'ymodem';
        list.push({ seed: seed++, device, faults, rate: 0.05, imageBytes: paced ? 65_537 : 50_001, blockSize: 1024, receiverTimeoutRatio, paced });
      }
    }
  }
  return list;
}
