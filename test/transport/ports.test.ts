import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { PortError } from '../../src/errors.js';
import { listPorts, listPortsFromSysfs, usbInfoFromSysfs } from '../../src/transport/ports.js';

/** Writes sysfs attribute files under `dir`. */
async function attributes(dir: string, values: Record<string, string>): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  for (const [name, value] of Object.entries(values)) await fsp.writeFile(join(dir, name), `${value}\n`);
}

/** A relative symlink, as sysfs makes them. */
async function link(from: string, to: string): Promise<void> {
  await fsp.mkdir(dirname(from), { recursive: true });
  await fsp.symlink(relative(dirname(from), to), from);
}

/**
 * A small /sys mirroring the real layout: /sys/class/tty/<name> links into /sys/devices, and
 * <tty>/device links to the driver's device directory, some levels below the USB device.
 */
async function buildFakeSysfs(root: string): Promise<void> {
  const devices = join(root, 'devices');
  const classTty = join(root, 'class', 'tty');
  await fsp.mkdir(classTty, { recursive: true });
  const addTty = async (name: string, ttyDir: string, deviceDir: string | undefined, extra: Record<string, string> = {}) => {
    await attributes(ttyDir, { dev: '166:0', ...extra });
    if (deviceDir) await link(join(ttyDir, 'device'), deviceDir);
    await link(join(classTty, name), ttyDir);
  };

  // A Photon on cdc_acm: tty → interface 1-2:1.0 → USB device 1-2 (upper-case ids to check normalising).
  const photon = join(devices, 'pci0000:00', '0000:00:14.0', 'usb1', '1-2');
  await attributes(photon, { idVendor: '2B04', idProduct: 'C006', manufacturer: 'Particle', product: 'Photon', serial: '3a0026000347343337373737' });
  await attributes(join(photon, '1-2:1.0'), { bInterfaceClass: '02' });
  await addTty('ttyACM0', join(photon, '1-2:1.0', 'tty', 'ttyACM0'), join(photon, '1-2:1.0'));

  // An FTDI adapter via usb-serial: tty → ttyUSB0 port → interface → USB device (one level deeper), no serial.
  const ftdi = join(devices, 'pci0000:00', '0000:00:14.0', 'usb1', '1-3');
  await attributes(ftdi, { idVendor: '0403', idProduct: '6001', manufacturer: 'FTDI', product: 'FT232R USB UART' });
  await attributes(join(ftdi, '1-3:1.0', 'ttyUSB0'), { port_number: '0' });
  await addTty('ttyUSB0', join(ftdi, '1-3:1.0', 'ttyUSB0', 'tty', 'ttyUSB0'), join(ftdi, '1-3:1.0', 'ttyUSB0'));

  // A motherboard UART that answered (16550A = type 4), and a legacy slot with no UART (type 0).
  const pnpUart = join(devices, 'pnp0', '00:04');
  await attributes(pnpUart, { id: 'PNP0501' });
  await addTty('ttyS0', join(pnpUart, 'tty', 'ttyS0'), pnpUart, { type: '4' });
  const platform8250 = join(devices, 'platform', 'serial8250');
  await attributes(platform8250, { driver_override: '(null)' });
  await addTty('ttyS1', join(platform8250, 'tty', 'ttyS1'), platform8250, { type: '0' });

  // Virtual consoles and ptmx: no device link.
  await addTty('tty0', join(devices, 'virtual', 'tty', 'tty0'), undefined);
  await addTty('ptmx', join(devices, 'virtual', 'tty', 'ptmx'), undefined);
  await addTty('console', join(devices, 'virtual', 'tty', 'console'), undefined);
}

