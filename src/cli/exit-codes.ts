/** The one place error classes become exit codes (documented in README and --help). */
import { CancelledError, InputError, PortError } from '../errors.js';

export const EXIT = {
  ok: 0,
  /** The transfer failed, or the device refused or aborted it. */
  failed: 1,
  /** Bad usage or invalid input, found before the device was touched. */
  usage: 2,
  /** The port could not be opened. */
  port: 3,
  /** Interrupted (after telling the device to discard the transfer). */
  interrupted: 130,
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof InputError) return EXIT.usage;
  if (error instanceof PortError) return EXIT.port;
  if (error instanceof CancelledError) return EXIT.interrupted;
  return EXIT.failed; // TransferError, DisconnectedError, and anything unexpected
}

/** For --help: each exit code and what it means. */
export const EXIT_CODE_MEANINGS: readonly (readonly [string, string])[] = [
  ['0', 'flashed, and the device acknowledged the end of the transfer'],
  ['1', 'the transfer failed, or the device refused or aborted it'],
  ['2', 'bad usage or invalid input (found before the device was touched)'],
  ['3', 'the port could not be opened'],
  ['130', 'interrupted (the device was told to discard the transfer)'],
];
