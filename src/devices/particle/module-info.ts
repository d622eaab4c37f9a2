/**
 * Particle `module_info_t`: the header every Photon-class module (bootloader, system part,
 * user part) carries, which tells the device where to install the module. Layout from the
 * shared reference serial-protocol.md §4, all little-endian:
 *
 *   0  u32 start address      4  u32 end address (the CRC-32 trailer starts there)
 *   8  u8  reserved           9  u8  flags          10 u16 module version
 *   12 u16 platform id        14 u8  module function 15 u8  module index
 *   16 dependency 1 {u8 function, u8 index, u16 version}   20 dependency 2 (same)
 *
 * The file is (end - start) bytes of module followed by a big-endian IEEE CRC-32 of them.
 */

// The calculator alone: the package's index loads all of its ~30 CRC variants at every start.
import crc32 from 'crc/calculators/crc32';
import { formatAddress, formatRange } from '../../image/address.js';
import type { ByteSource, ImageRefusal } from '../../image/firmware-file.js';
import { platformById, regionsOfKind, withArticle, type Platform } from '../platforms.js';

export const MODULE_INFO_BYTES = 24;
/** Where the header sits when the module starts with a vector table (bootloaders). */
export const MODULE_INFO_OFFSET_AFTER_VECTORS = 0x184;
/** How much of the image start parseModuleInfo needs to see. */
export const MODULE_INFO_HEAD_BYTES = MODULE_INFO_OFFSET_AFTER_VECTORS + MODULE_INFO_BYTES;
export const CRC_TRAILER_BYTES = 4;
/** Larger than any module slot on these devices (1 MB of flash); bigger means garbage. */
export const MAX_MODULE_BYTES = 0x100000;
/** CRC chunk size: memory stays flat whatever the image size, and 16 KB keeps reads few. */
export const CRC_CHUNK_BYTES = 16 * 1024;

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

/** CRC values print like addresses: 0x and 8 upper-case hex digits. */
const formatCrc = formatAddress;

function platformLabel(id: number): string {
  const known = platformById(id);
  return known ? `${withArticle(known)} (platform ${id})` : `platform ${id} (unknown)`;
}

/**
 * Checks a Particle module image before it is sent. Empty list = fine. `expect.platform` is
 * the device it goes to; `expect.address` the address the user asked for. The slot check uses
 * the platform the image declares, so an image for another device gets one clear refusal for
 * the platform rather than a second one for its addresses.
 */
export async function checkParticleImage(
  source: ByteSource,
  size: number,
  expect: { platform?: Platform; address?: number },
  imageName = 'the image',
): Promise<ImageRefusal[]> {
  const head = await source(0, Math.min(size, MODULE_INFO_HEAD_BYTES));
  const info = parseModuleInfo(head);
  if (!info) {
    return [
      {
        field: 'module-info',
        expected: 'a Particle module header at offset 0 or 0x184',
        actual: 'none',
        message: `${imageName} has no Particle module header (looked at offset 0 and 0x184); build it with the Particle toolchain for this device.`,
      },
    ];
  }
  const refusals: ImageRefusal[] = [];
  const { platform } = expect;
  if (platform && info.platformId !== platform.id) {
    refusals.push({
      field: 'platform',
      expected: String(platform.id),
      actual: String(info.platformId),
      message: `${imageName} is for ${platformLabel(info.platformId)} but the device is ${withArticle(platform)} (platform ${platform.id}); build it for the ${platform.name}.`,
    });
  }
  if (expect.address !== undefined && expect.address !== info.startAddress) {
    refusals.push({
      field: 'address',
      expected: formatAddress(expect.address),
      actual: formatAddress(info.startAddress),
      message: `${imageName} is built for ${formatAddress(info.startAddress)} (its module header says so) but ${formatAddress(expect.address)} was requested; Particle devices install a module only where its header says, so use ${formatAddress(info.startAddress)} or rebuild it.`,
    });
  }
  const imagePlatform = platformById(info.platformId);
  if (imagePlatform) refusals.push(...checkModuleSlot(imagePlatform, info, imageName));
  refusals.push(...(await checkLengthAndCrc(source, size, info, imageName)));
  return refusals;
}

