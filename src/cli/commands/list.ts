/** `serial-flash list`: the serial ports, with the devices we recognise. */
import type { Argv, CommandModule } from 'yargs';
import { recognisedFamilies } from '../../devices/registry.js';
import { EXIT } from '../exit-codes.js';
import type { Cli } from '../output.js';
import { formatTable } from '../render/format.js';

export function listCommand({ setExitCode, binding, report }: Cli): CommandModule<object, { verbose: boolean }> {
  return {
    command: 'list',
    describe: `list serial ports and the ${recognisedFamilies()}s on them`,
    builder: (yargs: Argv) =>
      yargs.option('verbose', {
        alias: 'v',
        type: 'boolean',
        default: false,
        describe: "also show each port's manufacturer and USB serial number",
      }) as unknown as Argv<{ verbose: boolean }>,
    handler: async (args) => {
      const { listDevices } = await import('../../flash/discover.js');
      const ports = await listDevices(binding);
      for (const port of ports) {
        const { device, ...info } = port;
        report.json?.event('port', { ...info, device: device?.name, mode: device?.mode });
      }
      report.json?.result(true, { ports: ports.length, devices: ports.filter((port) => port.device).length });
      if (ports.length === 0) {
        report.human('No serial ports found. Is the device plugged in (and not in DFU mode)?');
      } else {
        // Manufacturer and serial number are long; without --verbose the rows fit 80 columns.
        const details = args.verbose ? ['MANUFACTURER', 'SERIAL'] : [];
        const rows = ports.map((p) => [
          p.path,
          p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : '-',
          p.device ? (p.device.mode === 'dfu' ? `${p.device.name} in DFU mode — reset it` : p.device.name) : '',
          ...(args.verbose ? [p.manufacturer ?? '-', p.serialNumber ?? '-'] : []),
        ]);
        report.human(formatTable([['PORT', 'USB ID', 'DEVICE', ...details], ...rows]));
      }
      setExitCode(EXIT.ok);
    },
  };
}
