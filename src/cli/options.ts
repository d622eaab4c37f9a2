/** Turning command-line strings into library options, with messages naming the option. */
import { InputError } from '../errors.js';
import { parseAddress } from '../image/address.js';

export function parseAddressOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return parseAddress(text);
}

/** Seconds (fractions allowed) to whole milliseconds; non-numbers are refused here, ranges by the library. */
export function secondsToMs(option: string, seconds: number | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  if (!Number.isFinite(seconds)) throw new InputError('BAD_OPTION', `${option} takes a number of seconds, e.g. ${option} 10.`);
  return Math.round(seconds * 1000);
}
