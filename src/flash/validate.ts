/**
 * Option checks shared by the library and the CLI, so bad numbers are refused before the
 * device is touched, with a message naming the option.
 */
import { InputError } from '../errors.js';
import { MAX_ADDRESS } from '../image/address.js';
import { isProtocolName, PROTOCOL_NAMES } from '../protocol/protocols.js';

/** Beyond an hour a timeout is a typo, and a hang in practice. */
export const MAX_TIMEOUT_MS = 3_600_000;
/** More retries than this only delays an inevitable failure. */
export const MAX_RETRIES = 100;
/** Rates serial hardware can plausibly run at. */
export const MIN_BAUD_RATE = 50;
export const MAX_BAUD_RATE = 12_000_000;

interface Checked {
  dialect?: { startRequests?: number };
  protocol?: string;
  retries?: number;
  responseTimeoutMs?: number;
  startTimeoutMs?: number;
  waitMs?: number;
  baudRate?: number;
  transferBaud?: number;
  blockSize?: number;
  address?: number;
  timeScale?: number;
}

export function validateFlashOptions(options: Checked): void {
  checkInteger('--retries', options.retries, 0, MAX_RETRIES);
  checkInteger('--start-requests', options.dialect?.startRequests, 1, MAX_RETRIES);
  checkInteger('--timeout', options.responseTimeoutMs, 1, MAX_TIMEOUT_MS, 1000, 's');
  checkInteger('--start-timeout', options.startTimeoutMs, 0, MAX_TIMEOUT_MS, 1000, 's');
  checkInteger('--wait', options.waitMs, 0, MAX_TIMEOUT_MS, 1000, 's');
  checkInteger('--baud', options.baudRate, MIN_BAUD_RATE, MAX_BAUD_RATE);
  checkInteger('--transfer-baud', options.transferBaud, MIN_BAUD_RATE, MAX_BAUD_RATE);
  checkInteger('--address', options.address, 0, MAX_ADDRESS);
  const scale = options.timeScale;
  if (scale !== undefined && !(Number.isFinite(scale) && scale > 0)) {
    throw new InputError('BAD_OPTION', `timeScale must be a positive number (1 for real devices), not ${scale}.`);
  }
  if (options.protocol !== undefined && !isProtocolName(options.protocol)) {
    throw new InputError('BAD_OPTION', `--protocol must be one of ${PROTOCOL_NAMES.join(', ')}, not ${options.protocol}.`);
  }
  if (options.blockSize !== undefined && options.blockSize !== 128 && options.blockSize !== 1024) {
    throw new InputError('BAD_OPTION', `--block-size must be 128 or 1024, not ${options.blockSize}.`);
  }
}

function checkInteger(name: string, value: number | undefined, min: number, max: number, scale = 1, unit = ''): void {
  if (value === undefined) return;
  const shown = (n: number) => `${n / scale}${unit ? ` ${unit}` : ''}`;
  // Non-numbers reach here as NaN (the text is gone): ask for a number.
  if (Number.isNaN(value)) throw new InputError('BAD_OPTION', `${name} takes a number between ${shown(min)} and ${shown(max)}.`);
  if (!Number.isFinite(value) || value < min || value > max || !Number.isInteger(value)) {
    throw new InputError('BAD_OPTION', `${name} must be between ${shown(min)} and ${shown(max)}, not ${Number.isFinite(value) ? shown(value) : value}.`);
  }
}
