/** `serial-flash info [PORT]`: the device id and system firmware version of a Particle device or Spark Core. */
import type { CommandModule } from 'yargs';
import { EXIT } from '../exit-codes.js';
import type { Cli } from '../output.js';

export function infoCommand({ output, setExitCode, binding }: Cli): CommandModule<object, { port?: string; json: boolean }> {
  return {
    command: 'info [port]',
    describe: 'put the device in listening mode and print its id and system firmware version',
    builder: (yargs) =>
      yargs
        .positional('port', { type: 'string', describe: 'serial port (omit when one device is connected)' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' }),
    handler: async (args) => {
      const { deviceInfo } = await import('../../flash/info.js');
      const info = await deviceInfo({ port: args.port, binding });
      if (args.json) output.stdout.write(`${JSON.stringify(info)}\n`);
      else {
        output.stdout.write(
          `Port:           ${info.port}${info.device ? ` (${info.device})` : ''}\nDevice id:      ${info.deviceId ?? 'unknown'}\nSystem version: ${info.systemVersion ?? 'unknown (before 0.4.4)'}\n`,
        );
      }
      setExitCode(EXIT.ok);
    },
  };
}
