/** `serial-flash list`: the serial ports, with the devices we recognise. */
import type { CommandModule } from 'yargs';
import { EXIT } from '../exit-codes.js';
import type { Cli } from '../output.js';

export function listCommand({ output, setExitCode, binding }: Cli): CommandModule<object, { json: boolean }> {
  return {
    command: 'list',
    describe: 'list serial ports and the Spark/Particle devices on them',
    builder: (yargs) => yargs.option('json', { type: 'boolean', default: false, describe: 'one JSON object per port' }),
    handler: async (args) => {
      const { listDevices } = await import('../../flash/discover.js');
      const ports = await listDevices(binding);
      if (args.json) {
        for (const port of ports) {
          const { device, ...info } = port;
          const mode = device?.mode;
          output.stdout.write(`${JSON.stringify({ ...info, device: device?.platform.name, mode })}\n`);
        }
      } else if (ports.length === 0) {
        output.stdout.write('No serial ports found. Is the device plugged in (and not in DFU mode)?\n');
      } else {
        const rows = ports.map((p) => [
          p.path,
          p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : '-',
          p.manufacturer ?? '-',
          p.serialNumber ?? '-',
          p.device ? (p.device.mode === 'dfu' ? `${p.device.platform.name} in DFU mode — reset it` : p.device.platform.name) : '',
        ]);
        output.stdout.write(table([['PORT', 'USB ID', 'MANUFACTURER', 'SERIAL', 'DEVICE'], ...rows]));
      }
      setExitCode(EXIT.ok);
    },
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
