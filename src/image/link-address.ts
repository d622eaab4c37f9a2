/**
 * Where a Cortex-M image was linked, read from its whole body rather than its vector table.
 *
 * A linked image is full of absolute addresses of itself: function pointers in tables and
 * vectors, and the literal pools from which code loads the addresses of its strings, tables
 * and the initial values of .data. All of them point into the image as linked, so the link
 * address is the base that puts the most of them inside [base, base + size]. The vector
 * table alone cannot tell: an image larger than the distance between two candidate bases has
 * its handlers inside the image at either, and real builds put their handlers anywhere.
 */
import type { ByteSource } from './firmware-file.js';

/** Cortex-M3 VTOR needs the vector table aligned to its size rounded up to a power of two (≥ 512 bytes here). */
export const LINK_ADDRESS_ALIGNMENT = 0x200;
const READ_CHUNK_BYTES = 16 * 1024;

export interface AddressRange {
  start: number;
  /** Exclusive. */
  end: number;
}

export interface LinkEvidence {
  /** Distinct absolute addresses inside `flash` found in the image (Thumb bit cleared), sorted. */
  pointers: number[];
  size: number;
}

/** Collects every aligned word of the image that is an address inside `flash`, outside `ignore`. */
export async function collectPointers(
  source: ByteSource,
  size: number,
  flash: AddressRange,
  ignore: readonly AddressRange[] = [],
): Promise<LinkEvidence> {
  const found = new Set<number>();
  for (let offset = 0; offset + 4 <= size; offset += READ_CHUNK_BYTES) {
    const chunk = await source(offset, Math.min(READ_CHUNK_BYTES, size - offset));
    for (let i = 0; i + 4 <= chunk.length; i += 4) {
      const address = (chunk.readUInt32LE(i) & ~1) >>> 0;
      if (address < flash.start || address >= flash.end) continue;
      if (ignore.some((range) => address >= range.start && address < range.end)) continue;
      found.add(address);
    }
    if (chunk.length < Math.min(READ_CHUNK_BYTES, size - offset)) break;
  }
  return { pointers: [...found].sort((a, b) => a - b), size };
}

/** How many of the pointers land inside the image if it starts at `base` (its end included: `_etext`, `_sidata`). */
export function pointersInside(evidence: LinkEvidence, base: number): number {
  return countAtMost(evidence.pointers, base + evidence.size) - countAtMost(evidence.pointers, base - 1);
}

/**
 * The base, among aligned addresses in `flash`, that puts the most pointers inside the image.
 * Several bases often tie (the pointers rarely reach both ends); the most round of them is
 * taken, as linker scripts use round origins. Undefined when no pointer was found.
 */
export function bestLinkAddress(evidence: LinkEvidence, flash: AddressRange): { address: number; inside: number } | undefined {
  if (evidence.pointers.length === 0) return undefined;
  let best: { address: number; inside: number } | undefined;
  for (let base = flash.start; base < flash.end; base += LINK_ADDRESS_ALIGNMENT) {
    const inside = pointersInside(evidence, base);
    const better = !best || inside > best.inside || (inside === best.inside && roundness(base) > roundness(best.address));
    if (better) best = { address: base, inside };
  }
  return best;
}

/** Trailing zero bits: 0x0800A000 (13) is rounder than 0x08009E00 (9). */
function roundness(address: number): number {
  return address === 0 ? 32 : 31 - Math.clz32(address & -address);
}

/** Number of sorted values ≤ limit. */
function countAtMost(sorted: readonly number[], limit: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! <= limit) low = middle + 1;
    else high = middle;
  }
  return low;
}
