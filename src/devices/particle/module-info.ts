/**
 * Particle `module_info_t`: the header every Photon-class module (bootloader, system part,
 * user part) carries, which tells the device where to install the module. Layout (docs/protocol.md
 * §4), all little-endian:
 *
 *   0  u32 start address      4  u32 end address (the CRC-32 trailer starts there)
 *   8  u8  reserved           9  u8  flags          10 u16 module version
 *   12 u16 platform id        14 u8  module function 15 u8  module index
 *   16 dependency 1 {u8 function, u8 index, u16 version}   20 dependency 2 (same)
 *
 * The file is (end - start) bytes of module followed by a big-endian IEEE CRC-32 of them.
 */
import type { ByteSource } from '../../image/firmware-file.js';

// The calculator alone: the package's index loads all of its ~30 CRC variants at every start.

export const MODULE_INFO_BYTES = 24;
/** Where the header sits when the module starts with a vector table (bootloaders). */
export const MODULE_INFO_OFFSET_AFTER_VECTORS = 0x184;
/** How much of the image start parseModuleInfo needs to see. */
export const MODULE_INFO_HEAD_BYTES = MODULE_INFO_OFFSET_AFTER_VECTORS + MODULE_INFO_BYTES;
export const CRC_TRAILER_BYTES = 4;
/**
 * A user part ends with its suffix, then the CRC: the suffix's last fields are a 32-byte
 * SHA-256 and the suffix's 2-byte size, so the SHA sits this far before the module's end
 * address. Device OS prints exactly these bytes as the module's `u` (docs/protocol.md §2).
 */
const SUFFIX_SHA_FROM_END = 2 + 32;
const SUFFIX_SHA_BYTES = 32;

/**
 * A user part's suffix SHA-256 in hex, as Device OS lists it (`u`), read from a module
 * `moduleBytes` long (CRC included); undefined for other modules and for one too short to hold it.
 */
export async function userPartSha256(info: ModuleInfo, read: ByteSource, moduleBytes: number): Promise<string | undefined> {
  const offset = moduleBytes - CRC_TRAILER_BYTES - SUFFIX_SHA_FROM_END;
  if (info.moduleFunction !== MODULE_FUNCTION.userPart || offset < 0) return undefined;
  return (await read(offset, SUFFIX_SHA_BYTES)).toString('hex');
}
/** Larger than any module slot on these devices (1 MB of flash); bigger means garbage. */
export const MAX_MODULE_BYTES = 0x100000;
export { CRC_CHUNK_BYTES, crc32OfSource } from '../../image/crc32.js';

export const MODULE_FUNCTION = {
  bootloader: 2,
  monolithic: 3,
  systemPart: 4,
  userPart: 5,
} as const;

const FUNCTION_NAMES: Record<number, string> = {
  [MODULE_FUNCTION.bootloader]: 'bootloader',
  [MODULE_FUNCTION.monolithic]: 'monolithic firmware',
  [MODULE_FUNCTION.systemPart]: 'system part',
  [MODULE_FUNCTION.userPart]: 'user part',
};

export interface ModuleDependency {
  moduleFunction: number;
  index: number;
  version: number;
}

export interface ModuleInfo {
  /** Where the header was found in the image: 0 or 0x184. */
  offset: number;
  startAddress: number;
  endAddress: number;
  reserved: number;
  flags: number;
  version: number;
  platformId: number;
  moduleFunction: number;
  index: number;
  dependencies: [ModuleDependency, ModuleDependency];
}

/** "user part", "system part 2", or "module function 9" for unknown values. */
export function describeModule(moduleFunction: number, index?: number): string {
  const name = FUNCTION_NAMES[moduleFunction];
  if (!name) return `module function ${moduleFunction}`;
  return moduleFunction === MODULE_FUNCTION.systemPart && index !== undefined ? `${name} ${index}` : name;
}

/** True when word 0 looks like an initial stack pointer (test used by Device OS). */
export function looksLikeStackPointer(word0: number): boolean {
  return ((word0 & 0x2ff10000) >>> 0) === 0x20000000;
}

/**
 * Reads the module header from the start of an image; undefined when there is none: too few
 * bytes, an empty or backwards address range, a range larger than any flash, or a module
 * function other than bootloader, monolithic, system part or user part.
 */
export function parseModuleInfo(head: Buffer): ModuleInfo | undefined {
  if (head.length < 4) return undefined;
  const offset = looksLikeStackPointer(head.readUInt32LE(0)) ? MODULE_INFO_OFFSET_AFTER_VECTORS : 0;
  if (head.length < offset + MODULE_INFO_BYTES) return undefined;
  const at = (field: number) => offset + field;
  const info: ModuleInfo = {
    offset,
    startAddress: head.readUInt32LE(at(0)),
    endAddress: head.readUInt32LE(at(4)),
    reserved: head.readUInt8(at(8)),
    flags: head.readUInt8(at(9)),
    version: head.readUInt16LE(at(10)),
    platformId: head.readUInt16LE(at(12)),
    moduleFunction: head.readUInt8(at(14)),
    index: head.readUInt8(at(15)),
    dependencies: [readDependency(head, at(16)), readDependency(head, at(20))],
  };
  const length = info.endAddress - info.startAddress;
  if (length <= 0 || length > MAX_MODULE_BYTES) return undefined;
  if (!(info.moduleFunction in FUNCTION_NAMES)) return undefined;
  return info;
}

function readDependency(head: Buffer, offset: number): ModuleDependency {
  return {
    moduleFunction: head.readUInt8(offset),
    index: head.readUInt8(offset + 1),
    version: head.readUInt16LE(offset + 2),
  };
}
