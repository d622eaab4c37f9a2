/** The IEEE CRC-32 of an image or a part of it, as zlib, Particle modules and U-Boot's `crc32` compute it. */
import crc32 from 'crc/calculators/crc32';
import type { ByteSource } from './firmware-file.js';

/** CRC chunk size: memory stays flat whatever the image size, and 16 KB keeps reads few. */
export const CRC_CHUNK_BYTES = 16 * 1024;

/** IEEE CRC-32 of `length` bytes from `offset`, read in chunks; throws if the source ends early. */
export async function crc32OfSource(source: ByteSource, offset: number, length: number): Promise<number> {
  let crc: number | undefined;
  for (let done = 0; done < length; ) {
    const chunk = await source(offset + done, Math.min(CRC_CHUNK_BYTES, length - done));
    if (chunk.length === 0) throw new RangeError(`source ended at ${offset + done}, ${length - done} bytes short`);
    crc = crc32(chunk, crc) >>> 0;
    done += chunk.length;
  }
  return crc ?? 0;
}
