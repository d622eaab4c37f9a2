/**
 * One seeded run: a virtual device with the scenario's faults, the library's flash() against
 * it with every device-dependent wait scaled like the device, then the verdict, judged from
 * the device's side: does it hold the image, and if not, was the failure told truthfully?
 */
import { startVirtualPort, type DeviceSummary, type FaultStats, type VirtualPortHandle } from '../../src/emulator/index.js';
import type { ParticleDevice } from '../../src/emulator/particle-device.js';
import type { SparkCoreDevice } from '../../src/emulator/spark-core-device.js';
import type { UBootDevice } from '../../src/emulator/uboot-device.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { SerialFlashError } from '../../src/errors.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { DEFAULT_BAUD_RATE, flash } from '../../src/flash/flash.js';
import { framedLength } from '../../src/protocol/blocks.js';
import { DEFAULT_TIMING } from '../../src/protocol/sender-options.js';
import { CORE_APPLICATION_ADDRESS } from '../../src/devices/particle/spark-core-image.js';
import type { ImageStore } from './images.js';
import { userPartStart } from './images.js';
import { explainFailure, type Verdict } from './judge.js';
import { DeviceView } from './observe.js';
import { DEVICES, type Scenario } from './scenarios.js';

/** Start, 8 data bits, stop. */
const BITS_PER_BYTE = 10;
/** A USB-UART adapter's latency each way on a paced line. */
const UART_LATENCY_MS = 1;
/** 5 s of Device OS timeout becomes 250 ms: fast, yet far above timer jitter with runs in parallel. */
export const DEFAULT_TIME_SCALE = 0.05;
/** After flash() returns, the device may still install or reset; this long (real ms, scaled) covers it. */
const SETTLE_MS = 2_000;
const SETTLE_POLL_MS = 10;
/** An announced install that has not ended after this long (real ms) has hung. */
const INSTALL_HANG_MS = 30_000;

export interface RunRecord {
  scenario: Scenario;
  verdict: Verdict;
  exitCode: number;
  code?: string;
  message?: string;
  /** The device holds the image byte for byte where it was meant to go. */
  holdsImage: boolean;
  /** Every invariant this run broke (empty for a good run, success or failure). */
  violations: string[];
  /** What the device recorded (for replays). */
  device: DeviceSummary;
  /** The faults that were injected (lost ACKs, damaged blocks…). */
  faults: FaultStats;
  /** With `log`: every flash event and device line, in order (for replays). */
  log?: string[];
  ms: number;
}

