/**
 * Firmware images of any size for the reliability runs, each valid for its target: Particle
 * user parts with a correct module header and CRC-32 trailer, Spark Core applications linked
 * for 0x08005000, and plain data for standard receivers. Written once per (kind, size) into a
 * temporary directory, because flash() reads files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'crc';
import { fixture } from '../helpers/cli.js';
import { testData } from '../helpers/virtual-link.js';
import { tempDir } from '../helpers/temp-dir.js';

export type ImageKind = 'photon' | 'electron' | 'core' | 'data';

/** Where each Particle platform's user part lives (platforms.ts). */
const USER_PART_START: Record<'photon' | 'electron', number> = { photon: 0x080a0000, electron: 0x08080000 };
const MODULE_INFO_BYTES = 24;
const CRC_TRAILER_BYTES = 4;
/** The fixture Core application: its vector table points inside its first 5000 bytes. */
const CORE_FIXTURE_BYTES = 5000;

/** The smallest image of each kind that is still valid. */
export const MIN_IMAGE_BYTES: Record<ImageKind, number> = {
  photon: MODULE_INFO_BYTES + CRC_TRAILER_BYTES,
  electron: MODULE_INFO_BYTES + CRC_TRAILER_BYTES,
  core: CORE_FIXTURE_BYTES,
  data: 1,
};

export function buildImage(kind: ImageKind, size: number): Buffer {
  if (size < MIN_IMAGE_BYTES[kind]) throw new RangeError(`a ${kind} image needs at least ${MIN_IMAGE_BYTES[kind]} bytes, not ${size}`);
  switch (kind) {
    case 'photon':
    case 'electron':
      return particleUserPart(kind, size);
    case 'core':
      return Buffer.concat([readFileSync(fixture('core-app-0x08005000.bin')), testData(size - CORE_FIXTURE_BYTES, 0xc0e)]);
    case 'data':
      return testData(size, size);
  }
}

/** The fixture's header (platform, function, dependencies) with the end address moved, then a fresh CRC. */
function particleUserPart(kind: 'photon' | 'electron', size: number): Buffer {
  const header = readFileSync(fixture(`${kind}-user-part.bin`)).subarray(0, MODULE_INFO_BYTES);
  const moduleBytes = size - CRC_TRAILER_BYTES;
  const body = Buffer.concat([header, testData(moduleBytes - MODULE_INFO_BYTES, moduleBytes)]);
  body.writeUInt32LE(USER_PART_START[kind] + moduleBytes, 4);
  const trailer = Buffer.alloc(CRC_TRAILER_BYTES);
  trailer.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([body, trailer]);
}

/** Where a Particle user part of `kind` is installed. */
export function userPartStart(kind: 'photon' | 'electron'): number {
  return USER_PART_START[kind];
}

/** Images on disk, built on first use. */
export class ImageStore {
  private readonly dir = tempDir('reliability');
  private readonly built = new Map<string, { path: string; data: Buffer }>();

  get(kind: ImageKind, size: number): { path: string; data: Buffer } {
    const key = `${kind}-${size}`;
    let image = this.built.get(key);
    if (!image) {
      const data = buildImage(kind, size);
      const path = join(this.dir, `${key}.bin`);
      writeFileSync(path, data);
      image = { path, data };
      this.built.set(key, image);
    }
    return image;
  }
}
