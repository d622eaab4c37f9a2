/**
 * Several devices at once (a production line, a classroom): one flash() per port, all
 * running concurrently. One device's failure never stops the others; each keeps its own
 * typed error.
 */
import { asSerialFlashError, InputError, type SerialFlashError } from '../errors.js';
import type { FlashEvent } from './events.js';
import { type FlashOptions, type FlashOutcome, flash } from './flash.js';

export interface FlashManyOptions extends Omit<FlashOptions, 'port' | 'onEvent'> {
  /** The ports to flash, each once. */
  ports: readonly string[];
  /** Every event of every device, with the port it came from. */
  onEvent?: (port: string, event: FlashEvent) => void;
  /** Called as each device finishes, while the others go on. */
  onDeviceDone?: (outcome: DeviceOutcome) => void;
}

export type DeviceOutcome =
  | { port: string; ok: true; outcome: FlashOutcome; seconds: number }
  | { port: string; ok: false; error: SerialFlashError; seconds: number };

export interface FlashManyResult {
  /** True only when every device was flashed. */
  ok: boolean;
  /** One per port, in the order the ports were given. */
  devices: DeviceOutcome[];
}

export async function flashMany(options: FlashManyOptions): Promise<FlashManyResult> {
  const { ports, onEvent, onDeviceDone, ...common } = options;
  if (ports.length === 0) throw new InputError('NO_PORTS', 'No ports to flash; name them with --port, or use --all for every recognised device.');
  const repeated = ports.find((port, i) => ports.indexOf(port) !== i);
  if (repeated !== undefined) throw new InputError('PORT_REPEATED', `${repeated} is named twice; name each port once.`);
  const devices = await Promise.all(
    ports.map(async (port): Promise<DeviceOutcome> => {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      let done: DeviceOutcome;
      try {
        const outcome = await flash({ ...common, port, onEvent: onEvent && ((event) => onEvent(port, event)) });
        done = { port, ok: true, outcome, seconds: seconds() };
      } catch (error) {
        done = { port, ok: false, error: asSerialFlashError(error, 'The flash'), seconds: seconds() };
      }
      onDeviceDone?.(done);
      return done;
    }),
  );
  return { ok: devices.every((device) => device.ok), devices };
}
