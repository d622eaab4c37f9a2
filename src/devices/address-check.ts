import type { ImageRefusal } from '../image/firmware-file.js';
import { formatAddress, MAX_ADDRESS } from '../image/address.js';
import { findProtectedRegion, type Platform } from './platforms.js';

/**
 * Flash is programmed in whole words (STM32 IAP bootloaders write 32-bit words) and loaders
 * expect aligned images: a chosen address that is not a multiple of this is a typo.
 */
export const ADDRESS_ALIGNMENT_BYTES = 4;

/**
 * Where an image may go on a target that takes the address as given (a console's `loady
 * ADDRESS`, a bootloader that writes where it is told): word-aligned, and all of it below
 * 4 GB. Particle devices and the Core need more (the exact address), checked by their profiles.
 */
export function placementRefusals(address: number | undefined, size: number): ImageRefusal[] {
  if (address === undefined) return [];
  const refusals: ImageRefusal[] = [];
  const misalignment = address % ADDRESS_ALIGNMENT_BYTES;
  if (misalignment !== 0) {
    refusals.push({
      field: 'alignment',
      expected: `a multiple of ${ADDRESS_ALIGNMENT_BYTES}`,
      actual: formatAddress(address),
      message: `${formatAddress(address)} is not word-aligned (a multiple of ${ADDRESS_ALIGNMENT_BYTES}); flash and load addresses are, so check it (did you mean ${formatAddress(address - misalignment)}?).`,
    });
  }
  if (address + size - 1 > MAX_ADDRESS) {
    refusals.push({
      field: 'range',
      expected: `at most ${formatAddress(MAX_ADDRESS - size + 1)}`,
      actual: formatAddress(address),
      message: `${size} bytes at ${formatAddress(address)} would run past the end of the 32-bit address space (0xFFFFFFFF); choose a lower address.`,
    });
  }
  return refusals;
}

/** The bootloader/keys refusal every target applies to a chosen address. */
export function protectedRegionRefusals(platform: Platform | undefined, address: number | undefined, size: number): ImageRefusal[] {
  if (address === undefined) return [];
  const hit = findProtectedRegion(platform, address, size);
  if (!hit) return [];
  return [
    {
      field: 'address',
      expected: `outside ${hit.region.holds}`,
      actual: formatAddress(address),
      message: hit.message,
    },
  ];
}
