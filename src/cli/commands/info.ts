/** `serial-flash info [PORT]`: the device id and firmware version, asked by the device's profile. */
import type { CommandModule } from 'yargs';
import type { FlashEvent } from '../../flash/events.js';
import { EXIT } from '../exit-codes.js';
import type { Cli } from '../output.js';
import { TraceFormatter } from '../render/trace.js';

export function infoCommand({ setExitCode, binding, report }: Cli): CommandModule<object, { port?: string }> {
  return {
    command: 'info [port]',
    describe: 'put the device in listening mode and print its id and system firmware version',
    builder: (yargs) => yargs.positional('port', { type: 'string', describe: 'serial port (omit when one device is connected)' }),
    handler: async (args) => {
      const { deviceInfo } = await import('../../flash/info.js');
      report.note({ port: args.port });
      const trace = new TraceFormatter();
      const onEvent = (event: FlashEvent) => {
        if (event.type === 'trace') {
          const description = trace.describe(event.direction, event.data);
          report.traceLine(event.direction, description);
          if (report.tracing) report.json?.event('trace', { direction: event.direction, hex: event.data.toString('hex'), description });
        } else if (event.type === 'step') {
          report.json?.event('step', { message: event.message });
          report.logText(`· ${event.message}`);
        } else if (event.type === 'device-text') {
          report.json?.event('device-text', { text: event.text });
          report.logText(`device: ${event.text}`);
        }
      };
      const info = await deviceInfo({ port: args.port, binding, onEvent, trace: report.wantsTraffic });
      report.human(
        `Port:           ${info.port}${info.device ? ` (${info.device})` : ''}\nDevice id:      ${info.deviceId ?? 'unknown'}\nSystem version: ${info.systemVersion ?? 'unknown (before 0.4.4)'}` +
          (info.platform ? `\nPlatform:       ${info.platform}` : '') +
          (info.modules?.length ? `\nModules:        ${info.modules.join(', ')}` : ''),
      );
      report.json?.result(true, { ...info });
      setExitCode(EXIT.ok);
    },
  };
}
