/**
 * What we know about each Spark / Particle device family: ids, USB identities and the flash
 * memory map, used to recognise a port and to refuse writes that would destroy the bootloader
 * or the device keys. Source: docs/protocol.md §4–§6 (Particle
 * Device OS sources). Region ends are exclusive; where the sources give only a start, the
 * end is the next region's start or the end of the STM32F205's 1 MB flash (0x08100000).
 */

import { formatAddress, formatRange } from '../image/address.js';

export type PlatformKey = 'core' | 'photon' | 'p1' | 'electron' | 'argon' | 'boron' | 'xenon';

export type RegionKind =
  | 'bootloader'
  | 'keys'
  | 'dct'
  | 'eeprom'
  | 'system-part'
  | 'user-part'
  | 'application'
  | 'ota'
  | 'factory'
  | 'backup'
  | 'free';

export interface FlashRegion {
  name: string;
  start: number;
  /** Exclusive. */
  end: number;
  kind: RegionKind;
  /** The Core has a separate SPI flash with its own address space starting at 0. */
  memory: 'internal' | 'external';
  /** Overwriting it can brick the device or lose its identity. */
  protected: boolean;
  /** What overwriting it destroys, for messages: "the device keys". */
  holds: string;
  /** Module index for system and user parts (system part 1, 2, …). */
  index?: number;
}

export interface UsbId {
  vendorId: number;
  productId: number;
}

export interface Platform {
  key: PlatformKey;
  /** "Photon", "Spark Core": how people call the device. */
  name: string;
  /** Platform id in Particle module headers. */
  id: number;
  mcu: string;
  usb: { serial: UsbId; dfu: UsbId };
  /** Internal SRAM, end exclusive: where an initial stack pointer may point (it may equal `end`). */
  ram?: { start: number; end: number };
  /** Sorted by memory then start; empty where no map is known (see `flashMapNote`). */
  flash: readonly FlashRegion[];
  flashMapNote?: string;
}

const PARTICLE_VENDOR_ID = 0x2b04;
const SPARK_VENDOR_ID = 0x1d50;

const KEYS = 'the device keys';
const BOOTLOADER = 'the bootloader';

function region(
  name: string,
  start: number,
  end: number,
  kind: RegionKind,
  extra: Partial<Pick<FlashRegion, 'memory' | 'index' | 'holds'>> = {},
): FlashRegion {
  const isProtected = kind === 'bootloader' || kind === 'keys' || kind === 'dct';
  const holds = extra.holds ?? (kind === 'bootloader' ? BOOTLOADER : isProtected ? KEYS : name);
  return { name, start, end, kind, memory: extra.memory ?? 'internal', protected: isProtected, holds, index: extra.index };
}

const CORE_FLASH: readonly FlashRegion[] = [
  region('bootloader', 0x08000000, 0x08005000, 'bootloader', {
    holds: 'the bootloader and its system flags (0x08004C00)',
  }),
  region('application', 0x08005000, 0x08020000, 'application'),
  // External SPI flash; 0x00000–0x00FFF is not described in docs/protocol.md and stays unmapped.
  region('external server public key and server address', 0x01000, 0x02000, 'keys', { memory: 'external' }),
  region('external device private key', 0x02000, 0x03000, 'keys', { memory: 'external' }),
  region('external factory image', 0x20000, 0x40000, 'factory', { memory: 'external' }),
  region('external backup image', 0x40000, 0x60000, 'backup', { memory: 'external' }),
  region('external OTA / serial image', 0x60000, 0x80000, 'ota', { memory: 'external' }),
  region('external free space', 0x80000, 0x200000, 'free', { memory: 'external' }),
];

/** Photon and P1 share the STM32F205 layout. */
const PHOTON_FLASH: readonly FlashRegion[] = [
  region('bootloader', 0x08000000, 0x08004000, 'bootloader'),
  region('DCT', 0x08004000, 0x0800c000, 'dct'),
  region('EEPROM emulation', 0x0800c000, 0x08020000, 'eeprom'),
  region('system part 1', 0x08020000, 0x08060000, 'system-part', { index: 1 }),
  region('system part 2', 0x08060000, 0x080a0000, 'system-part', { index: 2 }),
  region('user part', 0x080a0000, 0x080c0000, 'user-part', { index: 1 }),
  region('OTA scratch', 0x080c0000, 0x080e0000, 'ota'),
  region('factory image', 0x080e0000, 0x08100000, 'factory'),
];

/**
 * Electron: bootloader, system parts, user part and OTA are from docs/protocol.md §5. The DCT and
 * EEPROM sectors are inferred: same MCU and same Device OS STM32F2 layer as the Photon.
 * 0x080A0000–0x080BFFFF is not described and stays unmapped.
 */
const ELECTRON_FLASH: readonly FlashRegion[] = [
  region('bootloader', 0x08000000, 0x08004000, 'bootloader'),
  region('DCT', 0x08004000, 0x0800c000, 'dct'),
  region('EEPROM emulation', 0x0800c000, 0x08020000, 'eeprom'),
  region('system part 1', 0x08020000, 0x08040000, 'system-part', { index: 1 }),
  region('system part 2', 0x08040000, 0x08060000, 'system-part', { index: 2 }),
  region('system part 3', 0x08060000, 0x08080000, 'system-part', { index: 3 }),
  region('user part', 0x08080000, 0x080a0000, 'user-part', { index: 1 }),
  region('OTA scratch', 0x080c0000, 0x080e0000, 'ota'),
];

/** STM32F205: 128 KB SRAM (datasheet); nRF52840: 256 KB (datasheet). */
const STM32F205_RAM = { start: 0x20000000, end: 0x20020000 };
const NRF52840_RAM = { start: 0x20000000, end: 0x20040000 };

