/** `serial-flash FILE --all` or several `--port`s: every device at once, then a table. */
import type { FlashManyOptions } from '../../flash/flash-many.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { cancellingNote, onInterrupt } from '../interrupt.js';
import type { Cli } from '../output.js';
import type { FlashArgs } from './flash.js';

export async function runFlashMany(options: Omit<FlashManyOptions, 'onEvent' | 'onDeviceDone' | 'signal'>, args: FlashArgs, cli: Cli): Promise<number> {
  const [{ flashMany }, { ManyView }] = await Promise.all([import('../../flash/flash-many.js'), import('../render/many.js')]);
  const view = new ManyView(cli.report, { quiet: args.quiet, verbose: args.verbose }, options.ports);
  await view.prepare();
  const exitCodes = new Map<string, number>();
  const controller = new AbortController();
  const stopListening = onInterrupt(controller, (signal) => {
    view.stop();
    cli.output.error(cancellingNote(signal, 'telling every device to discard its transfer'));
  });
  try {
    const result = await flashMany({
      ...options,
      signal: controller.signal,
      onEvent: view.onEvent,
      onDeviceDone: (outcome) => {
        if (!outcome.ok) exitCodes.set(outcome.port, exitCodeFor(outcome.error));
        view.deviceDone(outcome, exitCodes.get(outcome.port) ?? EXIT.ok);
      },
    });
    const exitCode = combinedExitCode([...exitCodes.values()]);
    view.finish(result, exitCodes, exitCode);
    if (!result.ok) {
      const failed = result.devices.filter((device) => !device.ok).length;
      cli.output.error(`${failed} of ${result.devices.length} devices failed; each one's reason is listed above.`);
    }
    return exitCode;
  } finally {
    view.stop();
    stopListening();
  }
}

/** 0 when all succeeded; the failures' exit code when they agree; else 1 (a transfer failed). */
export function combinedExitCode(failures: readonly number[]): number {
  if (failures.length === 0) return EXIT.ok;
  return failures.every((code) => code === failures[0]) ? failures[0]! : EXIT.failed;
}
