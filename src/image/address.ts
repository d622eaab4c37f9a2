/**
 * Flash addresses as users type them: `0x08005000`, `0x8005000` (leading zeros never
 * matter) or decimal `134238208`. Everything is a 32-bit unsigned number.
 */

import { InputError } from '../errors.js';

export const MAX_ADDRESS = 0xffffffff;

const EXAMPLE = 'use hex with 0x like 0x08005000, or decimal like 134238208';
const HEX_PATTERN = /^0[xX]([0-9a-fA-F]+)$/;
const DECIMAL_PATTERN = /^[0-9]+$/;
// Hex digits without the 0x prefix are ambiguous with decimal, so they are refused with a hint.
const BARE_HEX_PATTERN = /^[0-9a-fA-F]+$/;

/** Parses an address; throws InputError('BAD_ADDRESS') naming the bad text and a good example. */
export function parseAddress(text: string): number {
  const trimmed = text.trim();
  const hex = HEX_PATTERN.exec(trimmed);
  // BigInt keeps the value exact however many digits were typed, so the range check is honest.
  let value: bigint;
  if (hex) {
    value = BigInt(`0x${hex[1]}`);
  } else if (DECIMAL_PATTERN.test(trimmed)) {
    value = BigInt(trimmed);
  } else {
    throw new InputError('BAD_ADDRESS', describeMalformed(text, trimmed), { address: text });
  }
  if (value > BigInt(MAX_ADDRESS)) {
    throw new InputError(
      'BAD_ADDRESS',
      `Address "${text}" is larger than 32 bits (the highest is 0xFFFFFFFF); ${EXAMPLE}.`,
      { address: text },
    );
  }
  return Number(value);
}

function describeMalformed(original: string, trimmed: string): string {
  if (trimmed === '') return `The address is empty; ${EXAMPLE}.`;
  if (trimmed.startsWith('-')) {
    return `Address "${original}" is negative; addresses start at 0, ${EXAMPLE}.`;
  }
  if (/^0[xX]$/.test(trimmed)) {
    return `Address "${original}" has no digits after 0x; ${EXAMPLE}.`;
  }
  if (BARE_HEX_PATTERN.test(trimmed)) {
    return `Address "${original}" is not a number; if you meant hex, write 0x${trimmed} (${EXAMPLE}).`;
  }
  return `Address "${original}" is not a valid address; ${EXAMPLE}.`;
}

/** `0x08005000`: always 8 upper-case hex digits, the way datasheets and memory maps print them. */
export function formatAddress(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > MAX_ADDRESS) {
    throw new RangeError(`formatAddress expects a 32-bit unsigned integer, got ${n}`);
  }
  return `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** `0x08004000–0x0800BFFF` for a region whose `end` is exclusive. */
export function formatRange(start: number, endExclusive: number): string {
  return `${formatAddress(start)}–${formatAddress(endExclusive - 1)}`;
}
