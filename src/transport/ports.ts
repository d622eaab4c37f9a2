/**
 * Serial port discovery: what ports exist and which USB device sits behind each.
 * Recognising devices (which VID:PID is which board) is not done here but in src/devices.
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
// Types only (erased): importing the package itself would load the native module.
import type { BindingInterface, PortInfo } from '@serialport/bindings-cpp';
import { PortError } from '../errors.js';
import { definedOnly } from '../util/defined.js';
import { reasonOf } from '../util/reason.js';

export interface SerialPortInfo {
  /** The path to open: `/dev/ttyACM0`, `COM3`. */
  path: string;
  /** Lower-case hex without 0x, e.g. `2b04`. */
  vendorId?: string;
  productId?: string;
  manufacturer?: string;
  serialNumber?: string;
  product?: string;
}

export interface ListPortsOptions {
  /** The binding to ask; defaults to the native one. */
  binding?: BindingInterface;
  /** Where sysfs is mounted, for the Linux fallback (tests point it at a fake tree). */
  sysfsRoot?: string;
}

const DEFAULT_SYSFS_ROOT = '/sys';
/** A USB tty sits 2–4 levels below its USB device directory; 8 leaves room without looping forever. */
const MAX_SYSFS_LEVELS_UP = 8;
/** `type` value of a serial_core port whose UART did not answer when probed (PORT_UNKNOWN). */
const UART_TYPE_NOT_PRESENT = '0';

/** Loads the native binding on first use, so commands that never touch a port never load it. */
export async function loadNativeBinding(): Promise<BindingInterface> {
  let module: Record<string, unknown>;
  try {
    module = (await import('@serialport/bindings-cpp')) as Record<string, unknown>;
  } catch (error) {
    throw new PortError(
      'NATIVE_BINDING_UNAVAILABLE',
      `The native serial-port module could not be loaded (${reasonOf(error)}); reinstall serial-flash or run \`npm rebuild @serialport/bindings-cpp\`.`,
      {},
      { cause: error },
    );
  }
  const fromDefault = (module.default as Record<string, unknown> | undefined)?.autoDetect;
  const autoDetect = (module.autoDetect ?? fromDefault) as () => BindingInterface;
  return autoDetect();
}

/**
 * Lists serial ports. On Linux the native binding runs `udevadm`, which is missing in many
 * containers and minimal systems; then (or when udev knows of no ports) sysfs is read instead.
 */
export async function listPorts(options: ListPortsOptions = {}): Promise<SerialPortInfo[]> {
  const sysfsRoot = options.sysfsRoot ?? DEFAULT_SYSFS_ROOT;
  const onLinux = process.platform === 'linux';
  let listFailure: unknown;
  try {
    const binding = options.binding ?? (await loadNativeBinding());
    const ports = (await binding.list()).map(fromBindingInfo);
    if (!onLinux || options.binding) return ports;
    // udevadm without a udev database (containers) lists nothing although the ports exist.
    if (ports.length === 0) return await listPortsFromSysfs(sysfsRoot);
    return await Promise.all(ports.map((port) => addProductFromSysfs(port, sysfsRoot)));
  } catch (error) {
    listFailure = error;
  }
  if (onLinux) {
    try {
      return await listPortsFromSysfs(sysfsRoot);
    } catch {
      // Fall through: report the binding's failure, the more telling of the two.
    }
  }
  throw new PortError(
    'CANNOT_LIST_PORTS',
    `The serial ports could not be listed (${reasonOf(listFailure)}); give the port's path explicitly.`,
    {},
    { cause: listFailure },
  );
}

/**
 * Reads the ports from sysfs. A tty is listed when it has a `device` link (virtual consoles,
 * ptmx and /dev/tty have none: there is no hardware behind them) and is not a serial_core
 * port whose `type` is 0 (the kernel creates ttyS0–ttyS3 for legacy 8250 UARTs whether or not
 * a UART answered; type 0 means none did, and opening it fails).
 */
export async function listPortsFromSysfs(sysfsRoot = DEFAULT_SYSFS_ROOT, devDir = '/dev'): Promise<SerialPortInfo[]> {
  const classDir = join(sysfsRoot, 'class', 'tty');
  const names = await fsp.readdir(classDir);
  const ports: SerialPortInfo[] = [];
  for (const name of names) {
    const ttyDir = join(classDir, name);
    if (!(await exists(join(ttyDir, 'device')))) continue;
    if ((await readAttribute(ttyDir, 'type')) === UART_TYPE_NOT_PRESENT) continue;
    ports.push({ path: join(devDir, name), ...(await usbAttributesOf(ttyDir, sysfsRoot)) });
  }
  return ports.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
}

/**
 * USB identity of the device behind a port path (symlinks such as /dev/serial/by-id/… are
 * resolved), read from sysfs; undefined when it is not a USB tty or sysfs is absent.
 */
export async function usbInfoFromSysfs(path: string, sysfsRoot = DEFAULT_SYSFS_ROOT): Promise<SerialPortInfo | undefined> {
  try {
    const ttyDir = join(sysfsRoot, 'class', 'tty', basename(await fsp.realpath(path)));
    const attributes = await usbAttributesOf(ttyDir, sysfsRoot);
    return attributes.vendorId ? { path, ...attributes } : undefined;
  } catch {
    return undefined;
  }
}

/** Walks up from the tty's device directory to the USB device directory (the one with idVendor). */
async function usbAttributesOf(ttyDir: string, sysfsRoot: string): Promise<Omit<SerialPortInfo, 'path'>> {
  let dir: string;
  let devicesRoot: string;
  try {
    dir = await fsp.realpath(join(ttyDir, 'device'));
    devicesRoot = join(await fsp.realpath(sysfsRoot), 'devices');
  } catch {
    return {};
  }
  for (let level = 0; level < MAX_SYSFS_LEVELS_UP && dir.startsWith(devicesRoot + '/'); level++) {
    const vendorId = await readAttribute(dir, 'idVendor');
    if (vendorId) {
      return definedOnly({
        vendorId: vendorId.toLowerCase(),
        productId: (await readAttribute(dir, 'idProduct'))?.toLowerCase(),
        manufacturer: await readAttribute(dir, 'manufacturer'),
        product: await readAttribute(dir, 'product'),
        serialNumber: await readAttribute(dir, 'serial'),
      });
    }
    dir = dirname(dir);
  }
  return {};
}

async function addProductFromSysfs(port: SerialPortInfo, sysfsRoot: string): Promise<SerialPortInfo> {
  if (port.product || !port.vendorId) return port;
  const product = (await usbInfoFromSysfs(port.path, sysfsRoot))?.product;
  return product ? { ...port, product } : port;
}

function fromBindingInfo(info: PortInfo): SerialPortInfo {
  return definedOnly({
    path: info.path,
    vendorId: normaliseHexId(info.vendorId),
    productId: normaliseHexId(info.productId),
    manufacturer: info.manufacturer || undefined,
    serialNumber: info.serialNumber || undefined,
    product: (info as PortInfo & { product?: string }).product || undefined,
  });
}

function normaliseHexId(id: string | undefined): string | undefined {
  const hex = id?.trim().replace(/^0x/i, '').toLowerCase();
  return hex ? hex : undefined;
}

async function readAttribute(dir: string, name: string): Promise<string | undefined> {
  try {
    const text = (await fsp.readFile(join(dir, name), 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.stat(path);
    return true;
  } catch {
    return false;
  }
}

