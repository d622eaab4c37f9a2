/**
 * The checks a Particle module image must pass before it is sent: a header, the device's
 * platform, the requested address, a slot on that platform that holds it, its length and its
 * CRC-32. The header format itself is in module-info.ts.
 */
import { formatAddress, formatRange } from '../../image/address.js';
import type { ByteSource, ImageRefusal } from '../../image/firmware-file.js';
import { platformById, regionsOfKind, withArticle, type Platform } from '../platforms.js';
import {
  CRC_TRAILER_BYTES,
  crc32OfSource,
  describeModule,
  MODULE_FUNCTION,
  MODULE_INFO_HEAD_BYTES,
  type ModuleInfo,
  parseModuleInfo,
} from './module-info.js';

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
