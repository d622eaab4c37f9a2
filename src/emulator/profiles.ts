/**
 * The one registry of virtual devices: profile name → factory. Every profile returns the
 * same shape (a VirtualWire, the USB identity its port shows, the device with its summary and
 * events), so front ends, tests and benchmarks never branch on a device name.
 */
import { InputError } from '../errors.js';
import { platformByKey, type UsbId } from '../devices/platforms.js';
import { applyFaults, type FaultOptions, type FaultStats } from './faults.js';
import { ParticleDevice, type ParticleDeviceOptions } from './particle-device.js';
import { SparkCoreDevice, type SparkCoreOptions } from './spark-core-device.js';
import { UBootDevice, type UBootOptions } from './uboot-device.js';
import type { VirtualPortOptions, VirtualWire } from './virtual-binding.js';
import type { VirtualDevice } from './virtual-device.js';
import { YmodemDevice, type YmodemDeviceOptions } from './ymodem-device.js';
import { isProfileName, PROFILE_NAMES, type ProfileName } from './profile-names.js';

export { isProfileName, PROFILE_NAMES, type ProfileName };

/** Every option any profile takes; each profile reads the ones it knows. */
export interface VirtualDeviceOptions
  extends Omit<ParticleDeviceOptions, 'platform'>,
    Omit<SparkCoreOptions, keyof ParticleDeviceOptions>,
    Omit<YmodemDeviceOptions, 'checksum'>,
    Omit<UBootOptions, 'version'> {
  checksum?: YmodemDeviceOptions['checksum'];
  /** U-Boot banner version. */
  ubootVersion?: string;
  faults?: FaultOptions;
  /** Application log lines every this many seconds (shorthand for faults.noiseEverySeconds). */
  noise?: number;
  /** Line pacing of the virtual port (a UART's rate, USB latency). */
  bytesPerSecond?: number;
  latencyMs?: number;
}

export interface VirtualDeviceInstance {
  profile: ProfileName;
  wire: VirtualWire;
  portOptions: VirtualPortOptions;
  device: VirtualDevice;
  /** Counters of the injected faults (all zero when none were asked for). */
  faults: FaultStats;
}

/** A USB-serial adapter (FTDI FT232R) for the boards that sit behind a UART. */
const UART_ADAPTER = { vendorId: '0403', productId: '6001', manufacturer: 'FTDI' };

interface ProfileEntry {
  description: string;
  create(options: VirtualDeviceOptions): VirtualDevice;
  port(device: VirtualDevice): Omit<VirtualPortOptions, 'bytesPerSecond' | 'latencyMs'>;
}

function usbIdentity(key: string, manufacturer: string, serialNumber?: string) {
  const usb: UsbId = platformByKey(key)!.usb.serial;
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  return { vendorId: hex(usb.vendorId), productId: hex(usb.productId), manufacturer, serialNumber };
}

function particleEntry(platform: 'photon' | 'p1' | 'electron', description: string): ProfileEntry {
  return {
    description,
    create: (options) => new ParticleDevice({ ...options, platform }),
    port: (device) => usbIdentity(platform, 'Particle', (device as ParticleDevice).identity.deviceId.toUpperCase()),
  };
}

export const PROFILES: Record<ProfileName, ProfileEntry> = {
  photon: particleEntry('photon', 'Particle Photon (Device OS serial YMODEM, listening mode, DTR-gated USB)'),
  p1: particleEntry('p1', 'Particle P1 (as the Photon)'),
  electron: particleEntry('electron', 'Particle Electron (as the Photon, 300 s no-chunk reset)'),
  core: {
    description: 'Spark Core on 0.4.x (silent 28800 receiver, external flash staging, no validation)',
    create: (options) => new SparkCoreDevice(options),
    port: (device) => usbIdentity('core', 'Spark Devices', (device as SparkCoreDevice).identity.deviceId.toUpperCase()),
  },
  ymodem: {
    description: 'A standard YMODEM receiver like lrzsz rb',
    create: (options) => new YmodemDevice(options),
    port: () => UART_ADAPTER,
  },
  uboot: {
    description: 'U-Boot console with loady',
    create: (options) => new UBootDevice({ ...options, version: options.ubootVersion }),
    port: () => UART_ADAPTER,
  },
};

/** Builds a virtual device of `profile`, with its faults installed. */
export function createProfile(profile: string, options: VirtualDeviceOptions = {}): VirtualDeviceInstance {
  if (!isProfileName(profile)) {
    throw new InputError(
      'UNKNOWN_PROFILE',
      `There is no virtual device called "${profile}"; choose one of ${PROFILE_NAMES.join(', ')}.`,
      { profile },
    );
  }
  const entry = PROFILES[profile];
  const device = entry.create(options);
  // One seed for the whole device unless the faults get their own.
  const faultOptions: FaultOptions = { seed: options.seed, ...options.faults };
  if (options.noise !== undefined) faultOptions.noiseEverySeconds ??= options.noise;
  const faults = applyFaults(device, faultOptions);
  const portOptions: VirtualPortOptions = { ...entry.port(device), bytesPerSecond: options.bytesPerSecond, latencyMs: options.latencyMs };
  return { profile, wire: device, portOptions, device, faults };
}
