/** `serial-flash list`: the serial ports, with the devices we recognise. */
import type { CommandModule } from 'yargs';
import { EXIT } from '../exit-codes.js';
import type { Cli } from '../output.js';
import { formatTable } from '../render/format.js';

export function listCommand({ setExitCode, binding, report }: Cli): CommandModule<object, object> {
  return {
    command: 'list',
    describe: 'list serial ports and the Spark/Particle devices on them',
    handler: async () => {
      const { listDevices } = await import('../../flash/discover.js');
      const ports = await listDevices(binding);
      for (const port of ports) {
        const { device, ...info } = port;
        report.json?.event('port', { ...info, device: device?.platform.name, mode: device?.mode });
      }
      report.json?.result(true, { ports: ports.length, devices: ports.filter((port) => port.device).length });
      if (ports.length === 0) {
        report.human('No serial ports found. Is the device plugged in (and not in DFU mode)?');
      } else {
        const rows = ports.map((p) => [
          p.path,
          p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : '-',
          p.manufacturer ?? '-',
          p.serialNumber ?? '-',
          p.device ? (p.device.mode === 'dfu' ? `${p.device.platform.name} in DFU mode — reset it` : p.device.platform.name) : '',
        ]);
        report.human(formatTable([['PORT', 'USB ID', 'MANUFACTURER', 'SERIAL', 'DEVICE'], ...rows]));
      }
      setExitCode(EXIT.ok);
    },
  };
}
