/**
 * Throughput on a paced serial line: the virtual `ymodem` receiver (lrzsz rb's behaviour)
 * behind a line limited to baud/10 bytes per second each way with a one-way latency, fed by
 * serial-flash (the library's flash(), through serialport's stream on the virtual binding)
 * and by lrzsz `sb`, whose stdin/stdout are bridged to the same device through the same
 * PacedLine code. Both are timed at the device, the same way: from the moment the header's
 * first byte entered the line to the moment the end-of-batch ACK left it and crossed back.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { createVirtualDevice } from '../../src/emulator/index.js';
import { PacedLine } from '../../src/emulator/paced-line.js';
import { monotonicMs } from '../../src/emulator/precise-timer.js';
import { VirtualBinding, type VirtualWire } from '../../src/emulator/virtual-binding.js';
import type { YmodemDevice } from '../../src/emulator/ymodem-device.js';
import { flash } from '../../src/flash/flash.js';
import type { BlockSize } from '../../src/protocol/blocks.js';
import { byteMs, type LineSpec } from './theory.js';

export interface SessionTiming {
  /** Header start to the end-of-batch ACK's arrival, ms. */
  elapsedMs: number;
  /** CPU time this process used over the same span (sender, virtual device and line), ms. */
  cpuMs: number;
}

/** Timestamps a device's session from its side of the line. */
class SessionClock {
  private firstAt: number | undefined;
  private firstLength = 0;
  private endAt: number | undefined;
  private cpuAtStart: NodeJS.CpuUsage | undefined;
  private cpuUsed: NodeJS.CpuUsage | undefined;

  constructor(device: YmodemDevice) {
    device.on('transfer-complete', () => {
      this.endAt ??= monotonicMs();
      this.cpuUsed ??= process.cpuUsage(this.cpuAtStart);
    });
  }

  /** The device's wire, noting when the first host bytes arrive. */
  wrap(wire: VirtualWire): VirtualWire {
    return {
      onHostData: (data) => {
        if (this.firstAt === undefined) {
          this.firstAt = monotonicMs();
          this.firstLength = data.length;
          this.cpuAtStart = process.cpuUsage();
        }
        wire.onHostData(data);
      },
      onHostOpen: (port) => wire.onHostOpen?.(port),
      onHostClose: () => wire.onHostClose?.(),
      onLineCoding: (baud) => wire.onLineCoding?.(baud),
      onControlLines: (lines) => wire.onControlLines?.(lines),
    };
  }

  /**
   * The first chunk (the header) arrived when its last byte had crossed: it entered the line
   * firstLength byte times plus the latency earlier. The final ACK needs one byte time and the
   * latency to get back.
   */
  timing(line: LineSpec): SessionTiming {
    if (this.firstAt === undefined || this.endAt === undefined || !this.cpuUsed) throw new Error('the session did not complete');
    const b = byteMs(line.baud);
    const elapsedMs = this.endAt - this.firstAt + this.firstLength * b + line.latencyMs + b + line.latencyMs;
    return { elapsedMs, cpuMs: (this.cpuUsed.user + this.cpuUsed.system) / 1000 };
  }
}

function pacedDevice(): { device: YmodemDevice; clock: SessionClock; wire: VirtualWire; portOptions: object } {
  const instance = createVirtualDevice('ymodem', { once: true });
  const device = instance.device as YmodemDevice;
  const clock = new SessionClock(device);
  return { device, clock, wire: clock.wrap(instance.wire), portOptions: instance.portOptions };
}

function checkReceived(device: YmodemDevice, data: Buffer, who: string): void {
  const file = device.files[0];
  const want = createHash('sha256').update(data).digest('hex');
  if (!file || file.sha256 !== want) throw new Error(`${who}: the virtual receiver did not get the file intact`);
}

const PORT_PATH = '/dev/ttyBENCH';

/** serial-flash through the library, as the CLI runs it (`--target ymodem`). */
export async function serialFlashOnLine(line: LineSpec, blockSize: BlockSize, file: string, data: Buffer): Promise<SessionTiming> {
  const { device, clock, wire, portOptions } = pacedDevice();
  const binding = new VirtualBinding();
  binding.add(`${PORT_PATH}0`, wire, { ...portOptions, bytesPerSecond: line.baud / 10, latencyMs: line.latencyMs });
  try {
    await flash({ file, port: `${PORT_PATH}0`, target: 'ymodem', blockSize, baudRate: line.baud, binding });
    checkReceived(device, data, 'serial-flash');
    return clock.timing(line);
  } finally {
    device.dispose();
  }
}

/**
 * `count` devices, each on its own paced port of one binding, flashed by concurrent flash()
 * calls in this process. Returns each session's timing and the wall time for all of them.
 */
export async function serialFlashConcurrently(
  line: LineSpec,
  blockSize: BlockSize,
  file: string,
  data: Buffer,
  count: number,
): Promise<{ wallMs: number; sessions: SessionTiming[] }> {
  const binding = new VirtualBinding();
  const devices = Array.from({ length: count }, (_, i) => {
    const paced = pacedDevice();
    binding.add(`${PORT_PATH}${i}`, paced.wire, { ...paced.portOptions, bytesPerSecond: line.baud / 10, latencyMs: line.latencyMs });
    return paced;
  });
  const started = monotonicMs();
  try {
    await Promise.all(devices.map((_, i) => flash({ file, port: `${PORT_PATH}${i}`, target: 'ymodem', blockSize, baudRate: line.baud, binding })));
    const wallMs = monotonicMs() - started;
    devices.forEach(({ device }, i) => checkReceived(device, data, `serial-flash (device ${i + 1})`));
    return { wallMs, sessions: devices.map(({ clock }) => clock.timing(line)) };
  } finally {
    for (const { device } of devices) device.dispose();
  }
}

/** Longest an sb run may take before it counts as hung (the slowest case here takes ~10 s). */
const SB_DEADLINE_MS = 120_000;

/** lrzsz `sb --ymodem` (`-k` for 1K blocks), its stdio bridged to the device over the same PacedLine. */
export async function sbOnLine(line: LineSpec, blockSize: BlockSize, file: string, data: Buffer): Promise<SessionTiming> {
  const { device, clock, wire } = pacedDevice();
  const toDevice = new PacedLine(line.baud / 10, line.latencyMs);
  const toHost = new PacedLine(line.baud / 10, line.latencyMs);
  const args = ['--ymodem', ...(blockSize === 1024 ? ['-k'] : []), basename(file)];
  const sb = spawn('sb', args, { cwd: dirname(file), stdio: ['pipe', 'pipe', 'ignore'] });
  sb.stdin.on('error', () => undefined);
  wire.onHostOpen?.({
    send: (bytes) => toHost.deliver(Buffer.from(bytes), (chunk) => {
      if (!sb.stdin.destroyed) sb.stdin.write(chunk);
    }),
    disconnect: () => sb.stdin.end(),
  });
  sb.stdout.on('data', (chunk: Buffer) => toDevice.deliver(chunk, (arrived) => wire.onHostData(arrived)));
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        sb.kill();
        reject(new Error(`sb ${args.join(' ')} did not finish within ${SB_DEADLINE_MS / 1000} s`));
      }, SB_DEADLINE_MS);
      sb.on('close', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    if (code !== 0) throw new Error(`sb ${args.join(' ')} exited with ${code}`);
    checkReceived(device, data, 'sb');
    return clock.timing(line);
  } finally {
    wire.onHostClose?.();
    device.dispose();
  }
}
