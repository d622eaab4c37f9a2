/** Asks a Particle device or Spark Core who it is (`serial-flash info`). */
import type { BindingInterface } from '@serialport/bindings-cpp';
import { type DeviceIdentity, identifyParticleDevice } from '../devices/particle/identify.js';
import { restoreSafeRate } from '../devices/particle/listening-mode.js';
import { recognise } from '../devices/registry.js';
import { describePort, findOnlyDevice } from './discover.js';
import type { FlashEvent } from './events.js';
import { DEFAULT_BAUD_RATE } from './flash.js';
import { withDeviceSession } from './session.js';

export interface InfoOptions {
  port?: string;
  binding?: BindingInterface;
  signal?: AbortSignal;
  onEvent?: (event: FlashEvent) => void;
  /** Emit `trace` events with every byte exchanged. */
  trace?: boolean;
}

export interface DeviceInfo extends DeviceIdentity {
  port: string;
  device?: string;
}

export async function deviceInfo(options: InfoOptions): Promise<DeviceInfo> {
  const port = options.port ?? (await findOnlyDevice(options.binding, 'serial-flash info /dev/ttyACM0')).path;
  const described = await describePort(port, options.binding);
  const device = recognise(described?.vendorId && described.productId ? { vendorId: described.vendorId, productId: described.productId } : undefined);
  const sessionOptions = {
    port,
    baudRate: DEFAULT_BAUD_RATE,
    dtr: true,
    binding: options.binding,
    signal: options.signal,
    trace: options.trace,
    emit: options.onEvent ?? (() => undefined),
    release: restoreSafeRate,
  };
  const identity = await withDeviceSession(sessionOptions, identifyParticleDevice);
  return { port, device: device?.platform.name, ...identity };
}
