/**
 * The one registry of virtual devices: profile name → factory. Every profile returns the
 * same shape (a VirtualWire, the USB identity its port shows, the device with its summary and
 * events, the line that names it), so front ends, tests and benchmarks never branch on a
 * device name. What each profile is called and takes is in profile-traits.ts.
 */
import { platformByKey, type UsbId } from '../devices/platforms.js';
import { applyFaults, type FaultOptions, type FaultStats } from './faults.js';
import { ParticleDevice, type ParticleDeviceOptions } from './particle-device.js';
import { SparkCoreDevice, type SparkCoreOptions } from './spark-core-device.js';
import { UBootDevice, type UBootOptions } from './uboot-device.js';
import type { VirtualPortOptions, VirtualWire } from './virtual-binding.js';
import type { VirtualDevice } from './virtual-device.js';
import { YmodemDevice, type YmodemDeviceOptions } from './ymodem-device.js';
import { type ProfileTraits, requireProfileTraits } from './profile-traits.js';

export { isProfileName, PROFILE_NAMES, PROFILE_TRAITS, profileTraits, type ProfileTraits } from './profile-traits.js';
/** A virtual device's name, as in PROFILE_NAMES (aliases are resolved by createProfile). */
export type ProfileName = string;

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
  /** The profile's name (an alias given to createProfile is resolved). */
  profile: ProfileName;
  traits: ProfileTraits;
  /** One line naming the device: what it is, its firmware, its state now. */
  describe(): string;
  wire: VirtualWire;
  portOptions: VirtualPortOptions;
  device: VirtualDevice;
  /** Counters of the injected faults (all zero when none were asked for). */
  faults: FaultStats;
}

/** A USB-serial adapter (FTDI FT232R) for the boards that sit behind a UART. */
const UART_ADAPTER = { vendorId: '0403', productId: '6001', manufacturer: 'FTDI' };

interface ProfileEntry {
  create(options: VirtualDeviceOptions): VirtualDevice;
  port(device: VirtualDevice): Omit<VirtualPortOptions, 'bytesPerSecond' | 'latencyMs'>;
  describe(device: VirtualDevice): string;
}

function usbIdentity(key: string, manufacturer: string, serialNumber?: string) {
  const usb: UsbId = platformByKey(key)!.usb.serial;
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  return { vendorId: hex(usb.vendorId), productId: hex(usb.productId), manufacturer, serialNumber };
}

function describeParticleFamily(device: ParticleDevice | SparkCoreDevice, os: string): string {
  const state = device.mode === 'listening' ? 'in listening mode' : 'running its application';
  return `virtual ${device.platform.name} (${os} ${device.identity.systemVersion}, device id ${device.identity.deviceId}), ${state}`;
}

function particleEntry(platform: 'photon' | 'p1' | 'electron'): ProfileEntry {
  return {
    create: (options) => new ParticleDevice({ ...options, platform }),
    port: (device) => usbIdentity(platform, 'Particle', (device as ParticleDevice).identity.deviceId.toUpperCase()),
    describe: (device) => describeParticleFamily(device as ParticleDevice, 'Device OS'),
  };
}

/** Keyed by the names in profile-traits.ts (a test checks that both list the same profiles). */
export const PROFILES: Readonly<Record<string, ProfileEntry>> = {
  photon: particleEntry('photon'),
  p1: particleEntry('p1'),
  electron: particleEntry('electron'),
  'spark-core': {
    create: (options) => new SparkCoreDevice(options),
    port: (device) => usbIdentity('core', 'Spark Devices', (device as SparkCoreDevice).identity.deviceId.toUpperCase()),
    describe: (device) => describeParticleFamily(device as SparkCoreDevice, 'firmware'),
  },
  ymodem: {
    create: (options) => new YmodemDevice(options),
    port: () => UART_ADAPTER,
    describe: () => 'virtual YMODEM receiver (a standard one, like lrzsz rb), waiting for a file',
  },
  bootrom: {
    create: (options) => new YmodemDevice({ ...options, checksum: options.checksum ?? 'sum8', protocol: 'xmodem' }),
    port: () => UART_ADAPTER,
    describe: () => 'virtual boot ROM XMODEM loader, asking with NAK every second',
  },
  uboot: {
    create: (options) => new UBootDevice({ ...options, version: options.ubootVersion }),
    port: () => UART_ADAPTER,
    describe: () => 'virtual U-Boot console (=> prompt, loady ADDR)',
  },
};

/** Builds a virtual device of `profile` (a name or an alias), with its faults installed. */
export function createProfile(profile: string, options: VirtualDeviceOptions = {}): VirtualDeviceInstance {
  const traits = requireProfileTraits(profile);
  const entry = PROFILES[traits.name]!;
  const device = entry.create(options);
  // One seed for the whole device unless the faults get their own.
  const faultOptions: FaultOptions = { seed: options.seed, ...options.faults };
  if (options.noise !== undefined) faultOptions.noiseEverySeconds ??= options.noise;
  const faults = applyFaults(device, faultOptions);
  const portOptions: VirtualPortOptions = { ...entry.port(device), bytesPerSecond: options.bytesPerSecond, latencyMs: options.latencyMs };
  return { profile: traits.name, traits, describe: () => entry.describe(device), wire: device, portOptions, device, faults };
}
