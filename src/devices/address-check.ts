import type { ImageRefusal } from '../image/firmware-file.js';
import { formatAddress } from '../image/address.js';
import { findProtectedRegion, type Platform } from './platforms.js';

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
