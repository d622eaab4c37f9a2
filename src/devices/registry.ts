/**
 * The one list of targets, and how `--target auto` picks one: by the port's USB identity,
 * else by what the image is, else plain YMODEM.
 */
import { InputError } from '../errors.js';
import type { FirmwareFile } from '../image/firmware-file.js';
import { readVectorTable } from '../image/vector-table.js';
import type { UsbIdentity } from '../transport/connection.js';
import { triggerProfile, ubootProfile } from './console-target.js';
import { MODULE_INFO_HEAD_BYTES, parseModuleInfo } from './particle/module-info.js';
import { particleProfile } from './particle/particle-profile.js';
import { sparkCoreProfile } from './particle/spark-core-profile.js';
import { type Platform, platformByKey, platformByUsb, withArticle } from './platforms.js';
import type { DeviceProfile, TargetName } from './profile.js';
import { ymodemProfile } from './ymodem.js';

export const PROFILES: Readonly<Record<TargetName, DeviceProfile>> = {
  particle: particleProfile,
  'spark-core': sparkCoreProfile,
  ymodem: ymodemProfile,
  uboot: ubootProfile,
};

export const TARGET_NAMES = ['auto', ...Object.keys(PROFILES)] as readonly string[];

export interface RecognisedDevice {
  platform: Platform;
  mode: 'serial' | 'dfu';
}

/** Which device family a USB identity belongs to, if any. */
export function recognise(usb: UsbIdentity | undefined): RecognisedDevice | undefined {
  if (!usb?.vendorId || !usb.productId) return undefined;
  return platformByUsb(usb);
}

export interface TargetChoice {
  profile: DeviceProfile;
  /** Why this target: shown by --verbose and --dry-run. */
  reason: string;
  platform?: Platform;
}

/** Picks the profile for `requested` ('auto' or a target name), the port's identity and the image. */
export async function chooseTarget(
  requested: string,
  usb: UsbIdentity | undefined,
  image: FirmwareFile,
  trigger?: string,
): Promise<TargetChoice> {
  const device = recognise(usb);
  if (device?.mode === 'dfu') {
    throw new InputError(
      'DEVICE_IN_DFU',
      `The ${device.platform.name} is in DFU mode (USB ${usb!.vendorId}:${usb!.productId}), where it has no serial port; reset it, or hold MODE until the LED blinks blue for listening mode.`,
    );
  }
  if (trigger !== undefined && requested !== 'uboot') {
    return { profile: triggerProfile(trigger), reason: `--trigger "${trigger}" starts the receiver`, platform: device?.platform };
  }
  if (requested !== 'auto') {
    const profile = PROFILES[requested as TargetName];
    if (!profile) {
      throw new InputError('UNKNOWN_TARGET', `Unknown target "${requested}"; choose one of ${TARGET_NAMES.join(', ')}.`);
    }
    return { profile, reason: '--target', platform: device?.platform };
  }
  if (device) {
    const profile = device.platform.key === 'core' ? sparkCoreProfile : particleProfile;
    return { profile, reason: `the port is ${withArticle(device.platform)} (USB ${usb!.vendorId}:${usb!.productId})`, platform: device.platform };
  }
  return chooseByImage(image);
}

async function chooseByImage(image: FirmwareFile): Promise<TargetChoice> {
  const head = await image.read(0, MODULE_INFO_HEAD_BYTES);
  const info = parseModuleInfo(head);
  if (info) {
    return { profile: particleProfile, reason: `the image has a Particle module header (platform ${info.platformId})` };
  }
  if (looksLikeCoreApplication(head)) {
    return { profile: sparkCoreProfile, reason: "the image's vector table fits the Spark Core (stack in its 20 KB of RAM)", platform: CORE };
  }
  return { profile: ymodemProfile, reason: 'neither the port nor the image names a device, so plain YMODEM' };
}

const CORE = platformByKey('core')!;

/** A stack pointer inside the Core's 20 KB of RAM and a reset handler in internal flash. */
function looksLikeCoreApplication(head: Buffer): boolean {
  const table = readVectorTable(head);
  if (!table || !CORE.ram) return false;
  const { initialStackPointer: sp, resetHandler } = table;
  return sp > CORE.ram.start && sp <= CORE.ram.end && (resetHandler & 0xfff00000) === 0x08000000;
}