const EXPECTED_FAKE_PORTS = [
  {
    path: '/dev/ttyACM0',
    vendorId: '2b04',
    productId: 'c006',
    manufacturer: 'Particle',
    product: 'Photon',
    serialNumber: '3a0026000347343337373737',
  },
  { path: '/dev/ttyS0' },
  { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001', manufacturer: 'FTDI', product: 'FT232R USB UART' },
];

/** What a binding does where udevadm is missing: list() rejects. */
const bindingWithoutUdevadm: BindingInterface = {
  list: () => Promise.reject(Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT' })),
  open: () => Promise.reject(new Error('not used')),
};

const udevadmMissing = spawnSync('udevadm', ['--version']).error !== undefined;

describe('listing ports from sysfs', () => {
  let dir: string;
  let sysfs: string;
  before(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'serial-flash-sysfs-'));
    sysfs = join(dir, 'sys');
    await buildFakeSysfs(sysfs);
  });
  after(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('lists ttys with hardware behind them, with their USB identity, and leaves out consoles and absent UARTs', async () => {
    assert.deepEqual(await listPortsFromSysfs(sysfs), EXPECTED_FAKE_PORTS);
  });

  it('finds the USB identity through a /dev/serial/by-id style symlink', async () => {
    const dev = join(dir, 'dev');
    await fsp.mkdir(join(dev, 'serial', 'by-id'), { recursive: true });
    await fsp.writeFile(join(dev, 'ttyACM0'), '');
    const byId = join(dev, 'serial', 'by-id', 'usb-Particle_Photon_3a0026-if00');
    await link(byId, join(dev, 'ttyACM0'));
    const info = await usbInfoFromSysfs(byId, sysfs);
    assert.equal(info?.vendorId, '2b04');
    assert.equal(info?.productId, 'c006');
    assert.equal(info?.product, 'Photon');
    assert.equal(await usbInfoFromSysfs(join(dev, 'missing'), sysfs), undefined);
  });

  it('falls back to sysfs when the binding cannot list (udevadm missing)', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
    assert.deepEqual(await listPorts({ binding: bindingWithoutUdevadm, sysfsRoot: sysfs }), EXPECTED_FAKE_PORTS);
  });

  it(
    'falls back to sysfs with the native binding on this machine, which has no udevadm',
    { skip: process.platform !== 'linux' ? 'Linux only' : !udevadmMissing && 'udevadm is installed here, so the native binding lists real ports' },
    async () => {
      assert.deepEqual(await listPorts({ sysfsRoot: sysfs }), EXPECTED_FAKE_PORTS);
    },
  );

  it('throws CANNOT_LIST_PORTS when neither the binding nor sysfs answers', async () => {
    await assert.rejects(listPorts({ binding: bindingWithoutUdevadm, sysfsRoot: join(dir, 'no-sys') }), (error: unknown) => {
      assert.ok(error instanceof PortError);
      assert.equal(error.code, 'CANNOT_LIST_PORTS');
      assert.match(error.message, /^The serial ports could not be listed \(spawn udevadm ENOENT\); give the port's path explicitly\.$/);
      return true;
    });
  });

  it('normalises what a binding lists: lower-case ids without 0x, no empty fields', async () => {
    const binding: BindingInterface = {
      list: async () => [
        { path: 'COM3', vendorId: '0x2B04', productId: 'C00A', manufacturer: '', serialNumber: undefined, pnpId: undefined, locationId: undefined },
      ],
      open: () => Promise.reject(new Error('not used')),
    };
    assert.deepEqual(await listPorts({ binding }), [{ path: 'COM3', vendorId: '2b04', productId: 'c00a' }]);
  });
});

describe('listing the ports of this machine', () => {
  it('returns a list without throwing', async () => {
    const ports = await listPorts();
    assert.ok(Array.isArray(ports));
    for (const port of ports) {
      assert.equal(typeof port.path, 'string');
      if (port.vendorId !== undefined) assert.match(port.vendorId, /^[0-9a-f]{4}$/);
    }
  });

  it('does not kill the process when udevadm is missing (no unhandled error event)', () => {
    const ports = fileURLToPath(new URL('../../src/transport/ports.js', import.meta.url));
    const script = `const { listPorts } = await import(${JSON.stringify(ports)});
      const list = await listPorts();
      await new Promise((resolve) => setTimeout(resolve, 200));
      console.log(JSON.stringify(list));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(Array.isArray(JSON.parse(result.stdout)));
  });
});