async function checkLengthAndCrc(
  source: ByteSource,
  size: number,
  info: ModuleInfo,
  imageName: string,
): Promise<ImageRefusal[]> {
  const moduleBytes = info.endAddress - info.startAddress;
  const expectedSize = moduleBytes + CRC_TRAILER_BYTES;
  if (size !== expectedSize) {
    const problem = size < expectedSize ? 'is truncated' : 'has extra bytes after the CRC';
    return [
      {
        field: 'file-size',
        expected: String(expectedSize),
        actual: String(size),
        message: `${imageName} is ${size} bytes but its module header (${formatRange(info.startAddress, info.endAddress)} plus the 4-byte CRC) says ${expectedSize}, so the file ${problem}; rebuild it.`,
      },
    ];
  }
  const computed = await crc32OfSource(source, 0, moduleBytes);
  const trailer = await source(moduleBytes, CRC_TRAILER_BYTES);
  const stored = trailer.readUInt32BE(0);
  if (computed === stored) return [];
  return [
    {
      field: 'crc',
      expected: formatCrc(stored),
      actual: formatCrc(computed),
      message: `${imageName} fails its CRC-32 check (stored ${formatCrc(stored)}, computed ${formatCrc(computed)}), so the file is corrupt; rebuild it or copy it again.`,
    },
  ];
}

/**
 * Where a module of this function may start on this platform, and how far it may reach.
 * Monolithic firmware replaces the system and user parts, so it spans from the first system
 * part to the end of the user part. Empty when the platform has no memory map.
 */
export function moduleSlots(platform: Platform, info: ModuleInfo): { name: string; start: number; end: number }[] {
  switch (info.moduleFunction) {
    case MODULE_FUNCTION.bootloader:
      return regionsOfKind(platform, 'bootloader');
    case MODULE_FUNCTION.systemPart:
      return regionsOfKind(platform, 'system-part', info.index);
    case MODULE_FUNCTION.userPart:
      return regionsOfKind(platform, 'user-part');
    case MODULE_FUNCTION.monolithic: {
      const systemParts = regionsOfKind(platform, 'system-part');
      const userParts = regionsOfKind(platform, 'user-part');
      if (systemParts.length === 0 || userParts.length === 0) return [];
      return [{ name: 'firmware area', start: systemParts[0]!.start, end: userParts[userParts.length - 1]!.end }];
    }
    default:
      return [];
  }
}

function checkModuleSlot(platform: Platform, info: ModuleInfo, imageName: string): ImageRefusal[] {
  if (platform.flash.length === 0) return [];
  const what = describeModule(info.moduleFunction, info.index);
  const slots = moduleSlots(platform, info);
  const slot = slots.find((s) => s.start === info.startAddress);
  if (!slot) {
    const places = slots.map((s) => `${s.name} at ${formatAddress(s.start)}`).join(' or ');
    return [
      {
        field: 'slot',
        expected: slots.map((s) => formatAddress(s.start)).join(' or ') || 'none',
        actual: formatAddress(info.startAddress),
        message: places
          ? `${imageName} is a ${what} starting at ${formatAddress(info.startAddress)}, but the ${platform.name} has its ${places}; rebuild it for the ${platform.name}.`
          : `${imageName} is a ${what}, which the ${platform.name} has no place for; build a user part, system part or bootloader instead.`,
      },
    ];
  }
  const capacity = slot.end - slot.start;
  const fileBytes = info.endAddress - info.startAddress + CRC_TRAILER_BYTES;
  if (fileBytes <= capacity) return [];
  return [
    {
      field: 'size',
      expected: `<= ${capacity}`,
      actual: String(fileBytes),
      message: `${imageName} is a ${what} of ${fileBytes} bytes but the ${platform.name}'s ${slot.name} holds at most ${capacity} bytes (${formatRange(slot.start, slot.end)}); make it smaller.`,
    },
  ];
}
