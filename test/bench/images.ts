/** Firmware images for the benchmarks, written to a temporary directory. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'crc';
import { testData } from '../helpers/virtual-link.js';

/** Photon user part slot and the fields a Particle module header needs (fixtures/README.md). */
const PHOTON_USER_PART_START = 0x080a0000;
const PHOTON_PLATFORM_ID = 6;
const MODULE_FUNCTION_USER_PART = 5;
const MODULE_FUNCTION_SYSTEM_PART = 4;

/** A Photon user part of `bytes` in total (header, filler, CRC-32 trailer) that the checks accept. */
export function photonUserPart(bytes: number): Buffer {
  const body = testData(bytes - 4, 0x50484f54);
  body.writeUInt32LE(PHOTON_USER_PART_START, 0);
  body.writeUInt32LE(PHOTON_USER_PART_START + body.length, 4);
  body.writeUInt16LE(0, 8);
  body.writeUInt16LE(6, 10); // module version
  body.writeUInt16LE(PHOTON_PLATFORM_ID, 12);
  body.writeUInt8(MODULE_FUNCTION_USER_PART, 14);
  body.writeUInt8(1, 15);
  body.writeUInt8(MODULE_FUNCTION_SYSTEM_PART, 16);
  body.writeUInt8(2, 17);
  body.writeUInt16LE(1406, 18); // system part version it depends on
  body.writeUInt32LE(0, 20);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([body, trailer]);
}

export interface ImageDir {
  dir: string;
  /** Writes `data` as `name` and returns its path. */
  write(name: string, data: Buffer): string;
  remove(): void;
}

export function imageDir(): ImageDir {
  const dir = mkdtempSync(join(tmpdir(), 'serial-flash-bench-'));
  return {
    dir,
    write: (name, data) => {
      const path = join(dir, name);
      writeFileSync(path, data);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