export interface RunOptions {
  images: ImageStore;
  timeScale?: number;
  /** Keep a log of the run in the record. */
  log?: boolean;
}

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunRecord> {
  const timeScale = options.timeScale ?? DEFAULT_TIME_SCALE;
  const spec = DEVICES[scenario.device];
  const image = options.images.get(spec.image, scenario.imageBytes);
  const started = performance.now();
  const port = startVirtualPort(spec.profile, {
    timeScale,
    seed: scenario.seed,
    firmwareVersion: spec.firmwareVersion,
    eraseMs: scenario.headerAckMs === undefined ? undefined : scenario.headerAckMs * timeScale,
    ...(scenario.paced ? { bytesPerSecond: DEFAULT_BAUD_RATE / BITS_PER_BYTE, latencyMs: UART_LATENCY_MS } : {}),
    receiverTimeoutMs: scenario.receiverTimeoutRatio === undefined ? undefined : scenario.receiverTimeoutRatio * senderBlockWaitMs(scenario, timeScale),
    faults: {
      seed: scenario.seed,
      dropAck: scenario.faults.includes('drop-ack') ? scenario.rate : undefined,
      corrupt: scenario.faults.includes('corrupt') ? scenario.rate : undefined,
      noiseEverySeconds: scenario.noiseEverySeconds,
      firstAnswerMs: scenario.firstAnswerMs === undefined ? undefined : scenario.firstAnswerMs * timeScale,
      abortAfterBlocks: scenario.abortAfterBlocks,
      abortReason: scenario.abortReason,
      dieAfterBlocks: scenario.dieAfterBlocks,
    },
  });
  const view = new DeviceView(port.device);
  // Device OS prints this once the image is accepted; installing it may take an erase longer.
  let confirmed = false;
  port.device.on('text', (text) => (confirmed ||= /Downloaded file successfully!/.test(text)));
  let storedBytes = 0;
  let blocks = 0;
  port.device.on('block', (block) => {
    storedBytes = Math.max(storedBytes, block.offset + block.size);
    if (++blocks === scenario.silentAfterBlocks) view.silenceHost(scenario.silentMs! * timeScale);
  });
  const log: string[] | undefined = options.log ? [] : undefined;
  const at = () => `${(performance.now() - started).toFixed(1).padStart(8)} ms`;
  if (log) {
    port.device.on('text', (text) => log.push(`${at()} device prints ${JSON.stringify(text)}`));
    port.device.on('reset', (info) => log.push(`${at()} device resets (${info.reason})`));
  }
  let error: unknown;
  try {
    const outcome = await flash({
      file: image.path,
      port: port.path,
      target: spec.target,
      address: spec.address,
      blockSize: scenario.blockSize,
      binding: port.binding,
      timeScale,
      trace: Boolean(log),
      onEvent: log && ((event) => log.push(`${at()} ${event.type === 'trace' ? `${event.direction} ${event.data.subarray(0, 8).toString('hex')}${event.data.length > 8 ? `… (${event.data.length} bytes)` : ''}` : JSON.stringify(event)}`)),
    });
    if (!outcome.ok) error = new Error('flash() resolved without ok');
  } catch (caught) {
    error = caught;
  }
  await settle(port, (SETTLE_MS + 2 * (scenario.headerAckMs ?? 0)) * timeScale, () => confirmed && !port.device.lastTransfer);
  const holdsImage = holds(port, scenario, image.data);
  const device = port.device.summary();
  port.close();
  const exitCode = error === undefined ? 0 : exitCodeFor(error);
  const violations = explainFailure({ scenario, spec, error, exitCode, holdsImage, view, storedBytes });
  const verdict: Verdict =
    exitCode === 0 ? (holdsImage ? 'success' : 'false-success') : violations.some((v) => v.startsWith('unexplained:')) ? 'silent-failure' : 'explained-failure';
  return {
    scenario,
    verdict,
    exitCode,
    code: error instanceof SerialFlashError ? error.code : undefined,
    message: error instanceof Error ? error.message : error === undefined ? undefined : String(error),
    holdsImage,
    violations,
    device,
    faults: { ...port.faults },
    log,
    ms: performance.now() - started,
  };
}

/**
 * How long the sender waits for a data block's answer at its defaults: its answer timeout
 * (scaled like the device) plus the time the block takes on the line at the default baud rate.
 */
function senderBlockWaitMs(scenario: Scenario, timeScale: number): number {
  return DEFAULT_TIMING.responseTimeoutMs * timeScale + (framedLength(scenario.blockSize, 'crc16') * BITS_PER_BYTE * 1000) / DEFAULT_BAUD_RATE;
}

/**
 * Waits until the device has finished what it was doing, at most `maxMs` for a receiver that
 * may still run. An install the device has announced is waited for to its end (bounded only
 * against a hang): how long it takes on a loaded machine must not decide what the device holds.
 */
export async function settle(port: Pick<VirtualPortHandle, 'device'>, maxMs: number, installing: () => boolean): Promise<void> {
  const started = performance.now();
  const busy = () => port.device.mode === 'updating' || port.device.receiving;
  const waiting = () => (busy() && performance.now() - started < maxMs) || (installing() && performance.now() - started < INSTALL_HANG_MS);
  do await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  while (waiting());
}

/** Reads the image back from where the device keeps it. */
function holds(port: VirtualPortHandle, scenario: Scenario, image: Buffer): boolean {
  const spec = DEVICES[scenario.device];
  const device = port.device;
  switch (spec.image) {
    case 'photon':
    case 'electron': {
      const start = userPartStart(spec.image);
      return device.lastTransfer?.installedAt === start && (device as ParticleDevice).flash.read(start, image.length).equals(image);
    }
    case 'core':
      return (device as SparkCoreDevice).flash.read(CORE_APPLICATION_ADDRESS, image.length).equals(image);
    case 'data':
      // U-Boot loads into RAM: the board has the image when its RAM at the load address holds
      // the bytes (what its crc32 and bootm read), whether or not a reset since then lost
      // U-Boot's own record of the load.
      if (spec.profile === 'uboot') return (device as UBootDevice).memory.read(spec.address!, image.length).equals(image);
      return (device as YmodemDevice).files.some((file) => file.data.equals(image));
  }
}
