/**
 * The one lifecycle of an open device, shared by flash and info: open the port → tap it for
 * the trace → attach the byte reader → hand the profile its session → and, whatever happens,
 * leave the device harmless and close everything.
 */
import type { BindingInterface } from '@serialport/bindings-cpp';
import type { DeviceSession } from '../devices/profile.js';
import { CancelledError } from '../errors.js';
import { writeWithin } from '../protocol/bounded-write.js';
import { ByteReader } from '../protocol/byte-reader.js';
import type { Connection } from '../transport/connection.js';
import { openConnection } from '../transport/open.js';
import { withinMs } from '../util/within.js';
import type { FlashEvent } from './events.js';
import type { ImageRefusal } from '../image/firmware-file.js';
import { tapTraffic } from './trace.js';

/** A console command (`f`, `loady …`) is a few bytes: one still not written after this is stuck behind a device that stopped reading. */
const CONSOLE_WRITE_TIMEOUT_MS = 10_000;
/** Five CANs take 1 s at 50 baud, the slowest rate accepted; a wedged port must not hold the exit longer. */
const DRAIN_BEFORE_RELEASE_MS = 2_000;

export interface SessionOptions {
  port: string;
  baudRate: number;
  /** Assert DTR/RTS on open (Photon-class devices send nothing until DTR). */
  dtr: boolean;
  binding?: BindingInterface;
  signal?: AbortSignal;
  /** Emit `trace` events with every byte exchanged. */
  trace?: boolean;
  timeScale?: number;
  emit: (event: FlashEvent) => void;
  /** Leaves the device harmless before the port closes (e.g. back to 9600 baud); its failure is ignored. */
  release?: (session: DeviceSession) => Promise<void>;
}

export async function withDeviceSession<T>(options: SessionOptions, use: (session: DeviceSession) => Promise<T>): Promise<T> {
  const { emit } = options;
  const started = performance.now();
  const connection = await openConnection(options.port, {
    baudRate: options.baudRate,
    dtr: options.dtr,
    binding: options.binding,
    signal: options.signal,
  });
  emit({ type: 'open', port: options.port });
  const untap = options.trace
    ? tapTraffic(connection.stream, (direction, data) => emit({ type: 'trace', direction, data, at: performance.now() - started }))
    : undefined;
  const reader = new ByteReader(connection.stream);
  const session = deviceSession(connection, reader, options.signal, emit, options.timeScale ?? 1);
  try {
    return await use(session);
  } catch (error) {
    // A bridge that turned us away makes everything after look like a device that vanished.
    throw connection.turnedAway && !(error instanceof CancelledError) ? connection.turnedAway : error;
  } finally {
    // What was written last (the CANs that tell the device to abort) must leave before the
    // rate changes (the native binding flushes its queues then) or the port closes.
    await withinMs(connection.drain().catch(() => undefined), DRAIN_BEFORE_RELEASE_MS);
    await options.release?.(session).catch(() => undefined);
    reader.detach();
    untap?.();
    await connection.close();
  }
}

/** The open port as device profiles see it, reporting what they print and do as events. */
function deviceSession(
  connection: Connection,
  reader: ByteReader,
  signal: AbortSignal | undefined,
  emit: (e: FlashEvent) => void,
  timeScale: number,
): DeviceSession {
  const forced: ImageRefusal[] = [];
  return {
    connection,
    reader,
    signal,
    timeScale,
    write: (data) => writeWithin(connection.stream, data, { timeoutMs: CONSOLE_WRITE_TIMEOUT_MS, signal }),
    onText: (text) => emit({ type: 'device-text', text }),
    onStep: (message) => emit({ type: 'step', message }),
    onForced: (refusals, message) => {
      forced.push(...refusals);
      emit({ type: 'warning', message });
    },
    forced,
  };
}
