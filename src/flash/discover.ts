/** Which port to use when the user named none, and the device list behind `serial-flash list`. */
import { realpath } from 'node:fs/promises';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { PortError } from '../errors.js';
import { type RecognisedDevice, recognise, recognisedFamilies } from '../devices/registry.js';
import type { UsbIdentity } from '../transport/connection.js';
import { listPorts, type SerialPortInfo, usbInfoFromSysfs } from '../transport/ports.js';

export interface DiscoveredPort extends SerialPortInfo {
  device?: RecognisedDevice;
}

export async function listDevices(binding?: BindingInterface): Promise<DiscoveredPort[]> {
  const ports = await listPorts({ binding });
  return ports.map(withDevice);
}

/** The port's USB vendor and product ids, when it has both. */
export function usbOf(port: SerialPortInfo | undefined): UsbIdentity | undefined {
  return port?.vendorId && port.productId ? { vendorId: port.vendorId, productId: port.productId } : undefined;
}

function withDevice(port: SerialPortInfo): DiscoveredPort {
  const device = recognise(usbOf(port));
  return device ? { ...port, device } : port;
}

/**
 * The port's USB identity, for target choice: on Linux with the native binding straight from
 * sysfs, otherwise its entry in the list, matched by path or, for links such as
 * /dev/serial/by-id/…, by the device they point to.
 */
export async function describePort(path: string, binding?: BindingInterface): Promise<DiscoveredPort | undefined> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return undefined;
  if (binding === undefined && process.platform === 'linux') {
    // sysfs describes one port at once; the full list would spawn udevadm to dump the whole
    // udev database (12 ms here, far more on a desktop), on the way to the first block.
    const info = await usbInfoFromSysfs(path);
    return info && withDevice(info);
  }
  const ports = await listDevices(binding).catch(() => []);
  const exact = ports.find((port) => port.path === path);
  if (exact) return exact;
  const target = await realpath(path).catch(() => undefined);
  return target === undefined ? undefined : ports.find((port) => port.path === target);
}

/**
 * The single recognised device ready for serial flashing, or an error listing what there is.
 * `example`: the command the message shows with the port named (the one being run).
 */
export async function findOnlyDevice(binding?: BindingInterface, example = 'serial-flash /dev/ttyACM0 firmware.bin'): Promise<DiscoveredPort> {
  const ports = await listDevices(binding);
  const candidates = readyForSerial(ports);
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    const others = ports.map((p) => p.path).join(', ');
    throw noDeviceError(ports, `name the port, e.g. ${example}${others ? ` (ports: ${others})` : ''}`);
  }
  const list = candidates.map((p) => `${p.path} (${p.device!.name})`).join(', ');
  throw new PortError('SEVERAL_DEVICES', `Several devices are connected: ${list}; name the one to flash.`);
}

/** Every recognised device ready for serial flashing (`--all`). */
export async function findAllDevices(binding?: BindingInterface): Promise<DiscoveredPort[]> {
  const ports = await listDevices(binding);
  const ready = readyForSerial(ports);
  if (ready.length > 0) return ready;
  throw noDeviceError(ports, 'plug one in, or name the ports with --port');
}

function readyForSerial(ports: DiscoveredPort[]): DiscoveredPort[] {
  return ports.filter((port) => port.device?.mode === 'serial');
}

/** None ready: says which devices sit in DFU mode (they have no serial port), then what to do. */
function noDeviceError(ports: DiscoveredPort[], whatToDo: string): PortError {
  const inDfu = ports.filter((port) => port.device?.mode === 'dfu');
  const dfu = inDfu.length ? ` (${inDfu.map((p) => `${p.path}: ${p.device!.name}`).join(', ')} in DFU mode: reset it)` : '';
  return new PortError('NO_DEVICE', `No ${recognisedFamilies()} was found${dfu}; ${whatToDo}.`);
}
