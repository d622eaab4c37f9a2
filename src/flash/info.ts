/** Asks a device who it is (`serial-flash info`), through the profile that knows how. */
import type { BindingInterface } from '@serialport/bindings-cpp';
import type { DeviceIdentity } from '../devices/profile.js';
import { profileForInfo } from '../devices/registry.js';
import { describePort, findOnlyDevice, usbOf } from './discover.js';
import type { FlashEvent } from './events.js';
import { DEFAULT_BAUD_RATE } from './flash.js';
import { type SessionOptions, withDeviceSession } from './session.js';

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
  const profile = profileForInfo(usbOf(described));
  const sessionOptions: SessionOptions = {
    port,
    baudRate: DEFAULT_BAUD_RATE,
    dtr: profile.assertDtr,
    binding: options.binding,
    signal: options.signal,
    trace: options.trace,
    emit: options.onEvent ?? (() => undefined),
    release: (session) => profile.release(session),
  };
  const identity = await withDeviceSession(sessionOptions, (session) => profile.identify!(session));
  return { port, device: described?.device?.name, ...identity };
}