const GEN3_NOTE =
  'nRF52840-based; no memory map is known for it, so only ids are known and no region is guarded.';

function particleUsb(low: number): { serial: UsbId; dfu: UsbId } {
  return {
    serial: { vendorId: PARTICLE_VENDOR_ID, productId: 0xc000 | low },
    dfu: { vendorId: PARTICLE_VENDOR_ID, productId: 0xd000 | low },
  };
}

export const PLATFORMS: readonly Platform[] = [
  {
    key: 'core',
    name: 'Spark Core',
    id: 0,
    mcu: 'STM32F103',
    usb: {
      serial: { vendorId: SPARK_VENDOR_ID, productId: 0x607d },
      dfu: { vendorId: SPARK_VENDOR_ID, productId: 0x607f },
    },
    ram: { start: 0x20000000, end: 0x20005000 },
    flash: CORE_FLASH,
  },
  { key: 'photon', name: 'Photon', id: 6, mcu: 'STM32F205', usb: particleUsb(0x06), ram: STM32F205_RAM, flash: PHOTON_FLASH },
  { key: 'p1', name: 'P1', id: 8, mcu: 'STM32F205', usb: particleUsb(0x08), ram: STM32F205_RAM, flash: PHOTON_FLASH },
  { key: 'electron', name: 'Electron', id: 10, mcu: 'STM32F205', usb: particleUsb(0x0a), ram: STM32F205_RAM, flash: ELECTRON_FLASH },
  { key: 'argon', name: 'Argon', id: 12, mcu: 'nRF52840', usb: particleUsb(0x0c), ram: NRF52840_RAM, flash: [], flashMapNote: GEN3_NOTE },
  { key: 'boron', name: 'Boron', id: 13, mcu: 'nRF52840', usb: particleUsb(0x0d), ram: NRF52840_RAM, flash: [], flashMapNote: GEN3_NOTE },
  { key: 'xenon', name: 'Xenon', id: 14, mcu: 'nRF52840', usb: particleUsb(0x0e), ram: NRF52840_RAM, flash: [], flashMapNote: GEN3_NOTE },
];

export function platformById(id: number): Platform | undefined {
  return PLATFORMS.find((p) => p.id === id);
}

export function platformByKey(key: string): Platform | undefined {
  const wanted = key.trim().toLowerCase();
  return PLATFORMS.find((p) => p.key === wanted);
}

/** Accepts ids as the OS reports them ('2b04', '2B04', '0x2b04') or as numbers. */
export function platformByUsb(usb: {
  vendorId: string | number;
  productId: string | number;
}): { platform: Platform; mode: 'serial' | 'dfu' } | undefined {
  const vendorId = parseUsbId(usb.vendorId);
  const productId = parseUsbId(usb.productId);
  if (vendorId === undefined || productId === undefined) return undefined;
  for (const platform of PLATFORMS) {
    for (const mode of ['serial', 'dfu'] as const) {
      const id = platform.usb[mode];
      if (id.vendorId === vendorId && id.productId === productId) return { platform, mode };
    }
  }
  return undefined;
}

function parseUsbId(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  const match = /^(?:0x)?([0-9a-f]{1,4})$/i.exec(value.trim());
  return match ? parseInt(match[1]!, 16) : undefined;
}

/** "a Photon", "an Electron": for sentences. */
export function withArticle(device: { name: string }): string {
  return /^[AEIOU]/i.test(device.name) ? `an ${device.name}` : `a ${device.name}`;
}

/** The STM32 boot address: the first flash word the chip reads at reset. */
export const STM32_BOOT_ADDRESS = 0x08000000;

/** Without a memory map only the boot address itself is known to be dangerous. */
const GENERIC_BOOT_REGION: FlashRegion = {
  name: 'STM32 boot address',
  start: STM32_BOOT_ADDRESS,
  end: STM32_BOOT_ADDRESS + 4,
  kind: 'bootloader',
  memory: 'internal',
  protected: true,
  holds: 'where the chip boots — the bootloader',
};

export interface ProtectedRegionHit {
  region: FlashRegion;
  platform?: Platform;
  /** "0x08004000 would overwrite the device keys (Photon DCT, 0x08004000–0x0800BFFF); use --force only if you mean it." */
  message: string;
}

/**
 * The protected region that writing `size` bytes at `start` would touch, or undefined.
 * With no platform (generic YMODEM / U-Boot targets) nothing is known of the memory, so only a
 * range starting exactly at the STM32 boot address is refused. A platform with an empty map
 * guards nothing.
 */
export function findProtectedRegion(
  platform: Platform | undefined,
  start: number,
  size: number,
): ProtectedRegionHit | undefined {
  if (!platform) {
    if (start !== STM32_BOOT_ADDRESS) return undefined;
    return {
      region: GENERIC_BOOT_REGION,
      message: `${formatAddress(start)} is ${GENERIC_BOOT_REGION.holds}; use --force only if you mean it.`,
    };
  }
  // A zero-length write still names a place; treat it as one byte so the check is not vacuous.
  const end = start + Math.max(size, 1);
  const region = platform.flash.find((r) => r.protected && start < r.end && end > r.start);
  if (!region) return undefined;
  const where = `${platform.name} ${region.name}, ${formatRange(region.start, region.end)}`;
  const what = start >= region.start ? formatAddress(start) : `Writing ${size} bytes at ${formatAddress(start)}`;
  return { region, platform, message: `${what} would overwrite ${region.holds} (${where}); use --force only if you mean it.` };
}

/** Regions of one kind, optionally one module index (system part 2 …). */
export function regionsOfKind(platform: Platform, kind: RegionKind, index?: number): FlashRegion[] {
  return platform.flash.filter((r) => r.kind === kind && (index === undefined || r.index === index));
}
