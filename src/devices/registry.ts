/**
 * The one list of targets, and what is derived from it: the names `--target` accepts, which
 * profile a connected device belongs to, which profile claims an image, and how `--target
 * auto` picks one — by the port's USB identity, else by what the image is, else plain YMODEM.
 * Adding a device family is one profile file and one line in PROFILES.
 */
import { InputError } from '../errors.js';
import type { FirmwareFile } from '../image/firmware-file.js';
import type { UsbIdentity } from '../transport/connection.js';
import { triggerProfile } from './console-target.js';
import { particleProfile } from './particle/particle-profile.js';
import { sparkCoreProfile } from './particle/spark-core-profile.js';
import { type Platform, withArticle } from './platforms.js';
import { type DeviceProfile, IMAGE_HEAD_BYTES, type UsbMatch } from './profile.js';
import { ubootProfile } from './uboot.js';
import { ymodemProfile } from './ymodem.js';

/** In the order auto detection asks them: the first that claims an image gets it. */
const PROFILES: DeviceProfile[] = [particleProfile, sparkCoreProfile, ymodemProfile, ubootProfile];
/** What `auto` falls back to when neither the port nor the image names a device. */
const FALLBACK: DeviceProfile = ymodemProfile;

export function profiles(): readonly DeviceProfile[] {
  return PROFILES;
}

/**
 * Adds a profile (a family kept outside this repository, or a test's), asked after those
 * listed here. Returns a function that removes it again.
 */
export function registerProfile(profile: DeviceProfile): () => void {
  const taken = [profile.name, ...(profile.aliases ?? [])].find((name) => profileByName(name));
  if (taken !== undefined) throw new Error(`A device profile called "${taken}" is already registered.`);
  PROFILES.push(profile);
  return () => {
    const at = PROFILES.indexOf(profile);
    if (at >= 0) PROFILES.splice(at, 1);
  };
}

/** The names `--target` accepts: 'auto', then every profile's name, each followed by its aliases. */
export function targetNames(): string[] {
  return ['auto', ...PROFILES.flatMap((profile) => [profile.name, ...(profile.aliases ?? [])])];
}

/** A profile by its name or one of its aliases. */
export function profileByName(name: string): DeviceProfile | undefined {
  return PROFILES.find((profile) => profile.name === name || profile.aliases?.includes(name));
}

/** "Spark or Particle device": what the recognisable devices are called, for help texts and messages. */
export function recognisedFamilies(): string {
  const families = [...new Set(PROFILES.flatMap((profile) => (profile.family ? [profile.family] : [])))];
  return families.length ? families.join(' or ') : 'recognised device';
}

export interface RecognisedDevice extends UsbMatch {
  profile: DeviceProfile;
}

/** Which profile's device a USB identity is, if any. */
export function recognise(usb: UsbIdentity | undefined): RecognisedDevice | undefined {
  if (!usb?.vendorId || !usb.productId) return undefined;
  for (const profile of PROFILES) {
    const device = profile.recognise?.(usb);
    if (device) return { ...device, profile };
  }
  return undefined;
}

/** The profile that can say who a device is: its own when recognised, else the first that can. */
export function profileForInfo(usb: UsbIdentity | undefined): DeviceProfile {
  const recognised = recognise(usb)?.profile;
  if (recognised?.identify) return recognised;
  const first = PROFILES.find((profile) => profile.identify);
  if (!first) throw new InputError('UNKNOWN_TARGET', 'No device profile can identify a device.');
  return first;
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
      `The ${device.name} is in DFU mode (USB ${usb!.vendorId}:${usb!.productId}), where it has no serial port; reset it, or hold MODE until the LED blinks blue for listening mode.`,
    );
  }
  const named = requested === 'auto' ? undefined : profileByName(requested);
  if (requested !== 'auto' && !named) {
    throw new InputError('UNKNOWN_TARGET', `Unknown target "${requested}"; choose one of ${targetNames().join(', ')}.`);
  }
  if (trigger !== undefined && !named?.ignoresTrigger) {
    return { profile: triggerProfile(trigger), reason: `--trigger "${trigger}" starts the receiver`, platform: device?.platform };
  }
  if (named) return { profile: named, reason: '--target', platform: device?.platform };
  if (device) {
    return { profile: device.profile, reason: `the port is ${withArticle(device)} (USB ${usb!.vendorId}:${usb!.productId})`, platform: device.platform };
  }
  return chooseByImage(image);
}

async function chooseByImage(image: FirmwareFile): Promise<TargetChoice> {
  const head = await image.read(0, Math.min(image.size, IMAGE_HEAD_BYTES));
  for (const profile of PROFILES) {
    const claim = profile.claimsImage?.(head);
    if (claim) return { profile, reason: claim.reason, platform: claim.platform };
  }
  return { profile: FALLBACK, reason: 'neither the port nor the image names a device, so plain YMODEM' };
}
